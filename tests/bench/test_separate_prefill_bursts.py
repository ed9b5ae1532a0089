"""bench/separate_prefill_bursts.py: the medians of its table."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType

import pytest
from tests.script_loading import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "separate_prefill_bursts.py"


@pytest.fixture(scope="module")
def spb() -> ModuleType:
    return load_script("separate_prefill_bursts", SCRIPT)


def test_the_table_takes_median_log_ratios_of_the_rows_that_have_all_three(
    spb: ModuleType,
) -> None:
    rows = [
        {
            "expected": {"tpot_ms_p99": 200.0},
            "analytic": {"tpot_ms_p99": 100.0},
            "simulated": {"tpot_ms_p99": 200.0},
        },
        {
            "expected": {"tpot_ms_p99": 100.0},
            "analytic": {"tpot_ms_p99": 100.0},
            "simulated": {"tpot_ms_p99": 50.0},
        },
        {
            "expected": {"tpot_ms_p99": 100.0},
            "analytic": {"tpot_ms_p99": 100.0},
            "simulated": {"tpot_ms_p99": 100.0},
        },
        {"expected": {"tpot_ms_p99": 100.0}, "analytic": {}, "simulated": {}},
    ]
    count, (ana, sim, between, bias_ana, bias_sim) = spb._median_logs(rows, "tpot_ms_p99")
    assert count == 3
    assert ana == pytest.approx(0.0)  # |log 2|, 0, 0
    assert sim == pytest.approx(0.0)  # 0, |log 2|, 0
    assert between == pytest.approx(math.log(2.0))  # log 2, |log 0.5|, 0
    assert bias_ana == pytest.approx(0.0) and bias_sim == pytest.approx(0.0)
    assert spb._median_logs(rows, "ttft_ms_p50") is None
