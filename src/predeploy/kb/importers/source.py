"""Reading an import source: its text and hash, and JSON Lines with line numbers."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from predeploy.kb.importers.problems import ImportFileError

#: Largest import file read (bytes): GuideLLM reports with per-request samples run to tens of
#: megabytes; past this the file is not a report (or a device such as /dev/zero).
MAX_IMPORT_BYTES = 256 * 2**20


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and SHA-256; unreadable, oversized or non-UTF-8 files are
    :class:`ImportFileError`."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(
            path.name, None, None, f"cannot read the file: {exc.strerror}"
        ) from None
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportFileError(
            path.name, None, None, f"larger than the limit of {MAX_IMPORT_BYTES:,} bytes; split it"
        )
    try:
        return raw.decode("utf-8"), hashlib.sha256(raw).hexdigest()
    except UnicodeDecodeError:
        raise ImportFileError(path.name, None, None, "not a UTF-8 text file") from None


def json_lines(text: str, file: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; invalid JSON names its line."""
    if text.lstrip().startswith("["):
        raise ImportFileError(
            file, None, None, "expected JSON Lines (one JSON object per line), found a JSON array"
        )
    lines = text.splitlines()
    last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
    objects = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            truncated = number == last and not line.rstrip().endswith("}")
            hint = "; the line ends early (truncated file?)" if truncated else ""
            raise ImportFileError(
                file,
                f"line {number}",
                None,
                f"invalid JSON at column {exc.colno} ({exc.msg}){hint}",
            ) from None
        if not isinstance(value, dict):
            raise ImportFileError(
                file, f"line {number}", None, f"expected a JSON object, got {type(value).__name__}"
            )
        objects.append((number, value))
    if not objects:
        raise ImportFileError(file, None, None, "the file holds no records")
    return objects
