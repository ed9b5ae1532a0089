"""bench/measurement_bounds.py: measurements against the compute and bandwidth bounds their
labels imply."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.script_loading import load_script

from predeploy.core.calibration_problem import Measurement
from predeploy.core.types import (
    Engine,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.services.perf import default_catalog

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


def test_the_knowledge_base_is_scanned(mb: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert mb.main([]) == 0
    out = capsys.readouterr().out
    assert "beyond the bound" in out and "leaves out as mislabelled" in out
