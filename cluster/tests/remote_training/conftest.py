"""The GPU build choice of a server (no SSH server needed)."""
