"""The kernel's log (kernel/printk/printk.c): lines for the console, glasskernel's stderr."""


def printk(kernel, line: str) -> None:
    """Print one kernel log line on the console."""
    print(line, file=kernel.stderr, flush=True)
