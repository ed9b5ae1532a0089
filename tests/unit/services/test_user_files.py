"""User files: bounded reads and whole-or-nothing writes, errors naming the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from predeploy.core.errors import InputError
from predeploy.services.user_files import read_text, write_text_atomically


def test_reads_within_the_limit_and_names_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text("{}\n")
    assert read_text(path, 3) == "{}\n"
    with pytest.raises(InputError, match=r"spec.json: the spec is larger than the limit of 2 "):
        read_text(path, 2, "the spec")
    with pytest.raises(InputError, match="cannot read the file"):
        read_text(tmp_path, 100)
    path.write_bytes(b"ok\nok\n\xff\n")
    with pytest.raises(InputError, match=r"spec.json:3: the file is not UTF-8 text"):
        read_text(path, 100)


def test_writes_whole_files_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "new" / "out.jsonl"
    write_text_atomically(out, "a\n")
    assert out.read_text() == "a\n"
    with pytest.raises(InputError, match="is a directory"):
        write_text_atomically(tmp_path, "a\n")
    with pytest.raises(InputError, match="is a file, not a folder"):
        write_text_atomically(out / "x.jsonl", "a\n")
    assert sorted(p.name for p in out.parent.iterdir()) == ["out.jsonl"]  # no temporary left
