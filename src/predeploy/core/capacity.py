"""Capacity planner: the smallest replica count of one configuration that meets every SLO.

A *configuration* is model × accelerator × precision × tensor parallelism, with the vLLM
settings and memory fit the performance engine derived for the needed ``max_model_len``. The
planner loads one replica with ``rate / replicas`` (the router spreads requests evenly across
replicas; arrivals keep the traffic's burstiness, gamma with its CV) and asks the engine for
latency percentiles:

1. *screen* — one analytic prediction at an idle load gives the latency floor (what infinitely
   many replicas would reach) and the saturation rate of one replica. A target missed at the
   floor can't be met by adding replicas. Replicas needed ≥ ``⌈rate / ((1 − h) × saturation)⌉``
   with headroom ``h``: no replica is planned above ``1 − h`` of its saturation.
2. *size* — from that bound, replicas grow (doubling, then bisection) until the analytic
   prediction meets every target with the headroom.
3. *verify* — the simulation (seeded, ``num_requests`` requests) checks the sized plan; when it
   disagrees a replica is added and the plan re-verified. A verdict within the sampling noise
   of the simulated percentiles is decided on up to :data:`MAX_EXTRA_SEEDS` more seeds, pooled
   (``core.sampling_noise``).

The performance engine is an interface (:class:`PerformanceEngine`); the planner has no
performance model of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from predeploy.core.checkpoints import planned_architecture
from predeploy.core.sampling_noise import borderline, pool
from predeploy.core.sizing import (
    Configuration,
    Evaluation,
    PerformanceEngine,
    PredictMode,
    Screen,
    Sizing,
    SizingShortfall,
    Workload,
)
from predeploy.core.slo_check import check_latency, misses
from predeploy.core.types import PerfPrediction, PlannerOptions, Routing, ServingScenario
from predeploy.core.verification import first_miss, verify
from predeploy.core.wording import format_number, format_percent

# The planner's vocabulary is defined in ``core.sizing``; importing it from here keeps working.
__all__ = [
    "Configuration",
    "Evaluation",
    "Evaluator",
    "PerformanceEngine",
    "PredictMode",
    "Screen",
    "Sizing",
    "SizingShortfall",
    "Workload",
]

#: Per-replica load, as a fraction of the replica's saturation rate, taken as "idle": queueing
#: delay grows like ρ/(1 − ρ) (M/M/1), ≈ 2 % of a service time at ρ = 0.02 — negligible.
IDLE_UTILIZATION = 0.02
#: Engine steps one verification simulation may take (≈ 10 µs each in the simulator), and the
#: fewest requests it simulates whatever that costs (≈ 4 requests above the p99).
SIM_STEP_BUDGET = 20_000
MIN_SIM_REQUESTS = 400
#: Further seeds a verification simulates when its verdict is borderline (within the sampling
#: noise of the simulated percentiles; ``core.sampling_noise``), pooled with the first run.
MAX_EXTRA_SEEDS = 2
#: First screening load as a fraction of the sizing rate (re-done at IDLE_UTILIZATION of the
#: saturation rate when that turns out not to be idle for this configuration).
SCREEN_RATE_FRACTION = 1e-4


class Evaluator:
    """Runs the performance engine for one workload and counts what it costs."""

    def __init__(
        self, engine: PerformanceEngine, workload: Workload, options: PlannerOptions
    ) -> None:
        self.engine = engine
        self.workload = workload
        self.options = options
        self.analytic_calls = 0
        self.simulations = 0
        self._targets = workload.slo.latency_targets()
        self._scenarios: dict[int, ServingScenario] = {}
        self._configs: list[Configuration] = []
        #: Simulated predictions by scenario (less the model's name) and request count: drafts
        #: can share one configuration (an accelerator priced by several providers) or one
        #: architecture (a distill and its base model).
        self._simulated: dict[tuple[str, int, int], PerfPrediction] = {}

    def scenario(
        self, config: Configuration, per_replica_rps: float, replicas: int = 1
    ) -> ServingScenario:
        """One of ``replicas`` replicas of ``config`` loaded with ``per_replica_rps`` of the
        traffic."""
        base = self._scenarios.get(id(config))
        if base is None:
            card = config.model.card
            base = ServingScenario(
                model_id=card.id,
                model=planned_architecture(card.id, card.architecture, config.precision),
                gpu=config.gpu,
                precision=config.precision,
                tp=config.tp,
                pp=config.vllm.pipeline_parallel_size,
                replicas=1,
                routing=self.options.routing or Routing.RANDOM,
                routed_replicas=replicas,
                kv_cache_dtype=config.vllm.kv_cache_dtype,
                prompt_tokens=self.workload.traffic.prompt_tokens,
                output_tokens=self.workload.traffic.output_tokens,
                load=self.workload.load(per_replica_rps, replicas),
                vllm=config.vllm,
                front_end_s=self.options.front_end_s,
                shared_prefix_tokens=self.workload.traffic.shared_prefix_tokens,
                prefix_count=self.workload.traffic.prefix_count,
                prefix_popularity=self.workload.traffic.prefix_popularity,
                history_tokens=self.workload.traffic.history_tokens,
                conversation_turns=self.workload.traffic.conversation_turns,
                think_time_s=self.workload.traffic.think_time_s,
            )
            self._scenarios[id(config)] = base
            self._configs.append(config)  # keeps id(config) unique while cached
            return base
        return base.model_copy(
            update={
                "load": self.workload.load(per_replica_rps, replicas),
                "routed_replicas": replicas,
            }
        )

    def _checked(
        self, replicas: int, per_replica: float, mode: PredictMode, prediction: PerfPrediction
    ) -> Evaluation:
        checks = check_latency(prediction.metrics, self._targets)
        return Evaluation(
            replicas=replicas,
            per_replica_rps=per_replica,
            mode=mode,
            prediction=prediction,
            checks=checks,
            missed=tuple(misses(checks, self.workload.headroom)),
        )

    def evaluate(
        self, config: Configuration, replicas: int, rate_rps: float, mode: PredictMode
    ) -> Evaluation:
        """One prediction (analytic or simulated) of ``replicas`` sharing ``rate_rps``."""
        analytic = self.evaluate_many([(config, replicas, rate_rps)])[0]
        if mode == "analytic":
            return analytic
        per_replica = rate_rps / replicas
        scenario = self.scenario(config, per_replica, replicas)
        num_requests = self.simulated_requests(config, analytic)
        # The model's name does not change the physics (distills share their base's shape).
        shape = scenario.model_dump_json(exclude={"model_id"})
        runs = [self._simulation(scenario, shape, num_requests, self.options.seed)]
        evaluation = self._checked(replicas, per_replica, mode, runs[0])
        # A verdict within the simulation's sampling noise is re-decided on more seeds.
        while len(runs) <= MAX_EXTRA_SEEDS and borderline(
            evaluation.checks, evaluation.prediction, self.workload.headroom,
            num_requests * len(runs),
        ):
            seed = self.options.seed + len(runs)
            runs.append(self._simulation(scenario, shape, num_requests, seed))
            evaluation = self._checked(replicas, per_replica, mode, pool(runs))
        return evaluation

    def _simulation(
        self, scenario: ServingScenario, shape: str, num_requests: int, seed: int
    ) -> PerfPrediction:
        key = (shape, num_requests, seed)
        prediction = self._simulated.get(key)
        if prediction is None:
            self.simulations += 1
            prediction = self.engine.predict(
                scenario, "simulate", num_requests=num_requests, seed=seed
            )
            self._simulated[key] = prediction
        return prediction

    def simulated_requests(self, config: Configuration, analytic: Evaluation) -> int:
        """Requests to simulate: ``num_requests``, fewer when that would take more than
        :data:`SIM_STEP_BUDGET` engine steps, never below :data:`MIN_SIM_REQUESTS`.

        Engine steps per request ≈ output tokens / mean running batch (decode steps it shares)
        + prompt tokens / token budget (its prefill chunks), with the batch from the analytic
        prediction at the same load.
        """
        traffic = self.workload.traffic
        batch = max(1.0, analytic.prediction.metrics.mean_batch_size or 1.0)
        steps = traffic.output_tokens.mean / batch + math.ceil(
            traffic.prompt_tokens.mean / config.vllm.max_num_batched_tokens)
        affordable = int(SIM_STEP_BUDGET / max(steps, 1e-9))
        return max(min(self.options.num_requests, affordable),
                   min(MIN_SIM_REQUESTS, self.options.num_requests))

    def evaluate_many(
        self, requests: Sequence[tuple[Configuration, int, float]]
    ) -> list[Evaluation]:
        """Analytic predictions of many (configuration, replicas, rate) in one engine call."""
        if not requests:
            return []
        scenarios = [self.scenario(c, rate / n, n) for c, n, rate in requests]
        self.analytic_calls += len(scenarios)
        predictions = self.engine.predict_many(scenarios)
        return [
            self._checked(n, rate / n, "analytic", p)
            for (_, n, rate), p in zip(requests, predictions, strict=True)
        ]

    def screen_many(self, configs: Sequence[Configuration]) -> list[Screen]:
        """Latency floor at an idle load and saturation rate of one replica, per config."""
        rate = self.workload.sizing_rps * SCREEN_RATE_FRACTION
        first = self.evaluate_many([(c, 1, rate) for c in configs])
        saturation = [_saturation(e.prediction) for e in first]
        redo = [i for i, sat in enumerate(saturation)
                if sat > 0 and rate > IDLE_UTILIZATION * sat * (1 + 1e-9)]
        again = self.evaluate_many(
            [(configs[i], 1, IDLE_UTILIZATION * saturation[i]) for i in redo])
        floors = list(first)
        for i, evaluation in zip(redo, again, strict=True):
            floors[i] = evaluation
        return [
            Screen(floor=f, saturation_rps=sat, headroom=self.workload.headroom)
            for f, sat in zip(floors, saturation, strict=True)
        ]

    def size(
        self, config: Configuration, screen: Screen, rate_rps: float, limit: int
    ) -> Sizing | SizingShortfall:
        """Smallest replica count ≤ ``limit`` whose analytic prediction meets every SLO."""
        return self.size_many([(config, screen, limit)], rate_rps)[0]

    def size_many(
        self, items: Sequence[tuple[Configuration, Screen, int]], rate_rps: float
    ) -> list[Sizing | SizingShortfall]:
        """:meth:`size` for many configurations, one batched engine call per search round.

        Per configuration the bracket (largest count known to miss, smallest known to meet)
        starts at the saturation bound. Each round tries several counts at once: the next count
        and geometric steps while no count meets the SLOs, then counts evenly inside the
        bracket, until the bracket closes.
        """
        headroom = self.workload.headroom
        results: list[Sizing | SizingShortfall | None] = [None] * len(items)
        low_fail: list[Evaluation | None] = [None] * len(items)
        fail_n: list[int] = [0] * len(items)
        best: list[Evaluation | None] = [None] * len(items)
        pending: list[int] = []
        for i, (_, screen, limit) in enumerate(items):
            low = screen.replicas_lower_bound(rate_rps)
            if low > limit:
                results[i] = SizingShortfall(
                    limit, low, _saturation_words(screen, rate_rps, low, headroom))
            else:
                fail_n[i] = low - 1
                pending.append(i)
        while pending:
            requests: list[tuple[int, int]] = []
            for i in pending:
                first = best[i] is None and low_fail[i] is None
                requests += [(i, n) for n in _candidates(fail_n[i], best[i], items[i][2], first)]
            evaluations = self.evaluate_many([(items[i][0], n, rate_rps) for i, n in requests])
            for (i, n), evaluation in zip(requests, evaluations, strict=True):
                current = best[i]
                if evaluation.ok and (current is None or n < current.replicas):
                    best[i] = evaluation
                elif not evaluation.ok and n > fail_n[i]:
                    fail_n[i], low_fail[i] = n, evaluation
            following = []
            for i in pending:
                limit = items[i][2]
                good = best[i]
                if good is not None and good.replicas - fail_n[i] <= 1:
                    results[i] = Sizing(good, self._reason(items[i][1], rate_rps, good,
                                                           low_fail[i]))
                elif good is None and fail_n[i] >= limit:
                    bad = low_fail[i]
                    miss = "the SLOs" if bad is None else first_miss(bad, headroom)
                    results[i] = SizingShortfall(
                        limit, limit + 1, f"{limit} replicas still miss {miss}")
                else:
                    following.append(i)
            pending = following
        done = [r for r in results if r is not None]
        assert len(done) == len(items)
        return done

    def _reason(
        self, screen: Screen, rate_rps: float, good: Evaluation, bad: Evaluation | None
    ) -> str:
        headroom = self.workload.headroom
        if bad is None:
            return _saturation_words(screen, rate_rps, good.replicas, headroom)
        return (
            f"{good.replicas} replicas because at {bad.replicas} "
            f"({format_number(bad.per_replica_rps)} req/s each) {first_miss(bad, headroom)}"
        )

    def verify(
        self, config: Configuration, sizing: Sizing, rate_rps: float, limit: int
    ) -> tuple[Sizing, int] | SizingShortfall:
        """Simulate the sized plan and add replicas while it misses an SLO
        (:func:`predeploy.core.verification.verify`)."""
        return verify(self, config, sizing, rate_rps, limit)


#: Counts tried per configuration and round: an engine call costs milliseconds of fixed
#: overhead and ~0.1 ms per scenario, so several counts per round converge in fewer rounds.
GROWTH_FACTORS = (2.0, 4.0)
INTERIOR_POINTS = 1


def _candidates(
    fail_n: int, best: Evaluation | None, limit: int, first: bool = False
) -> list[int]:
    """Replica counts to try next: the saturation bound alone first (most configurations meet
    the SLOs there), then the next count and geometric steps above the last miss while nothing
    meets the SLOs, else up to :data:`INTERIOR_POINTS` counts evenly inside the bracket."""
    if first:
        return [min(limit, fail_n + 1)]
    if best is None:
        base = max(fail_n, 1)
        steps = {fail_n + 1, *(math.ceil(base * f) for f in GROWTH_FACTORS)}
        out = sorted(n for n in steps if fail_n < n <= limit)
        return out or [limit]
    top = best.replicas
    span = top - fail_n
    parts = INTERIOR_POINTS + 1
    inside = {fail_n + max(1, round(span * k / parts)) for k in range(1, parts)}
    return sorted(n for n in inside if fail_n < n < top)


def _saturation(prediction: PerfPrediction) -> float:
    if prediction.saturation_rps is None:
        raise ValueError(
            "the performance engine returned an analytic prediction without saturation_rps"
        )
    return prediction.saturation_rps


#: A replica's saturation within this share of its API server's rate is the server's.
API_SERVER_BOUND_SHARE = 0.999


def _saturation_words(screen: Screen, rate_rps: float, replicas: int, headroom: float) -> str:
    sat = format_number(screen.saturation_rps)
    api = screen.floor.prediction.api_server_rps
    paced = (
        "; the API server's fitted time per request sets that saturation, not the GPU: "
        "measured servers differ several-fold in it by model, and more API-server processes "
        "(vLLM's --api-server-count) raise it"
        if api and screen.saturation_rps >= API_SERVER_BOUND_SHARE * api
        else ""
    )
    if replicas == 1:
        return (
            f"one replica carries {format_number(rate_rps)} req/s (it saturates at {sat} "
            f"req/s){paced}"
        )
    return (
        f"{replicas} replicas because one saturates at {sat} req/s and the sizing rate is "
        f"{format_number(rate_rps)} req/s (each replica kept under "
        f"{format_percent(1 - headroom)} of saturation){paced}"
    )
