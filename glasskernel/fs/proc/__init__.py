"""procfs: root.py (/proc), base.py (/proc/<pid>), fd.py (/proc/<pid>/fd), array.py (stat, status,
cmdline), task_mmu.py (maps, statm, Vm* lines), sysinfo.py (uptime, loadavg, stat, meminfo, version)."""
