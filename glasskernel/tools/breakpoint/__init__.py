"""The --break console: stop at a kernel function, look at the task, its registers and stack."""
