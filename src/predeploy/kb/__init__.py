"""Adapter: kb (imports only predeploy.core)."""
