"""Tools built on the kernel that the kernel never imports (the gdb stub)."""
