"""Adapter: deploy (imports only predeploy.core)."""
