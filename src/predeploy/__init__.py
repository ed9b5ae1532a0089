"""predeploy: the LLM Pre-Deployment Assistant."""

__version__ = "0.1.0"
