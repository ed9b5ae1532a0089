"""Alembic migrations of the knowledge base, run programmatically by ``predeploy kb init``.

No ``alembic.ini`` is needed: :mod:`predeploy.kb.database` builds the configuration. To write a
new revision during development::

    .venv/bin/python -m predeploy.kb.database revision -m "what changed"
"""
