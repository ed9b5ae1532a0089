"""Files the user names: read within a size limit, written whole or not at all.

Every problem is an :class:`~predeploy.core.errors.InputError` naming the path (a missing file,
a directory, a device such as /dev/zero, text that is not UTF-8, an unwritable folder).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from predeploy.core.errors import InputError


def read_text(path: Path, limit_bytes: int, what: str = "the file") -> str:
    """The UTF-8 text of ``path``, at most ``limit_bytes`` long (one byte past it is read, so a
    device or a pipe never fills memory); a decoding error names its line."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if len(raw) > limit_bytes:
        raise InputError(f"{path}: {what} is larger than the limit of {limit_bytes:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: {what} is not UTF-8 text") from None


def write_text_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` via a temporary file and a rename: never half-written."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name for the output")
    folder = next((p for p in path.parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise InputError(f"{path}: {folder} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
