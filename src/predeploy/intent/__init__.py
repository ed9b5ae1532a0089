"""Adapter: intent (imports only predeploy.core)."""
