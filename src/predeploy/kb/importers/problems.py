"""The one error an import raises: which file, which record, which field, and what is wrong."""

from __future__ import annotations

from predeploy.core.errors import InputError


class ImportFileError(InputError):
    """A file that cannot be imported, e.g.
    ``run.json: benchmarks[2]: metrics.request_latency.successful.mean: expected a number``."""

    def __init__(self, file: str, record: str | None, field: str | None, problem: str) -> None:
        self.file = file
        self.record = record
        self.field = field
        self.problem = problem
        where = ": ".join(part for part in (file, record, field) if part)
        super().__init__(f"{where}: {problem}")
