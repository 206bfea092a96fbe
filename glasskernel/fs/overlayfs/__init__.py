"""The sandbox's root file system: a read-only host directory under a private writable one.

Mirrors fs/overlayfs/ in spirit: super.py (the layers and their bookkeeping), layer.py (a
layer reached only beneath a directory descriptor), workdir.py (where the writable layers
live), inode.py (dentries, lookup, readdir, open), file.py (open files and the host objects
pinned dentries hold), copy_up.py, dir.py (create, remove, rename).
"""
