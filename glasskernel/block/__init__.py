"""The block layer: block device nodes and their drivers (Linux's block/)."""
