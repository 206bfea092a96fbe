"""Tools built on the kernel that the kernel never imports (Linux's tools/: perf and friends).

strace/ formats syscalls as strace does; graph/ prints a recording as ftrace's
function_graph; timeline/ writes it as Chrome trace-event JSON or one HTML page;
proc_tree.py draws the process tree; breakpoint/ is the --break console; demo/ the
narrated fork/exec walkthrough (and the words every tracepoint's values are explained
with); gdbstub/ the gdb remote stub. They attach to the kernel's tracer
(kernel/trace/tracepoint.py) or its observer slots (``kernel.strace``, ``kernel.debugger``).
"""
