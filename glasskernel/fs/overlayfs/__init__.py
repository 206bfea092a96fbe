"""The sandbox's root file system: a read-only host directory under a private writable one.

Mirrors fs/overlayfs/ in spirit: super.py (the layers and their bookkeeping),
inode.py (dentries, lookup, readdir, open), copy_up.py, dir.py (create, remove, rename).
"""
