"""Release strings as comparable release numbers."""

from __future__ import annotations

import pytest

from predeploy.core.versions import release


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0.6.3", (0, 6, 3)),
        ("v0.5.2", (0, 5, 2)),
        (" 0.5.3rc1 ", (0, 5, 3)),
        ("0.6.0.post1", (0, 6, 0)),
        ("0.10", None),
        ("vLLM 0.10.0, RHEL 9.6", None),
        ("", None),
        (None, None),
    ],
)
def test_release(text: str | None, parsed: tuple[int, int, int] | None) -> None:
    assert release(text) == parsed
