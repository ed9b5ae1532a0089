"""Use cases: the one place adapters are plugged into the core."""
