"""bench/measurement_bounds.py: measurements against the compute and bandwidth bounds their
labels imply."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from tests.perf_fixtures import llama_8b_h100_case
from tests.script_loading import load_script

from predeploy.core.calibration_problem import Measurement
from predeploy.core.types import (
    Engine,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.services.perf import cases_from_lines, default_catalog, measurements_from_cases

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "measurement_bounds.py"


@pytest.fixture(scope="module")
def mb() -> ModuleType:
    return load_script("measurement_bounds", SCRIPT)


def _measurement(metrics: dict[str, float]) -> Measurement:
    catalog = default_catalog()
    card = catalog.model("meta-llama/Llama-3.1-8B-Instruct")
    scenario = ServingScenario(
        model_id=card.id,
        model=card.architecture,
        gpu=catalog.gpu("H100-SXM"),
        precision=Precision.BF16,
        engine=Engine.VLLM,
        prompt_tokens=TokenDistribution.fixed(1000),
        output_tokens=TokenDistribution.fixed(100),
        load=LoadSpec(kind="concurrency", concurrency=1),
    )
    return Measurement(scenario, metrics, "synthetic", "m")


def test_a_rate_beyond_the_dense_peak_is_flagged(mb: ModuleType) -> None:
    # 8B at 2 FLOPs per parameter: about 16 GFLOP a token; an H100's dense BF16 peak makes
    # about 60,000 tokens/s.
    share = mb.compute_share(_measurement({"total_tokens_per_s": 30_000.0}))
    assert 0.4 < share < 0.6
    assert mb.compute_share(_measurement({"total_tokens_per_s": 90_000.0})) > 1.0
    assert mb.compute_share(_measurement({"tpot_ms_p50": 10.0})) is None


def test_a_step_shorter_than_the_weights_read_is_flagged(mb: ModuleType) -> None:
    # 16 GB of BF16 weights at 3.35 TB/s: about 4.8 ms a step at the least.
    shares = mb.bandwidth_shares(_measurement({"tpot_ms_p50": 9.6, "itl_ms_p50": 0.1}))
    assert 0.4 < shares["tpot_ms_p50"] < 0.6
    assert shares["itl_ms_p50"] > 1.0
    single = mb.bandwidth_shares(_measurement({"decode_tokens_per_s_single_stream": 300.0}))
    assert single["decode_tokens_per_s_single_stream"] > 1.0


def test_a_first_token_sooner_than_its_prompts_arithmetic_is_flagged(mb: ModuleType) -> None:
    # 1,000 prompt tokens of an 8B model: about 16 TFLOP, some 16 ms at an H100's dense peak.
    assert 0.1 < mb.prefill_share(_measurement({"ttft_ms_p50": 100.0})) < 0.3
    assert mb.prefill_share(_measurement({"ttft_ms_mean": 5.0})) > 1.0
    assert mb.prefill_share(_measurement({"tpot_ms_p50": 10.0})) is None


def test_a_burst_s_first_tokens_sooner_than_its_queued_prefill_are_flagged(
    mb: ModuleType,
) -> None:
    # 1,000 prompts of 1,000 tokens sent at once: 10⁶ tokens of an 8B model, about 16 s of
    # dense BF16 arithmetic on an H100; half of it ahead of the median first token and, on
    # average, of each one (about 8 s).
    m = _measurement({"ttft_ms_mean": 4_000.0, "ttft_ms_p50": 40_000.0, "tpot_ms_p50": 9.0})
    burst = m.scenario.model_copy(update={"load": LoadSpec(kind="burst", num_prompts=1000)})
    shares = mb.queue_shares(Measurement(burst, m.metrics, "synthetic", "b"))
    assert set(shares) == {"ttft_ms_mean", "ttft_ms_p50"}
    assert 1.8 < shares["ttft_ms_mean"] < 2.3
    assert 0.18 < shares["ttft_ms_p50"] < 0.23
    # Shorter prompts first lower the bound: a spread of lengths of the same mean queues less.
    spread = burst.model_copy(
        update={"prompt_tokens": TokenDistribution(kind="lognormal", mean=1000, stdev=1000)}
    )
    lower = mb.queue_shares(Measurement(spread, m.metrics, "synthetic", "s"))
    assert lower["ttft_ms_mean"] < shares["ttft_ms_mean"]
    # A closed loop has no burst to queue behind.
    assert mb.queue_shares(m) == {}


def test_case_files_are_read_as_measurements(mb: ModuleType, tmp_path: Path) -> None:
    burst = {"kind": "burst", "num_prompts": 1000}
    case = llama_8b_h100_case("c1", burst, {"ttft_ms_mean": 4000.0})
    unknown = {**case, "id": "c2", "scenario": {**case["scenario"], "gpu": "no-such-gpu"}}
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in (case, unknown)) + "\n")
    cases = cases_from_lines(path.read_text().splitlines())
    (m,), skipped = measurements_from_cases(cases, default_catalog())
    assert m.id == "c1" and m.metrics == {"ttft_ms_mean": 4000.0} and m.load_kind == "burst"
    assert [s.split(":")[0] for s in skipped] == ["c2"]
    assert mb.queue_shares(m)["ttft_ms_mean"] > 1.0
    assert mb.main(["--cases", str(path)]) == 0


def test_the_knowledge_base_is_scanned(mb: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert mb.main([]) == 0
    out = capsys.readouterr().out
    assert "beyond the bound" in out and "leaves out as mislabelled" in out
    assert "queue:" in out
