"""The hardware-in-the-loop harness."""
