"""``core.fluid_stall_tpot``: the TPOT of a first wave that separate prefill batches stall,
from the product of its positions and the answer law."""

from __future__ import annotations

import numpy as np
import pytest
from tests.perf_fixtures import chat_burst

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid_stall_tpot import OUTPUT_POINTS, _mixture_stats
from predeploy.core.perf import predict

PARAMS = ParameterSet()


def _uniform_stalls(points: int) -> np.ndarray:
    return 2.0 * (np.arange(points) + 0.5) / points


def test_a_first_wave_of_alike_answers_is_its_decode_and_its_stall_per_gap() -> None:
    """Every answer 11 tokens (10 gaps), each position stalled ``X`` (uniform on 0-2 s) on top
    of 50 ms a gap: TPOT = 0.05 + X/10, whose mean and percentiles are known."""
    stall = _uniform_stalls(128)
    tpot = 0.05 + stall / 10.0
    first = np.ones(128, dtype=bool)
    law_gaps = np.full(OUTPUT_POINTS, 10.0)
    mean, quantiles = _mixture_stats(tpot, stall, stall, first, np.full(128, 11.0), law_gaps)
    assert mean == pytest.approx(0.05 + 0.1, rel=1e-9)
    levels = np.array([0.5, 0.9, 0.95, 0.99])
    assert quantiles == pytest.approx(0.05 + 2.0 * levels / 10.0, rel=0.01)


def test_short_answers_take_the_stalls_tail_and_single_tokens_have_no_tpot() -> None:
    """Half the answers one gap, half 100: the one-gap answers carry the whole stall (TPOT up to
    2 s), the long ones a hundredth of it; single-token answers added to the law change
    nothing (they have no TPOT)."""
    stall = _uniform_stalls(128)
    first = np.ones(128, dtype=bool)
    out = np.where(np.arange(128) % 2 == 0, 2.0, 101.0)
    tpot = 0.05 + stall / (out - 1.0)
    law = np.where(np.arange(OUTPUT_POINTS) < OUTPUT_POINTS // 2, 1.0, 100.0)
    mean, quantiles = _mixture_stats(tpot, stall, stall, first, out, law)
    assert mean == pytest.approx(0.05 + 0.5 * 1.0 + 0.5 * 0.01, rel=1e-9)
    # p99: the one-gap half's 98th percentile of X; p50: the top of the 100-gap half.
    assert quantiles[-1] == pytest.approx(0.05 + 2.0 * 0.98, rel=0.01)
    assert quantiles[0] == pytest.approx(0.05 + 0.02, rel=0.02)
    with_singles = np.concatenate([law, np.zeros(OUTPUT_POINTS)])[::2]
    assert _mixture_stats(tpot, stall, stall, first, out, np.sort(with_singles)).mean_s == (
        pytest.approx(mean, rel=1e-9)
    )


def test_the_next_waves_prefill_counts_per_token_and_other_positions_keep_their_tpot() -> None:
    """A first wave whose stall holds the next wave's prefill too (0.5 s each) meets it over
    its life: per token at the wave's mean, not in one gap. Positions outside the first wave
    keep their own TPOT."""
    stall = _uniform_stalls(128)
    first = np.arange(128) < 64
    out = np.full(128, 11.0)
    tpot = np.where(first, 0.05 + (stall + 0.5) / 10.0, 0.3)
    law = np.full(OUTPUT_POINTS, 10.0)
    mean, _ = _mixture_stats(tpot, stall + 0.5, stall, first, out, law)
    first_mean = 0.05 + 0.05 + stall[first].mean() / 10.0
    assert mean == pytest.approx(0.5 * first_mean + 0.5 * 0.3, rel=1e-9)


def test_a_separate_prefill_bursts_tpot_mean_and_tail_are_the_simulated() -> None:
    """SGLang's burst of 1,000 chat requests on an H100: the short answers of the first wave
    set the TPOT's tail (the grid's pairing of positions and answers had its p99 21 % under
    the simulated, its mean 6 %)."""
    analytic = predict(chat_burst("sglang"), PARAMS).metrics.tpot_ms
    simulated = predict(chat_burst("sglang"), PARAMS, mode="simulate", seed=1).metrics.tpot_ms
    assert analytic.mean == pytest.approx(simulated.mean, rel=0.1)
    assert analytic.p90 == pytest.approx(simulated.p90, rel=0.15)
    assert analytic.p99 == pytest.approx(simulated.p99, rel=0.15)
