"""tools/build_benchmark_seed.py: which AIConfigurator layouts the seed keeps (synthetic CSV
rows; the real CSV ships in the aiconfigurator-core wheel, which tests never download)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from tests.script_loading import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "build_benchmark_seed.py"


@pytest.fixture(scope="module")
def seed() -> ModuleType:
    return load_script("build_benchmark_seed", SCRIPT)


def _row(tp: str, moe_tp: str, moe_ep: str, attention_dp: str = "") -> dict[str, str]:
    return {
        "tp_size": tp,
        "moe_tp_size": moe_tp,
        "moe_ep_size": moe_ep,
        "attention_dp_size": attention_dp,
    }


@pytest.mark.parametrize(
    ("row", "beyond"),
    [
        (_row("1", "2", "1"), True),  # vLLM -dp 2: experts over 2 GPUs, attention on 1
        (_row("2", "4", "1"), True),
        (_row("4", "2", "2"), False),  # experts TP2 x EP2 over the same 4 GPUs
        (_row("8", "1", "8"), False),  # --enable-expert-parallel over the TP group
        (_row("8", "", ""), False),  # a dense model
        (_row("1", "1", "8", attention_dp="8"), False),  # wide EP: attention data-parallel
    ],
)
def test_experts_spread_beyond_the_attention_group_are_recognised(
    seed: ModuleType, row: dict[str, str], beyond: bool
) -> None:
    assert seed._experts_beyond_attention(row) is beyond


def _aic_row(model_path: str, system: str, gemm: str, tp: str, k: str) -> dict[str, str]:
    return {
        **_row(tp, k, k),
        "model_path": model_path,
        "system": system,
        "gemm_quant_mode": gemm,
        "precision": gemm,
    }


def test_a_squared_ep_row_is_recoded_to_the_gpus_its_weights_fit_on(seed: ModuleType) -> None:
    # gpt-oss-120b (about 65 GB in MXFP4) fits two H200s: a --tp 2 --ep 2 run coded as tp 4.
    gpt_oss = _aic_row("openai/gpt-oss-120b", "h200_sxm", "nvfp4", "4", "2")
    row, note = seed.recode_squared_ep(gpt_oss)
    assert (row["tp_size"], row["moe_tp_size"]) == ("2", "1")
    assert note is not None and "--tp 2 --ep 2" in note
    # Qwen3-235B-A22B in FP8 (about 235 GB) does not fit two H100s (160 GB): four GPUs, its
    # experts split moe_tp 2 x moe_ep 2, as stated.
    stated = _aic_row("Qwen/Qwen3-235B-A22B-FP8", "h100_sxm", "fp8_block", "4", "2")
    assert seed.recode_squared_ep(stated) == (stated, None)


@pytest.mark.parametrize(
    ("tp", "wide_ep", "uneven"),
    [("8", False, False), ("36", False, True), ("72", False, True), ("72", True, False)],
)
def test_a_tensor_parallelism_that_splits_the_heads_unevenly_is_left_out(
    seed: ModuleType, tp: str, wide_ep: bool, uneven: bool
) -> None:
    # DeepSeek-R1 has 128 attention heads: no engine starts it at TP 36 or 72; wide EP runs
    # attention data-parallel, all heads on every rank.
    row = _aic_row("deepseek-ai/DeepSeek-R1", "gb200", "nvfp4", tp, "1")
    assert seed._heads_split_unevenly(row, wide_ep=wide_ep) is uneven


def test_only_tensorrt_llm_rows_state_their_checkpoint(seed: ModuleType) -> None:
    row = _aic_row("Qwen/Qwen3-32B", "h100_sxm", "fp8", "1", "")
    assert seed._stated_checkpoint({**row, "backend": "trtllm"}) == "Qwen/Qwen3-32B"
    assert seed._stated_checkpoint({**row, "backend": "sglang"}) is None
