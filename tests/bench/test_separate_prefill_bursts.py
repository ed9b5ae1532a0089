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
    found = spb._median_logs(rows, "tpot_ms_p99")
    assert found.cases == 3
    assert found.measured_analytic == pytest.approx(0.0)  # |log 2|, 0, 0
    assert found.measured_simulated == pytest.approx(0.0)  # 0, |log 2|, 0
    assert found.simulated_analytic == pytest.approx(math.log(2.0))  # log 2, |log 0.5|, 0
    assert found.measured_analytic_bias == pytest.approx(0.0)
    assert found.measured_simulated_bias == pytest.approx(0.0)
    assert spb._median_logs(rows, "ttft_ms_p50") is None
