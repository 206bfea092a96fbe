"""Path-name limits (include/uapi/linux/limits.h)."""

NAME_MAX = 255                    # bytes in one path component
PATH_MAX = 4096                   # bytes in a path name, counting the NUL
