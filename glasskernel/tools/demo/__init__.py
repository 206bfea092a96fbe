"""The narrated fork/exec walkthrough (`glasskernel demo`) and the words tracepoints are explained with."""
