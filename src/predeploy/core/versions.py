"""Engine release strings (``v0.5.3``, ``0.6.0.post1``) as comparable release numbers."""

from __future__ import annotations

import re

_RELEASE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_MINOR_RELEASE = re.compile(r"v?(\d+)\.(\d+)")


def release(version: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a release string, ``None`` when absent or unparsed."""
    match = _RELEASE.match((version or "").strip())
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def minor_release(version: str | None) -> tuple[int, int] | None:
    """``(major, minor)`` of a string that starts with one (``0.17``, ``v1.0 docs``,
    ``v0.11.0``), ``None`` when absent or unparsed."""
    match = _MINOR_RELEASE.match((version or "").strip())
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))
