"""`python -m glasskernel` is the `glasskernel` command."""
import sys

from glasskernel.cli import main

sys.exit(main())
