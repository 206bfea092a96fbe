"""dnotify: fcntl(F_NOTIFY) (fs/notify/dnotify/)."""
