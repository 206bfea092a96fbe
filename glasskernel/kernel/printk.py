"""The kernel's log (kernel/printk/printk.c): lines for the console, glasskernel's stderr."""


def printk(kernel, line: str) -> None:
    """Print one kernel log line on the console."""
    print(line, file=kernel.stderr, flush=True)


def pr_warn(kernel, message: str) -> None:
    """A warning line on the console (pr_warn)."""
    printk(kernel, f"glasskernel: warning: {message}")
