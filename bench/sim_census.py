"""The analytic mode against the simulation across the catalogue: a seeded random census.

The agreement grid of the tests (bench/analytic_agreement.py) covers chosen shapes; this draws
configurations the planner could meet: a catalogued model on a catalogued GPU that it fits
(TP 1-8, BF16/FP8/FP4/INT4, vLLM/SGLang/TensorRT-LLM defaults), lognormal prompts and answers
of random means and spreads, and a load — a closed loop of 1-256 clients or Poisson arrivals
at 30-85 % of the analytic saturation rate (``--loads burst``: a burst of 100-2,000 prompts at
once, as GPUStack's and ``vllm bench serve``'s default runs are; ``--loads all``: the three).
Each is predicted analytically and simulated (2,000 requests, seed 1; a burst, its own) and the
analytic ÷ simulated − 1 of the throughput and the TTFT, TPOT and E2E medians is tallied: the
median and 90th percentile of its size per metric and load kind, the share within 10 % and
25 %, the median signed error (bias), and the worst points with their scenario. ``--tails``
tallies the TTFT p99, the TPOT p90 and p99, the TPOT and ITL means and the ITL p50 and p99
too (the simulation's 2,000 requests put a p99 within a few per cent of a longer run's).

``--shares`` draws the Poisson loads at other shares of the saturation rate (near capacity:
``--shares 0.9 0.95 --loads poisson``, where the simulation warms up for its relaxation time,
``perf.relaxation_requests``); ``--by engine`` tallies per engine instead of per load kind,
``--by chain`` per engine and whether the analytic mode says the prefill batches chain (its
caveat, ``perf_caveats.prefill_chain_caveats``: SGLang's open loops from about one prompt
arriving per prefill batch, where the simulation pauses decoding for several times longer).

    .venv/bin/python bench/sim_census.py [--points 120] [--seed 7] [--worst 12] [--tails]
        [--loads both|poisson|concurrency|burst|all] [--shares S ...] [--by load|engine]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass

from predeploy.core.errors import PredeployError
from predeploy.core.perf import predict
from predeploy.core.perf_caveats import is_prefill_chain_caveat
from predeploy.core.types import (
    Engine,
    LoadSpec,
    PerfPrediction,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters

SIMULATED_REQUESTS = 2000
SIM_SEED = 1
PROMPT_MEANS = (64, 256, 1000, 4000)
OUTPUT_MEANS = (16, 128, 512)
LENGTH_CVS = (0.0, 0.5, 1.0)
CLIENTS = (1, 4, 16, 64, 256)
BURST_PROMPTS = (100, 500, 1000, 2000)
LOAD_SHARES = (0.3, 0.6, 0.85)
METRICS = ("throughput", "ttft_p50", "tpot_p50", "e2e_p50")
TAIL_METRICS = (
    "ttft_p99",
    "tpot_p90",
    "tpot_p99",
    "tpot_mean",
    "itl_mean",
    "itl_p50",
    "itl_p99",
)
PRECISIONS = (Precision.BF16, Precision.FP8, Precision.FP4, Precision.INT4)


@dataclass(frozen=True)
class Point:
    label: str
    kind: str
    engine: str
    errors: dict[str, float]
    #: The analytic prediction says its prefill batches chain
    #: (``perf_caveats.prefill_chain_caveats``).
    chained: bool = False


def _lengths(mean: int, cv: float) -> TokenDistribution:
    if cv == 0.0:
        return TokenDistribution.fixed(mean)
    return TokenDistribution(kind="lognormal", mean=mean, stdev=mean * cv, max=mean * 8)


def _values(p: PerfPrediction) -> dict[str, float]:
    m = p.metrics
    return {
        "throughput": m.output_tokens_per_s,
        "ttft_p50": m.ttft_ms.p50 or 0.0,
        "tpot_p50": m.tpot_ms.p50 or 0.0,
        "e2e_p50": m.e2e_ms.p50 or 0.0,
        "ttft_p99": m.ttft_ms.p99 or 0.0,
        "tpot_p90": m.tpot_ms.p90 or 0.0,
        "tpot_p99": m.tpot_ms.p99 or 0.0,
        "tpot_mean": m.tpot_ms.mean or 0.0,
        "itl_mean": m.itl_ms.mean or 0.0,
        "itl_p50": m.itl_ms.p50 or 0.0,
        "itl_p99": m.itl_ms.p99 or 0.0,
    }


def draw(
    rng: random.Random,
    count: int,
    kinds: str = "both",
    shares: tuple[float, ...] = LOAD_SHARES,
) -> list[ServingScenario]:
    """``count`` random scenarios that fit; ``kinds``: ``both`` (a closed loop or Poisson
    arrivals, evenly), ``poisson``, ``concurrency``, ``burst`` or ``all`` (the three kinds,
    evenly); Poisson loads at one of ``shares`` of the analytic saturation rate."""
    catalog = seed_catalog()
    models, gpus = list(catalog.models()), list(catalog.gpus())
    params = load_parameters()
    out: list[ServingScenario] = []
    while len(out) < count:
        card, gpu = rng.choice(models), rng.choice(gpus)
        try:
            scenario = ServingScenario(
                model_id=card.id,
                model=card.architecture,
                gpu=gpu,
                precision=rng.choice(PRECISIONS),
                tp=rng.choice([1, 2, 4, 8]),
                engine=rng.choice([Engine.VLLM, Engine.SGLANG, Engine.TRTLLM]),
                prompt_tokens=_lengths(rng.choice(PROMPT_MEANS), rng.choice(LENGTH_CVS)),
                output_tokens=_lengths(rng.choice(OUTPUT_MEANS), rng.choice(LENGTH_CVS)),
                load=LoadSpec(kind="poisson", rate_rps=1.0),
            )
            idle = predict(scenario, params)
        except (PredeployError, ValueError):  # a draw the catalogue cannot serve: redrawn
            continue
        if not idle.memory.fits or not idle.saturation_rps:
            continue
        # Drawn for every load kind, so earlier censuses' seeds draw the same scenarios.
        closed = rng.random() < 0.5
        kind = kinds
        if kinds == "both":
            kind = "concurrency" if closed else "poisson"
        elif kinds == "all":
            kind = rng.choice(("concurrency", "poisson", "burst"))
        if kind == "concurrency":
            load = LoadSpec(kind="concurrency", concurrency=rng.choice(CLIENTS))
        elif kind == "burst":
            load = LoadSpec(kind="burst", num_prompts=rng.choice(BURST_PROMPTS))
        else:
            rate = rng.choice(shares) * idle.saturation_rps
            load = LoadSpec(kind="poisson", rate_rps=rate)
        out.append(scenario.model_copy(update={"load": load}))
    return out


def _cv(d: TokenDistribution) -> float:
    return d.stdev / d.mean


def label(s: ServingScenario) -> str:
    if s.load.kind == "concurrency":
        load = f"{s.load.concurrency} clients"
    elif s.load.kind == "burst":
        load = f"burst of {s.load.num_prompts}"
    else:
        load = f"{s.load.rate_rps:.3g} req/s"

    return (
        f"{s.model_id} {s.tp}x {s.gpu.name} {s.precision} {s.engine.value} "
        f"{s.prompt_tokens.mean:.0f}/{s.output_tokens.mean:.0f} tok "
        f"(cv {_cv(s.prompt_tokens):.1f}/{_cv(s.output_tokens):.1f}), {load}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worst", type=int, default=12)
    parser.add_argument(
        "--tails", action="store_true", help="tally the TTFT p99 and TPOT p90/p99 too"
    )
    parser.add_argument(
        "--loads",
        choices=("both", "poisson", "concurrency", "burst", "all"),
        default="both",
        help="load kinds drawn (default: closed loops and Poisson arrivals, evenly)",
    )
    parser.add_argument(
        "--shares",
        type=float,
        nargs="+",
        default=list(LOAD_SHARES),
        help="shares of the saturation rate the Poisson loads are drawn at",
    )
    parser.add_argument(
        "--by",
        choices=("load", "engine", "chain"),
        default="load",
        help="rows per load kind, per engine, or per engine and whether the analytic mode says "
        "its prefill batches chain (perf_caveats.prefill_chain_caveats)",
    )
    args = parser.parse_args()
    metrics = METRICS + TAIL_METRICS if args.tails else METRICS
    params = load_parameters()
    started = time.perf_counter()
    points: list[Point] = []
    for scenario in draw(random.Random(args.seed), args.points, args.loads, tuple(args.shares)):
        prediction = predict(scenario, params)
        analytic = _values(prediction)
        chained = any(map(is_prefill_chain_caveat, prediction.metrics.provenance.caveats))
        simulated = _values(
            predict(
                scenario,
                params,
                mode="simulate",
                num_requests=SIMULATED_REQUESTS,
                seed=SIM_SEED,
            )
        )
        errors = {m: analytic[m] / simulated[m] - 1.0 for m in metrics if simulated[m] > 0.0}
        points.append(
            Point(label(scenario), scenario.load.kind, scenario.engine.value, errors, chained)
        )
    print(
        f"{len(points)} scenarios (seed {args.seed}), analytic ÷ simulated − 1, "
        f"{time.perf_counter() - started:.0f} s"
    )

    def group(p: Point) -> str:
        if args.by == "chain":
            return f"{p.engine} chained" if p.chained else p.engine
        return p.engine if args.by == "engine" else p.kind

    width = max(13, *(len(group(p)) + 1 for p in points))
    print(
        f"{args.by:<{width}}{'metric':<12}{'n':>5}{'median':>9}{'p90':>9}{'≤10 %':>8}"
        f"{'≤25 %':>8}{'bias':>8}"
    )

    for kind in ("all", *sorted({group(p) for p in points})):
        for metric in metrics:
            signed = [
                p.errors[metric] for p in points if metric in p.errors and kind in ("all", group(p))
            ]
            if not signed:
                continue
            sizes = sorted(abs(e) for e in signed)
            p90 = sizes[min(len(sizes) - 1, int(0.9 * len(sizes)))]
            within10 = sum(e <= 0.10 for e in sizes) / len(sizes)
            within25 = sum(e <= 0.25 for e in sizes) / len(sizes)
            print(
                f"{kind:<{width}}{metric:<12}{len(sizes):>5}{statistics.median(sizes):>9.1%}"
                f"{p90:>9.1%}{within10:>8.0%}{within25:>8.0%}{statistics.median(signed):>+8.1%}"
            )
    print("\nworst points (largest |error| of any metric):")
    ranked = sorted(points, key=lambda p: -max(abs(e) for e in p.errors.values()))
    for p in ranked[: args.worst]:
        shown = " ".join(f"{m} {e:+.0%}" for m, e in p.errors.items())
        print(f"  {shown}  {p.label}")


if __name__ == "__main__":
    main()
