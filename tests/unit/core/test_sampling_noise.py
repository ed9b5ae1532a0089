"""Sampling noise of simulated percentiles, borderline verdicts and pooled seeds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from tests.planning_facts import LLAMA_70B, ToyEngine
from tests.unit.core.test_capacity import _config, _setup

from predeploy.core.capacity import MAX_EXTRA_SEEDS
from predeploy.core.sampling_noise import borderline, pool, relative_standard_error
from predeploy.core.slo_check import check_latency
from predeploy.core.types import Percentiles, PerfPrediction, ServingScenario


def _lognormal(median: float, sigma: float) -> Percentiles:
    z = {"p90": 1.2816, "p95": 1.6449, "p99": 2.3263}
    return Percentiles(mean=median * math.exp(sigma**2 / 2), p50=median,
                       **{k: median * math.exp(sigma * v) for k, v in z.items()})


def test_relative_standard_error_of_simulated_percentiles() -> None:
    values = _lognormal(100.0, 0.5)
    p90 = relative_standard_error(values, "p90", 400)
    assert p90 == pytest.approx(0.043, abs=0.002)  # the ±8 % scatter seen across seeds
    assert relative_standard_error(values, "p99", 400) > p90
    assert relative_standard_error(values, "p50", 400) < p90
    assert relative_standard_error(values, "p90", 1600) == pytest.approx(p90 / 2)
    # A tight distribution scatters less; a flat one still a little.
    assert relative_standard_error(_lognormal(100.0, 0.1), "p90", 400) < p90 / 4
    assert relative_standard_error(Percentiles(mean=5, p50=5, p90=5), "p90", 400) > 0


@dataclass
class NoisyEngine(ToyEngine):
    """The test double with seed-to-seed scatter in its "simulations": ±6 % by seed parity."""

    def predict(self, scenario: ServingScenario, mode: str, *, num_requests: int,
                seed: int) -> PerfPrediction:
        out = super().predict(scenario, mode, num_requests=num_requests, seed=seed)
        if mode != "simulate":
            return out
        f = 1.06 if seed % 2 else 0.94
        m = out.metrics
        scaled = {name: Percentiles(**{k: v * f for k, v in getattr(m, name).model_dump().items()})
                  for name in ("ttft_ms", "itl_ms", "tpot_ms", "e2e_ms")}
        return out.model_copy(update={"metrics": m.model_copy(update=scaled)})


def _borderline_setup(target_factor: float):  # type: ignore[no-untyped-def]
    """An evaluator whose TTFT p90 target sits ``target_factor`` × the simulated p90 / (1 − h)."""
    probe, evaluator = _setup(4.0, {"ttft_ms": {"p90": 1e6}})
    config = _config(probe, LLAMA_70B)
    first = evaluator.evaluate(config, 2, 4.0, "simulate")
    p90 = first.prediction.metrics.ttft_ms.p90
    assert p90 is not None
    engine = NoisyEngine()
    _, evaluator = _setup(4.0, {"ttft_ms": {"p90": p90 / 0.9 * target_factor}})
    evaluator.engine = engine
    return engine, evaluator, config


def test_a_borderline_verdict_is_decided_on_more_seeds() -> None:
    engine, evaluator, config = _borderline_setup(1.0)
    verdict = evaluator.evaluate(config, 2, 4.0, "simulate")
    assert engine.calls.count("simulate") == 1 + MAX_EXTRA_SEEDS
    # Pooled over three seeds (0.94, 1.06, 0.94 by parity): the mean of the estimates.
    provenance = verdict.prediction.metrics.provenance
    assert provenance.num_requests_simulated == 3 * 200  # PlannerOptions(num_requests=200)
    again = evaluator.evaluate(config, 2, 4.0, "simulate")
    assert again == verdict and engine.calls.count("simulate") == 1 + MAX_EXTRA_SEEDS


def test_a_clear_verdict_takes_one_simulation() -> None:
    engine, evaluator, config = _borderline_setup(3.0)
    assert evaluator.evaluate(config, 2, 4.0, "simulate").ok
    assert engine.calls.count("simulate") == 1
    engine, evaluator, config = _borderline_setup(0.3)
    assert not evaluator.evaluate(config, 2, 4.0, "simulate").ok
    assert engine.calls.count("simulate") == 1


def test_borderline_checks_and_pooling() -> None:
    engine = ToyEngine()
    _, evaluator = _setup(4.0, {"ttft_ms": {"p90": 1e6}})
    config = _config(engine, LLAMA_70B)
    run = evaluator.evaluate(config, 2, 4.0, "simulate").prediction
    p90 = run.metrics.ttft_ms.p90
    assert p90 is not None
    near = check_latency(run.metrics, [("ttft_ms", "p90", p90 / 0.9)])
    far = check_latency(run.metrics, [("ttft_ms", "p90", p90 * 5)])
    assert borderline(near, run, 0.1, 400) == ["ttft_ms.p90"]
    assert borderline(far, run, 0.1, 400) == []
    doubled = run.model_copy(update={"metrics": run.metrics.model_copy(update={
        "ttft_ms": Percentiles(**{k: 3 * v for k, v in run.metrics.ttft_ms.model_dump().items()}),
        "requests_per_s": 3 * run.metrics.requests_per_s,
    })})
    pooled = pool([run, doubled])
    assert pooled.metrics.ttft_ms.p90 == pytest.approx(2 * p90)
    assert pooled.metrics.requests_per_s == pytest.approx(2 * run.metrics.requests_per_s)
    assert pool([run]) is run
