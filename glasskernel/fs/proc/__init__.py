"""procfs: root.py (/proc), base.py (/proc/<pid>), fd.py (/proc/<pid>/fd), array.py (stat, status)."""
