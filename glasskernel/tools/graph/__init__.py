"""ftrace's function_graph layout of a recording (`glasskernel trace`)."""
