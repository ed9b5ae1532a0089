"""Arrival processes, length sampling and the seeded request sample."""

from __future__ import annotations

import numpy as np
import pytest

from predeploy.core.arrivals import (
    ARRIVAL_PROCESSES,
    ConcurrencyArrivals,
    GammaArrivals,
    PoissonArrivals,
    arrival_process,
)
from predeploy.core.lengths import (
    LENGTH_SAMPLERS,
    lognormal_parameters,
    sample_token_lengths,
    token_length_grid,
)
from predeploy.core.sampling import RandomStreams, sample_requests
from predeploy.core.types import LoadSpec, TokenDistribution


def test_registry_covers_every_load_kind() -> None:
    kinds = ["poisson", "gamma", "concurrency", "burst", "static_batch", "max_throughput"]
    assert sorted(ARRIVAL_PROCESSES) == sorted(kinds)


def test_arrival_process_takes_the_fields_its_kind_uses() -> None:
    gamma = arrival_process(LoadSpec(kind="gamma", rate_rps=4.0, cv=2.0, concurrency=3))
    assert gamma == GammaArrivals(rate_rps=4.0, cv=2.0)
    assert isinstance(arrival_process(LoadSpec(kind="poisson", rate_rps=1.0)), PoissonArrivals)
    assert arrival_process(LoadSpec(kind="concurrency", concurrency=8)) == ConcurrencyArrivals(
        concurrency=8
    )


@pytest.mark.parametrize("kind", ["poisson", "gamma", "concurrency", "max_throughput"])
def test_a_run_that_states_its_size_has_that_many_requests(kind: str) -> None:
    stated = arrival_process(
        LoadSpec(kind=kind, rate_rps=2.0, concurrency=4, num_prompts=120)  # type: ignore[arg-type]
    )
    assert stated.request_count(5000) == 120
    unstated = arrival_process(LoadSpec(kind=kind, rate_rps=2.0, concurrency=4))  # type: ignore[arg-type]
    assert unstated.request_count(5000) == 5000


def test_unknown_kind_lists_the_valid_ones() -> None:
    bogus = LoadSpec.model_construct(kind="sinusoidal")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="valid kinds: burst, concurrency"):
        arrival_process(bogus)


def test_poisson_rate_and_first_arrival() -> None:
    times = PoissonArrivals(rate_rps=5.0).arrival_times_s(20_000, np.random.default_rng(1))
    assert times[0] == 0.0 and np.all(np.diff(times) >= 0)
    gaps = np.diff(times)
    assert gaps.mean() == pytest.approx(0.2, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.05)


def test_gamma_has_the_requested_burstiness() -> None:
    times = GammaArrivals(rate_rps=2.0, cv=3.0).arrival_times_s(40_000, np.random.default_rng(2))
    gaps = np.diff(times)
    assert gaps.mean() == pytest.approx(0.5, rel=0.05)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.1)


def test_common_random_numbers_across_rates() -> None:
    slow = PoissonArrivals(rate_rps=1.0).arrival_times_s(100, np.random.default_rng(3))
    fast = PoissonArrivals(rate_rps=4.0).arrival_times_s(100, np.random.default_rng(3))
    np.testing.assert_allclose(fast * 4.0, slow)


def test_closed_loop_and_batch_loads() -> None:
    assert ConcurrencyArrivals(concurrency=8).initial_in_flight(100) == 8
    burst = arrival_process(LoadSpec(kind="burst", num_prompts=50))
    assert burst.request_count(1000) == 50
    static = arrival_process(LoadSpec(kind="static_batch", batch_size=16))
    assert static.request_count(1000) == 16
    assert not static.arrival_times_s(16, np.random.default_rng(0)).any()


def test_a_closed_loop_runs_its_stated_number_of_requests() -> None:
    """``--num-prompts 40 --max-concurrency 8`` is a run of 40 requests, 8 at a time; without
    a stated size the caller's count holds."""
    stated = arrival_process(LoadSpec(kind="concurrency", concurrency=8, num_prompts=40))
    assert stated.request_count(1000) == 40 and stated.initial_in_flight(40) == 8
    assert ConcurrencyArrivals(concurrency=8).request_count(1000) == 1000


def test_length_samplers_by_kind() -> None:
    rng = np.random.default_rng(4)
    assert set(LENGTH_SAMPLERS) == {"fixed", "normal", "lognormal", "empirical"}
    fixed = sample_token_lengths(TokenDistribution.fixed(300), 10, rng)
    assert fixed.tolist() == [300] * 10
    normal = TokenDistribution(kind="normal", mean=100, stdev=80, max=200)
    drawn = sample_token_lengths(normal, 5000, rng)
    assert drawn.min() >= 1 and drawn.max() <= 200 and drawn.dtype == np.int64
    empirical = TokenDistribution(kind="empirical", mean=20, values=(10, 20, 30))
    assert set(sample_token_lengths(empirical, 200, rng).tolist()) == {10, 20, 30}


def test_lognormal_matches_mean_and_stdev() -> None:
    dist = TokenDistribution(kind="lognormal", mean=500, stdev=300)
    drawn = sample_token_lengths(dist, 200_000, np.random.default_rng(5))
    assert drawn.mean() == pytest.approx(500, rel=0.01)
    assert drawn.std() == pytest.approx(300, rel=0.03)
    grid = token_length_grid(dist)
    assert grid.mean() == pytest.approx(500, rel=0.03)


def test_lognormal_from_p95_when_no_stdev() -> None:
    dist = TokenDistribution(kind="lognormal", mean=400, p95=1000)
    mu, sigma = lognormal_parameters(dist)
    assert np.exp(mu + 1.6448536 * sigma) == pytest.approx(1000, rel=1e-6)
    assert np.exp(mu + sigma**2 / 2) == pytest.approx(400, rel=1e-9)


def test_lengths_clip_to_the_callers_upper_bound() -> None:
    dist = TokenDistribution(kind="lognormal", mean=1000, stdev=2000)
    drawn = sample_token_lengths(dist, 1000, np.random.default_rng(6), upper_tokens=1500)
    assert drawn.max() == 1500


def test_unknown_length_kind() -> None:
    bogus = TokenDistribution.model_construct(kind="zipf", mean=10.0, stdev=0.0, max=None)
    with pytest.raises(ValueError, match="valid kinds: empirical, fixed"):
        sample_token_lengths(bogus, 3, np.random.default_rng(0))  # type: ignore[arg-type]


def test_streams_are_independent_per_subsystem() -> None:
    a = RandomStreams.from_seed(7)
    b = RandomStreams.from_seed(7)
    assert a.arrivals.random() == b.arrivals.random()
    c = RandomStreams.from_seed(7)
    assert c.arrivals.random() != c.prompt_lengths.random()


def test_sample_lengths_do_not_depend_on_the_load() -> None:
    p = TokenDistribution(kind="lognormal", mean=200, stdev=100)
    o = TokenDistribution(kind="lognormal", mean=100, stdev=50)
    slow = sample_requests(LoadSpec(kind="poisson", rate_rps=1.0), p, o, 50, 11, 4096)
    burst = sample_requests(LoadSpec(kind="max_throughput"), p, o, 50, 11, 4096)
    np.testing.assert_array_equal(slow.prompt_tokens, burst.prompt_tokens)
    np.testing.assert_array_equal(slow.output_tokens, burst.output_tokens)


def test_sample_truncates_to_the_context() -> None:
    p = TokenDistribution(kind="lognormal", mean=900, stdev=600)
    o = TokenDistribution.fixed(300)
    w = sample_requests(LoadSpec(kind="max_throughput"), p, o, 500, 0, 1024)
    assert np.all(w.prompt_tokens + w.output_tokens <= 1024)
    assert w.num_truncated > 0


def test_static_batch_requests_are_identical() -> None:
    p = TokenDistribution(kind="lognormal", mean=200, stdev=100)
    w = sample_requests(LoadSpec(kind="static_batch", batch_size=8), p, p, 1000, 3, 4096)
    assert w.count == 8 and len(set(w.prompt_tokens.tolist())) == 1
