"""Job handlers."""
