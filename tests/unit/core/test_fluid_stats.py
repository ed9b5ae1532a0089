"""Distribution helpers of the fluid model: Φ⁻¹, selection, clamping and percentiles."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from predeploy.core.fluid_stats import (
    PERCENTILES,
    SCALAR_QUANTILE_MAX_VALUES,
    along_rows,
    any_true,
    clamp,
    columns,
    drain_seen_share,
    expected_chunks,
    first_match,
    latency_stats,
    lognormal_factor,
    lognormal_limited_mean,
    lognormal_residual_limited_mean,
    longest_residual_excess,
    normal_quantile,
    regularized_lower_gamma,
    renewal_time,
    row_mean,
)
from predeploy.core.occupancy import normal_cdf


def test_normal_quantile_known_values() -> None:
    p = np.array([0.5, 0.975, 0.99, 0.025, 1e-10])
    expected = [0.0, 1.959963984540054, 2.326347874040841, -1.959963984540054, -6.361340902404]
    assert normal_quantile(p) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_normal_quantile_small_and_large_arrays_agree_exactly() -> None:
    """Small arrays take the standard library's compiled AS241, large ones the vectorised
    form: the same algorithm, the same values, whatever the batch size."""
    p = np.concatenate([np.linspace(1e-12, 1 - 1e-12, 4001), [0.075, 0.925, 0.5, 1e-300]])
    large = normal_quantile(p)
    assert p.size > SCALAR_QUANTILE_MAX_VALUES
    small = np.concatenate([normal_quantile(chunk) for chunk in np.array_split(p, p.size // 8)])
    assert np.array_equal(large, small)
    inv_cdf = statistics.NormalDist().inv_cdf
    assert large[:-1] == pytest.approx([inv_cdf(x) for x in p[:-1]], rel=1e-15, abs=1e-15)
    assert np.all(np.diff(large[:4001]) > 0)


def test_normal_quantile_keeps_the_shape() -> None:
    levels = np.array([[0.5], [0.9], [0.99]])
    assert normal_quantile(levels).shape == (3, 1)
    assert normal_quantile(np.full((2, 100), 0.9)).shape == (2, 100)


@given(
    st.lists(st.floats(min_value=-5, max_value=5), min_size=1, max_size=12),
    st.floats(min_value=-2, max_value=0),
    st.floats(min_value=0, max_value=2),
)
def test_clamp_is_clip(values: list[float], low: float, high: float) -> None:
    x = np.array(values)
    assert np.array_equal(clamp(x, low, high), np.clip(x, low, high))


def test_any_true_is_any() -> None:
    rng = np.random.default_rng(11)
    for shape in [(1,), (5,), (3, 7), (0,)]:
        for share in (0.0, 0.05, 1.0):
            mask = rng.random(shape) < share
            assert any_true(mask) is bool(mask.any())
    assert any_true(np.array([0.0, 2.0])) and not any_true(np.zeros(3))


def test_row_mean_is_mean_exactly() -> None:
    rng = np.random.default_rng(12)
    for shape in [(1, 128), (4, 7), (3, 1)]:
        values = rng.lognormal(size=shape)
        assert np.array_equal(row_mean(values), values.mean(axis=1))


def test_along_rows_is_take_along_axis() -> None:
    rng = np.random.default_rng(13)
    values = rng.normal(size=(4, 9))
    index = rng.integers(0, 9, size=(4, 5))
    assert np.array_equal(along_rows(values, index), np.take_along_axis(values, index, axis=1))
    # One row of values read at every row's indices, as take_along_axis broadcasts it.
    shared = rng.normal(size=(1, 9))
    assert np.array_equal(along_rows(shared, index), np.take_along_axis(shared, index, axis=1))


def test_first_match_is_select() -> None:
    rng = np.random.default_rng(3)
    kinds = rng.integers(0, 4, size=50)
    choices = [rng.normal(size=50) for _ in range(3)]
    conditions = [kinds == 0, kinds <= 1, kinds == 2]
    assert np.array_equal(
        first_match(conditions, choices, -1.0), np.select(conditions, choices, -1.0)
    )


def test_latency_stats_are_numpy_hazen_percentiles() -> None:
    rng = np.random.default_rng(5)
    samples = {"ttft_ms": rng.lognormal(size=(7, 128)), "e2e_ms": rng.exponential(size=(7, 128))}
    out: dict[str, np.ndarray] = {}
    latency_stats(samples, out)
    # Each named array's statistics are its own, though all are sorted in one call.
    for name, values in samples.items():
        assert out[f"{name}_mean"] == pytest.approx(values.mean(axis=1), rel=1e-14)
        for label, q in PERCENTILES.items():
            assert out[f"{name}_{label}"] == pytest.approx(
                np.percentile(values, q, axis=1, method="hazen"), rel=1e-12
            )


def test_latency_stats_read_the_grid_at_its_strata() -> None:
    # Samples at the midpoints of 48 equal strata of an exponential: each percentile comes
    # out within the strata's resolution, where np.percentile's default put p99 at the 98th.
    points = 48
    levels = (np.arange(points) + 0.5) / points
    samples = -np.log(1.0 - levels)[None, :]
    out: dict[str, np.ndarray] = {}
    latency_stats({"ttft_ms": samples}, out)
    assert out["ttft_ms_p50"][0] == pytest.approx(np.log(2.0), rel=1e-3)
    assert out["ttft_ms_p90"][0] == pytest.approx(-np.log(0.1), rel=0.02)
    assert out["ttft_ms_p99"][0] == pytest.approx(-np.log(1.0 - 47.5 / 48), rel=1e-9)
    assert np.percentile(samples, 99) < 0.9 * out["ttft_ms_p99"][0]


def test_normal_cdf_matches_the_standard_library() -> None:
    xs = np.linspace(-6.0, 6.0, 97)
    expected = [statistics.NormalDist().cdf(float(x)) for x in xs]
    assert normal_cdf(xs) == pytest.approx(expected, abs=2e-7)


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0])
def test_a_draining_wave_is_seen_as_a_sampled_one_is(cv: float) -> None:
    """A random token of a wave of lognormal outputs sees the share S(p) still decoding:
    the closed form against a seeded sample of the same (length-biased) tokens."""
    rng = np.random.default_rng(7)
    sigma = np.sqrt(np.log1p(cv * cv))
    outputs = np.sort(np.exp(sigma * rng.standard_normal(200_000) - sigma * sigma / 2))
    token = rng.choice(outputs.size, 100_000, p=outputs / outputs.sum())
    position = rng.random(100_000) * outputs[token]
    seen = 1.0 - np.searchsorted(outputs, position) / outputs.size
    levels = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    assert drain_seen_share(levels, cv) == pytest.approx(np.quantile(seen, levels), abs=0.02)
    shares = drain_seen_share(np.linspace(0.0, 1.0, 11), cv)
    assert np.all(np.diff(shares) >= 0) and shares[-1] == pytest.approx(1.0, abs=1e-3)
    assert np.all(drain_seen_share(levels, 0.0) == 1.0)


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0])
def test_a_slots_renewals_end_when_sampled_ones_do(cv: float) -> None:
    """The time by which a slot serving lognormal lengths back to back has ended ``count`` of
    them on average: the renewal equation against seeded sums of sampled lengths, within a
    whole count and, past the table, beyond (the first length's quantile alone,
    ``F⁻¹(count)``, comes later, far later near a whole count)."""
    rng = np.random.default_rng(5)
    sigma = np.sqrt(np.log1p(cv * cv))
    ends = np.cumsum(np.exp(sigma * rng.standard_normal((40_000, 40)) - sigma**2 / 2), axis=1)
    times = np.linspace(0.001, 14.0, 1400)
    ended = np.searchsorted(np.sort(ends.ravel()), times, side="right") / ends.shape[0]
    counts = np.array([0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 3.0, 12.0])
    found = renewal_time(counts, np.full(counts.size, cv))
    assert found == pytest.approx(np.interp(counts, ended, times), rel=0.02)
    assert np.all(found[:6] < lognormal_factor(counts[:6], cv))
    assert np.all(np.diff(found) > 0)
    assert np.array_equal(renewal_time(counts, np.zeros(counts.size)), np.ceil(counts))


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0])
def test_a_lognormals_limited_mean_is_the_sampled_one(cv: float) -> None:
    """E[min(X, x)]: the closed form against a seeded sample of lognormal lengths of mean
    200, at limits around the mean; fixed lengths give min(mean, x)."""
    rng = np.random.default_rng(11)
    sigma = np.sqrt(np.log1p(cv * cv))
    lengths = 200.0 * np.exp(sigma * rng.standard_normal(400_000) - sigma * sigma / 2)
    limits = np.array([1.0, 20.0, 100.0, 200.0, 800.0, 5000.0])
    sampled = [np.minimum(lengths, x).mean() for x in limits]
    assert lognormal_limited_mean(limits, np.full(6, 200.0), cv) == pytest.approx(sampled, rel=0.02)
    assert np.array_equal(
        lognormal_limited_mean(limits, np.full(6, 200.0), 0.0), np.minimum(limits, 200.0)
    )


@pytest.mark.parametrize("cv", [0.5, 1.0, 2.0])
def test_a_residuals_limited_mean_is_the_sampled_one(cv: float) -> None:
    """E[min(R, k)] for the rest of a lognormal length found in progress: the closed form
    against a seeded sample (a length is met in proportion to itself, the point met in it is
    uniform); fixed lengths leave a uniform rest."""
    rng = np.random.default_rng(11)
    sigma = np.sqrt(np.log1p(cv * cv))
    lengths = 200.0 * np.exp(sigma * rng.standard_normal(400_000) - sigma * sigma / 2)
    met = rng.choice(lengths, size=400_000, p=lengths / lengths.sum())
    rest = met * rng.uniform(size=met.size)
    limits = np.array([1.0, 20.0, 100.0, 200.0, 800.0, 5000.0])
    sampled = [np.minimum(rest, k).mean() for k in limits]
    computed = lognormal_residual_limited_mean(limits, np.full(6, 200.0), cv)
    assert computed == pytest.approx(sampled, rel=0.02)
    # Never beyond the limit; without one, the rest's mean E[X²]/(2E[X]).
    assert np.all(computed <= limits)
    unlimited = lognormal_residual_limited_mean(np.array([1e9]), np.array([200.0]), cv)
    assert unlimited == pytest.approx([100.0 * (1.0 + cv * cv)], rel=1e-3)
    uniform = lognormal_residual_limited_mean(limits, np.full(6, 200.0), 0.0)
    assert uniform == pytest.approx(np.where(limits < 200.0, limits - limits**2 / 400.0, 100.0))


@pytest.mark.parametrize(("cv", "count"), [(0.5, 4), (0.8, 64), (2.0, 100)])
def test_the_longest_residual_is_a_sampled_one(cv: float, count: int) -> None:
    """The longest of ``count`` requests in flight against a seeded sample: lengths seen at a
    random time are length-biased, and the part still to come is a uniform share of one."""
    rng = np.random.default_rng(11)
    sigma = np.sqrt(np.log1p(cv * cv))
    lengths = np.exp(sigma * rng.standard_normal(400_000) - sigma * sigma / 2)
    cap = 10.0
    seen = rng.choice(lengths, (4000, count), p=lengths / lengths.sum())
    residual = np.minimum(rng.random(seen.shape) * seen, cap)
    sampled = residual.max(axis=1).mean() - residual.mean()
    assert longest_residual_excess(cv, count, cap) == pytest.approx(sampled, rel=0.03)


def test_the_longest_residual_limits() -> None:
    # Fixed lengths stay in step, one request has no longer one.
    assert longest_residual_excess(0.0, 64, 20.0) == 0.0
    assert longest_residual_excess(1.0, 1, 20.0) == 0.0
    # Nearly fixed lengths seen at random times are uniformly far along: E[max of 2] − E = 1/6.
    assert longest_residual_excess(0.02, 2, 20.0) == pytest.approx(1.0 / 6.0, abs=0.01)
    rising = [longest_residual_excess(1.0, n, 20.0) for n in (2, 8, 32, 128, 512)]
    assert np.all(np.diff(rising) > 0)
    # No residual exceeds the longest length.
    assert longest_residual_excess(2.0, 10_000, 3.0) < 3.0


@pytest.mark.parametrize("scenarios", [1, 3])
def test_a_scenario_column_broadcasts_against_the_grid_as_a_column(scenarios: int) -> None:
    """One scenario's column is 0-d (numpy's fast scalar path), several scenarios' a column:
    either way it meets each scenario's row of samples alone."""
    values = np.arange(1.0, scenarios + 1.0)
    samples = np.arange(scenarios * 5.0).reshape(scenarios, 5)
    assert np.array_equal(samples * columns(values), samples * values[:, None])
    assert np.array_equal(
        np.maximum(samples, columns(values)), np.maximum(samples, values[:, None])
    )
    assert columns(values).ndim == (0 if scenarios == 1 else 2)


def test_regularized_lower_gamma_holds_far_beyond_its_series() -> None:
    """From ``x ≥ a + 1`` the continued fraction takes over from the series, whose 12 terms
    gave 0.90 for 0.99998 at ``a`` = 0.25, ``x`` = 8."""
    x = np.array([2.0, 3.0, 5.0, 8.0, 20.0])
    assert regularized_lower_gamma(np.ones(5), x) == pytest.approx(1.0 - np.exp(-x), rel=1e-9)
    erf = np.array([math.erf(math.sqrt(v)) for v in x])
    assert regularized_lower_gamma(np.full(5, 0.5), x) == pytest.approx(erf, rel=1e-9)
    quarter = regularized_lower_gamma(np.full(5, 0.25), x)
    assert np.all(np.diff(quarter) > 0.0) and quarter[-1] == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("cv", [0.3, 0.5, 1.0, 2.0])
def test_a_prompts_expected_chunks_are_the_sampled_ones(cv: float) -> None:
    """E[⌈I/b⌉] of lognormal prompts of mean 4,000 against a seeded sample, through budgets
    from a tenth of the prompt to twice it; fixed prompts take ⌈I/b⌉ steps."""
    rng = np.random.default_rng(5)
    sigma = np.sqrt(np.log1p(cv * cv))
    prompts = 4000.0 * np.exp(sigma * rng.standard_normal(400_000) - sigma * sigma / 2)
    budgets = np.array([400.0, 1000.0, 1999.0, 2001.0, 4000.0, 8192.0])
    sampled = [np.ceil(prompts / b).mean() for b in budgets]
    found = expected_chunks(np.full(6, 4000.0), budgets, cv)
    assert found == pytest.approx(sampled, rel=0.01)
    fixed = expected_chunks(np.full(6, 4000.0), budgets, 0.0)
    assert np.array_equal(fixed, np.ceil(4000 / budgets))


def test_a_varied_prompts_chunks_change_smoothly_with_the_budget() -> None:
    """No step where the budget passes a multiple of the mean prompt (the ceiling of the mean
    jumped from 2 to 3 between budgets of 2,001 and 1,999 tokens)."""
    budgets = np.linspace(1500.0, 2500.0, 1001)
    chunks = expected_chunks(np.full(budgets.size, 4000.0), budgets, 0.5)
    assert np.all(np.diff(chunks) <= 0.0)
    assert np.max(np.abs(np.diff(chunks))) < 0.005  # a whole step for the ceiling
