"""Fields of a loaded report (JSON or YAML objects) read by path, with errors naming the path.

A path is a sequence of object keys and list indexes, written ``metrics.request_latency.successful``
or ``benchmarks[2]``; a missing or mistyped field raises one :class:`ImportFileError` naming the
file, the record and the dotted path.
"""

from __future__ import annotations

import math
from typing import Any

from predeploy.kb.importers.problems import ImportFileError

FieldPath = tuple[str | int, ...]


class RecordLocation:
    """Names the record being read, for error messages."""

    def __init__(self, file: str, record: str | None) -> None:
        self.file = file
        self.record = record

    def problem(self, path: FieldPath, message: str) -> ImportFileError:
        return ImportFileError(self.file, self.record, dotted_path(path) or None, message)


def dotted_path(path: FieldPath) -> str:
    """``("metrics", "x", 0)`` → ``metrics.x[0]``."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def value_at(obj: Any, path: FieldPath, where: RecordLocation) -> Any:
    """The value at ``path``; a missing key or index, or a non-object on the way, is an error."""
    current = obj
    for depth, key in enumerate(path):
        if isinstance(key, int):
            if not isinstance(current, list) or key >= len(current):
                raise where.problem(path[: depth + 1], "missing")
            current = current[key]
            continue
        if not isinstance(current, dict):
            raise where.problem(path[:depth], f"expected an object, got {describe_value(current)}")
        if key not in current:
            raise where.problem(path[: depth + 1], "missing")
        current = current[key]
    return current


def describe_value(value: Any) -> str:
    """A value's kind for an error message (texts quoted, cut at 40 characters)."""
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "null" if value is None else type(value).__name__


def number_at(obj: Any, path: FieldPath, where: RecordLocation) -> float:
    """The finite non-negative number at ``path`` (booleans are not numbers)."""
    value = value_at(obj, path, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.problem(path, f"expected a number, got {describe_value(value)}")
    if not math.isfinite(value) or value < 0:
        raise where.problem(path, f"expected a finite non-negative number, got {value!r}")
    return float(value)


def optional_at(obj: Any, *keys: str | int) -> Any:
    """The value at ``keys``, or ``None`` where anything on the way is absent."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj
