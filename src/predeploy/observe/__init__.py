"""Adapter: observe (imports only predeploy.core)."""
