"""inotify(7) (fs/notify/inotify/)."""
