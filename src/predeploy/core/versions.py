"""Engine release strings (``v0.5.3``, ``0.6.0.post1``) as comparable release numbers."""

from __future__ import annotations

import re

_RELEASE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")


def release(version: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a release string, ``None`` when absent or unparsed."""
    match = _RELEASE.match((version or "").strip())
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch
