"""Benchmark JSON Lines files → :class:`BenchmarkRecord` s.

One JSON object per line, each either a :class:`BenchmarkRecord` (the format of
``data/benchmarks/*.jsonl`` and of ``predeploy kb export``'s benchmarks) or a calibration case
(the ../shared/calibration format, recognised by its ``scenario``; see
:mod:`predeploy.kb.importers.calibration_cases`). Every line is validated (schema, metric names
and units, model and GPU names, unique ids) before anything is written; the first problem raises
one :class:`ImportFileError` naming file, line and field.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from predeploy.core.errors import UnknownNameError, describe_validation_error
from predeploy.core.types import BenchmarkRecord, FrozenModel
from predeploy.kb.importers.calibration_cases import is_case, record_from_case
from predeploy.kb.importers.canonical import NameResolver
from predeploy.kb.importers.problems import ImportFileError
from predeploy.kb.importers.source import json_lines, read_text
from predeploy.kb.metric_names import parse_metric_name


class BenchmarkFile(FrozenModel):
    """The validated records of one file."""

    file: str
    sha256: str
    records: tuple[BenchmarkRecord, ...]
    #: How many lines were calibration cases (the rest were BenchmarkRecords).
    cases: int = 0


def check_record(
    record: BenchmarkRecord, names: NameResolver, file: str, line: int
) -> BenchmarkRecord:
    """Metric names and units, and canonical model/GPU names, of one parsed record."""
    where = f"line {line}"
    for metric in record.metrics:
        try:
            parse_metric_name(metric)
        except ValueError as exc:
            raise ImportFileError(file, where, f"metrics.{metric}", str(exc)) from None
    try:
        model = names.model(record.model)
    except UnknownNameError as exc:
        raise ImportFileError(file, where, "model", str(exc)) from None
    try:
        gpu = names.gpu(record.gpu)
    except UnknownNameError as exc:
        raise ImportFileError(file, where, "gpu", str(exc)) from None
    if (model, gpu) == (record.model, record.gpu):
        return record
    return record.model_copy(update={"model": model, "gpu": gpu})


def unique_ids(records: list[tuple[int, BenchmarkRecord]], file: str) -> None:
    """Each id once per file (the line of the first use is named)."""
    first: dict[str, int] = {}
    for line, record in records:
        if record.id in first:
            raise ImportFileError(
                file,
                f"line {line}",
                "id",
                f"{record.id!r} already appears on line {first[record.id]}",
            )
        first[record.id] = line


def read_benchmark_file(path: Path, names: NameResolver) -> BenchmarkFile:
    """Read and validate a BenchmarkRecord JSON Lines file."""
    text, sha256 = read_text(path)
    return parse_benchmark_lines(text, file=path.name, sha256=sha256, names=names)


def parse_benchmark_lines(
    text: str, *, file: str, sha256: str, names: NameResolver
) -> BenchmarkFile:
    """Validate every line of a BenchmarkRecord JSON Lines text."""
    records: list[tuple[int, BenchmarkRecord]] = []
    cases = 0
    for line, obj in json_lines(text, file):
        if is_case(obj):
            record = record_from_case(obj, file, line)
            cases += 1
        else:
            try:
                record = BenchmarkRecord.model_validate(obj)
            except ValidationError as exc:
                raise ImportFileError(
                    file, f"line {line}", None, describe_validation_error(exc)
                ) from None
        records.append((line, check_record(record, names, file, line)))
    unique_ids(records, file)
    return BenchmarkFile(
        file=file, sha256=sha256, records=tuple(r for _, r in records), cases=cases
    )
