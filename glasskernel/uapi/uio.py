"""Vectored I/O limits (include/uapi/linux/uio.h)."""

UIO_MAXIOV = 1024                 # most iovec entries readv/writev accept
