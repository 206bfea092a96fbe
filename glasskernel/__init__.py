# Before anything opens a host descriptor: 0-2 closed by whoever started us stay ours to
# hold, never a wake-up pipe the guest would get as its stdin (drivers/tty/host_stdio.py).
from glasskernel.drivers.tty.host_stdio import reserve_host_stdio as _reserve_host_stdio

_reserve_host_stdio()
