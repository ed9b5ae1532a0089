"""The benchmarks' machine-speed line (bench/support/machine.py): what it reports, not how fast."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from tests.script_loading import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "support" / "machine.py"


def _machine() -> ModuleType:
    return load_script("bench_machine", SCRIPT)


#: The reference round's result on the arrays ``reference_ms`` uses. Readings taken in different
#: sessions are comparable only while the workload stays this computation.
REFERENCE_ROUND_RESULT = 567.6899871682585


def test_the_reference_round_is_a_fixed_computation() -> None:
    machine = _machine()
    a, b = np.linspace(1.0, 2.0, 128), np.linspace(0.5, 1.5, 128)
    assert machine._reference_round(a, b) == machine._reference_round(a, b)
    assert machine._reference_round(a, b) == pytest.approx(REFERENCE_ROUND_RESULT, rel=1e-9)


def test_describe_names_the_load_the_cpus_and_the_reference_time() -> None:
    line = _machine().describe()
    match = re.fullmatch(
        r"load average (\d+\.\d\d) on (\d+) CPUs; reference workload (\d+\.\d\d) ms .*", line
    )
    assert match is not None, line
    assert float(match.group(3)) > 0.0
