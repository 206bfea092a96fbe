"""Driver core (drivers/base/): devtmpfs."""
