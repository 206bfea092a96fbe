"""File-system notification (fs/notify/): fsnotify and its inotify and dnotify users."""
