"""Repeated measurements predicted by the other runs of their scenario."""

from __future__ import annotations

from typing import Any

import pytest

from predeploy.core.cases import parse_case
from predeploy.core.repeatability import replicate_predictions, run_key, scenario_key
from predeploy.core.scoring import ScoredCase, score


def _case(case_id: str, ttft_ms: float, **scenario: Any) -> Any:
    base: dict[str, Any] = {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "engine": "trtllm",
        "input_tokens": 512,
        "output_tokens": 128,
        "load": {"kind": "request_rate", "value": 10.0, "arrival": "poisson"},
    }
    base.update(scenario)
    return parse_case(
        {
            "id": case_id,
            "source_key": "mlperf-inference-v5.1",
            "scenario": base,
            "expected": {"ttft_ms_p50": ttft_ms, "requests_per_s": 10.0},
        }
    )


def _mlperf(case_id: str, ttft_ms: float, submitter: str, system: str, **extra: Any) -> Any:
    return _case(
        case_id, ttft_ms, mlperf_submitter=submitter, mlperf_system=system, **extra
    )


def test_labels_and_run_identity_are_not_part_of_the_scenario() -> None:
    a = _mlperf("a", 100.0, "Dell", "XE9680", mlperf_benchmark="llama2-70b-99", gpu_label="x")
    b = _mlperf("b", 120.0, "Google", "A3", mlperf_benchmark="llama2-70b-99.9", gpu_label="y")
    assert scenario_key(a) == scenario_key(b)
    assert run_key(a) != run_key(b)


def test_anything_a_predictor_reads_separates_scenarios() -> None:
    a = _case("a", 100.0)
    assert scenario_key(a) != scenario_key(_case("b", 100.0, input_tokens=1024))
    assert scenario_key(a) != scenario_key(_case("c", 100.0, engine_version="v1.0"))
    assert scenario_key(a) != scenario_key(
        _case("d", 100.0, load={"kind": "request_rate", "value": 12.0, "arrival": "poisson"})
    )


def test_cases_without_an_mlperf_system_are_runs_of_their_own() -> None:
    assert run_key(_case("a", 1.0)) == ("a",)
    assert run_key(_mlperf("b", 1.0, "Dell", "XE9680")) == (
        "mlperf-inference-v5.1",
        "Dell",
        "XE9680",
    )


def test_each_run_is_predicted_by_the_median_of_the_others() -> None:
    cases = [
        _mlperf("a", 100.0, "Dell", "XE9680"),
        _mlperf("b", 110.0, "Google", "A3"),
        _mlperf("c", 130.0, "Nebius", "B200x8"),
        _case("alone", 999.0, input_tokens=2048),
    ]
    reps = replicate_predictions(cases)
    assert reps.scenarios == 1
    assert [c.id for c in reps.cases] == ["a", "b", "c"]
    assert reps.predictions["a"] == {"metrics": {"ttft_ms_p50": 120.0, "requests_per_s": 10.0}}
    assert reps.predictions["b"]["metrics"] == {"ttft_ms_p50": 115.0, "requests_per_s": 10.0}
    assert reps.predictions["c"]["metrics"] == {"ttft_ms_p50": 105.0, "requests_per_s": 10.0}


def test_a_run_filed_twice_counts_once_and_never_predicts_itself() -> None:
    # MLPerf files one run under both accuracy targets (llama2-70b-99 and -99.9).
    cases = [
        _mlperf("a99", 100.0, "Dell", "XE9680", mlperf_benchmark="llama2-70b-99"),
        _mlperf("a999", 100.0, "Dell", "XE9680", mlperf_benchmark="llama2-70b-99.9"),
        _mlperf("b", 150.0, "Google", "A3"),
    ]
    reps = replicate_predictions(cases)
    assert reps.duplicate_copies == 1
    assert [c.id for c in reps.cases] == ["a99", "b"]
    assert reps.predictions["a99"]["metrics"]["ttft_ms_p50"] == 150.0
    assert reps.predictions["b"]["metrics"]["ttft_ms_p50"] == 100.0


def test_a_single_run_is_no_replicate() -> None:
    cases = [
        _mlperf("a99", 100.0, "Dell", "XE9680"),
        _mlperf("a999", 104.0, "Dell", "XE9680"),
    ]
    reps = replicate_predictions(cases)
    assert reps.scenarios == 0
    assert reps.cases == ()
    assert reps.duplicate_copies == 0


def test_the_scorer_scores_the_replicate_predictions() -> None:
    cases = [_mlperf("a", 100.0, "Dell", "X"), _mlperf("b", 125.0, "Google", "Y")]
    reps = replicate_predictions(cases)
    table = [c.scored() for c in cases]
    expected = {"ttft_ms_p50": 100.0, "requests_per_s": 10.0}
    assert table[0] == ScoredCase("a", "trtllm", "request_rate", "mlperf-inference-v5.1", expected)
    result = score(table, reps.predictions)
    assert result.by_family["throughput"].median_ape == 0.0
    assert result.by_family["ttft"].median_ape == pytest.approx((0.25 + 0.2) / 2)
