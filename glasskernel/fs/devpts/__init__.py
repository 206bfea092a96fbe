"""devpts: /dev/pts (fs/devpts)."""
