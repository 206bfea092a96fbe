"""A gdb remote-serial-protocol stub for glasskernel's guests (`glasskernel run --gdb`).

transport.py frames packets over the socket (a reader thread); session.py answers them
while the guest is stopped; target.py is the kernel's debugger (stops, resumes, traced
tasks, breakpoints, watchpoints); regs.py the target description and register layout;
memory.py guest memory as ptrace reaches it; qxfer.py and vfile.py what gdb reads;
monitor.py the `monitor` commands; server.py the connection's life. docs/gdb.md.
"""
