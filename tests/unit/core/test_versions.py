"""Release strings as comparable release numbers."""

from __future__ import annotations

import pytest

from predeploy.core.versions import build_month, minor_release, release


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0.6.3", (0, 6, 3)),
        ("v0.5.2", (0, 5, 2)),
        (" 0.5.3rc1 ", (0, 5, 3)),
        ("0.6.0.post1", (0, 6, 0)),
        ("0.10", None),
        # The engine's own name may come first; another product's release is not the engine's.
        ("vLLM 0.10.0, RHEL 9.6", (0, 10, 0)),
        ("vLLM 0.6.5.dev964+mlperf50, Pytorch 2.7", (0, 6, 5)),
        ("SGLang v0.4.6.post1", (0, 4, 6)),
        ("TensorRT 10.11, CUDA 12.9", None),
        ("Mango LLMBoost AI Enterprise Platform", None),
        ("", None),
        (None, None),
    ],
)
def test_release(text: str | None, parsed: tuple[int, int, int] | None) -> None:
    assert release(text) == parsed


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("0.17", (0, 17)),
        ("v1.0 docs", (1, 0)),
        ("v0.11.0", (0, 11)),
        ("1.2.0rc1", (1, 2)),
        ("TensorRT 10.11, CUDA 12.9", None),
        ("vLLM 0.9.0.2.dev108+g71faa18", (0, 9)),
        ("TensorRT-LLM 1.0.0rc4", (1, 0)),
        (None, None),
    ],
)
def test_minor_release(text: str | None, parsed: tuple[int, int] | None) -> None:
    assert minor_release(text) == parsed


@pytest.mark.parametrize(
    ("version", "month"),
    [("May 2024 snapshot (Metal)", (2024, 5)), ("Dec 2023 snapshot", (2023, 12)),
     ("Sept. 2025 build", (2025, 9)), ("b6918 (2f68ce7cf)", None), (None, None)],
)
def test_build_month(version: str | None, month: tuple[int, int] | None) -> None:
    assert build_month(version) == month
