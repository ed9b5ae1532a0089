"""The analytic mode agrees with the simulation within 10 % across the grid (agreement.py)."""

from __future__ import annotations

import pytest
from agreement import LOADS, METRICS, MIXES, compare_load, compare_saturation
from stepmodels import SHAPES

TOLERANCE = 0.10


@pytest.mark.slow
@pytest.mark.parametrize("mix", list(MIXES))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_saturation_throughput(shape: str, mix: str) -> None:
    agreement = compare_saturation(shape, mix)
    assert abs(agreement.error("throughput")) <= TOLERANCE, agreement


#: Grid points where the analytic mode is known to miss by more than the tolerance.
KNOWN_GAPS = {
    # A KV-limited small accelerator at 90 % load with long, chunked prompts: the simulation
    # thrashes (13 % of requests preempted, queues 3x longer than the soft-limit queueing
    # model predicts): TTFT p50 -14 %, E2E p50 -11 %.
    ("small-on-small", "rag lognormal", 0.9),
}


def grid() -> list[object]:
    points: list[object] = []
    for shape in SHAPES:
        for mix in MIXES:
            for fraction in LOADS:
                marks = []
                if (shape, mix, fraction) in KNOWN_GAPS:
                    marks.append(pytest.mark.xfail(reason="known gap, see KNOWN_GAPS"))
                points.append(pytest.param(shape, mix, fraction, marks=marks))
    return points


@pytest.mark.slow
@pytest.mark.parametrize(("shape", "mix", "fraction"), grid())
def test_median_latencies_and_throughput(shape: str, mix: str, fraction: float) -> None:
    agreement = compare_load(shape, mix, fraction)
    errors = {m: round(agreement.error(m), 3) for m in METRICS}
    assert all(abs(e) <= TOLERANCE for e in errors.values()), (errors, agreement)
