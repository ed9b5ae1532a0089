"""Importers: files from the outside world → validated :class:`BenchmarkRecord` lists.

Each importer reads and validates a whole file before anything is written; a problem raises one
:class:`~predeploy.kb.importers.problems.ImportFileError` naming the file, the record (line or
benchmark index) and the field. Writing is the repository's job, in one transaction.
"""
