"""`python -m glasskernel` is the `glasskernel` command."""
import gc
import sys

gc.disable()        # until the kernel has booted (cli.boot_kernel turns it back on)

from glasskernel.cli import main  # noqa: E402

sys.exit(main())
