"""Engine release strings (``v0.5.3``, ``0.6.0.post1``, ``vLLM 0.10.0, RHEL 9.6``) as comparable
release numbers, and builds dated by month (``May 2024 snapshot``) as comparable months."""

from __future__ import annotations

import re

_RELEASE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_MINOR_RELEASE = re.compile(r"v?(\d+)\.(\d+)")
#: The engine's own name before its release (``vLLM 0.10.0, RHEL 9.6``); another product's
#: (``TensorRT 10.11``, the compiler under TensorRT-LLM) does not name the engine's release.
_ENGINE_NAME = re.compile(r"(?:vllm|sglang|lmdeploy|tensorrt-llm|trt-llm)[\s:/-]*", re.IGNORECASE)


def _release_text(version: str | None) -> str:
    text = (version or "").strip()
    named = _ENGINE_NAME.match(text)
    return text[named.end() :] if named else text


def release(version: str | None) -> tuple[int, int, int] | None:
    """``(major, minor, patch)`` of a release string, ``None`` when absent or unparsed."""
    match = _RELEASE.match(_release_text(version))
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def minor_release(version: str | None) -> tuple[int, int] | None:
    """``(major, minor)`` of a string that starts with one (``0.17``, ``v1.0 docs``,
    ``v0.11.0``), ``None`` when absent or unparsed."""
    match = _MINOR_RELEASE.match(_release_text(version))
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: A build dated by month and year ("May 2024 snapshot", "Dec 2023").
_MONTH_YEAR = re.compile(rf"\b({'|'.join(_MONTHS)})[a-z]*\.?\s+(20\d\d)\b")


def build_month(version: str | None) -> tuple[int, int] | None:
    """``(year, month)`` of a build dated by month (``May 2024 snapshot``), ``None`` when the
    string names no month and year."""
    found = _MONTH_YEAR.search((version or "").lower())
    if found is None:
        return None
    return int(found.group(2)), _MONTHS.index(found.group(1)) + 1
