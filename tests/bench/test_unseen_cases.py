"""The transcribed never-fitted measurements of bench/data are well-formed and predictable."""

from __future__ import annotations

import json
from pathlib import Path

from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    load_parameters,
    predict_cases,
    read_benchmark_records,
)

CASES = Path(__file__).resolve().parents[2] / "bench" / "data" / "unseen_trtllm_cases.jsonl"
COMMIT = "258c7540c03517def55d9a5aadfa9288af474e1b"


def _lines() -> list[str]:
    return [t for t in CASES.read_text().splitlines() if t.strip()]


def test_every_case_parses_with_its_provenance() -> None:
    cases = cases_from_lines(_lines())
    assert len(cases) == 445
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert COMMIT in case.source and case.source_url and COMMIT in case.source_url
        assert case.notes and case.expected
        assert all(v > 0 for v in case.expected.values())


def test_the_cases_are_not_in_the_fitted_records() -> None:
    fitted = {r.source_key for r in read_benchmark_records()}
    sources = {c.source_key for c in cases_from_lines(_lines())}
    assert sources == {"trtllm-perf-overview-v0.17", "trtllm-online-serving-v0.14"}
    assert not sources & fitted


def test_every_case_is_predicted() -> None:
    objects = [json.loads(t) for t in _lines()]
    rows = predict_cases(objects, default_catalog(), load_parameters())
    assert all(not r.get("error") and r["metrics"] for r in rows)
