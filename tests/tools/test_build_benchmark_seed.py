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
