"""The running batch of a finite open loop (``fluid_steady.finite_run_batch``)."""

from __future__ import annotations

import numpy as np
import pytest

from predeploy.core.fluid_steady import finite_run_batch


def _overlap_batch(steady_batch: float, num_prompts: float) -> float:
    """The mean over requests of the others in flight, by quadrature: ``N`` arrivals spread
    evenly over ``T = N/λ``, each in flight for ``τ`` (units: ``τ = 1``, ``λ = b``)."""
    span = num_prompts / steady_batch
    t = (np.arange(4000) + 0.5) / 4000 * span
    overlap = np.clip(1.0 - np.abs(t[:, None] - t[None, :]), 0.0, None)
    return float(steady_batch * overlap.mean() * span)


@pytest.mark.parametrize(
    ("steady_batch", "num_prompts"), [(50.0, 1000.0), (120.0, 200.0), (200.0, 200.0),
                                      (300.0, 100.0), (800.0, 50.0)]
)
def test_the_batch_is_the_mean_overlap_of_the_requests(
    steady_batch: float, num_prompts: float
) -> None:
    got = finite_run_batch(np.array([steady_batch]), np.array([num_prompts]))[0]
    assert got == pytest.approx(_overlap_batch(steady_batch, num_prompts), rel=2e-3)


def test_limits() -> None:
    steady = np.array([64.0, 64.0, 64.0, 5000.0])
    prompts = np.array([np.inf, 1e7, 64.0, 100.0])
    got = finite_run_batch(steady, prompts)
    assert got[0] == 64.0  # an open-ended run
    assert got[1] == pytest.approx(64.0, rel=1e-5)
    assert got[2] == pytest.approx(64.0 * 2.0 / 3.0)  # the run lasts one lifetime
    assert got[3] == pytest.approx(100.0, rel=0.01)  # all arrive within a lifetime
    assert np.all(got <= np.minimum(steady, prompts) + 1e-9)


def test_rises_with_the_steady_batch_and_the_run_length() -> None:
    batches = np.linspace(1.0, 2000.0, 400)
    assert np.all(np.diff(finite_run_batch(batches, np.full_like(batches, 300.0))) > 0)
    runs = np.linspace(1.0, 5000.0, 400)
    assert np.all(np.diff(finite_run_batch(np.full_like(runs, 300.0), runs)) > 0)
