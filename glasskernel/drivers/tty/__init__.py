"""Terminal drivers: the host's stdio and controlling terminal seen by the guest."""
