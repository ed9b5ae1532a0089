"""Adapter: the knowledge base (imports only ``predeploy.core``).

SQL storage of the seven collections (``tables``, migrations in ``migrations/`` run by
``database``), conversions to and from core facts (``records``), repositories (``catalog``:
the SQL :class:`~predeploy.core.catalog.Catalog`; ``benchmarks``; ``outcomes``), the idempotent
seed loader (``seed``, fed by ``seed_files``), importers of outside formats (``importers``) and
``export``. Services in :mod:`predeploy.services.knowledge` wire these together.
"""
