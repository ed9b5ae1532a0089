"""Clustered (gamma) arrivals: the analytic mode against the simulation.

The planner's templates size for bursty traffic (gamma inter-arrival times, CV 1.5 for most of
them), so every plan's TTFT goes through the analytic mode's clustered-arrival wait. For Llama
3.1 8B (BF16, one H100), Llama 3.1 70B (FP8, 4× H100) and Qwen3 30B-A3B (BF16, one H100) under
vLLM, chat requests (1,000 ± 500 prompt tokens, 300 ± 150 output) and retrieval-augmented ones
(3,000 ± 1,500, 300 ± 200), all lognormal, at 20 %, 50 % and 80 % of the Poisson saturation
rate: analytic ÷ simulated TTFT mean / p50 / p90 / p99 and TPOT p50 / p90, then the median and
worst |log ratio| per statistic and CV. A row whose simulation preempted requests (a burst
filled the KV cache, which neither mode's steady state prices) is marked and left out of the
summary. ``--cv 1`` runs Poisson arrivals, for comparison.

    .venv/bin/python bench/clustered_arrivals.py [--cv 1.5 2] [--requests 6000] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import statistics

from predeploy.core.perf import predict
from predeploy.core.types import LoadSpec, ServingScenario, TokenDistribution
from predeploy.services.perf import load_parameters
from support.scenarios import catalog_scenario

SHAPES = (
    ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", "bf16", 1),
    ("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", "fp8", 4),
    ("Qwen/Qwen3-30B-A3B", "H100-SXM", "bf16", 1),
)
#: (prompt mean, stdev, output mean, stdev), lognormal, cut at six and five times the mean.
MIXES = {"chat": (1000, 500, 300, 150), "rag": (3000, 1500, 300, 200)}
LOADS = (0.2, 0.5, 0.8)
STATS = (
    ("ttft_ms", "mean"),
    ("ttft_ms", "p50"),
    ("ttft_ms", "p90"),
    ("ttft_ms", "p99"),
    ("tpot_ms", "p50"),
    ("tpot_ms", "p90"),
)


def scenario(shape: tuple[str, str, str, int], mix: str, load: LoadSpec) -> ServingScenario:
    prompt, prompt_sd, output, output_sd = MIXES[mix]
    return catalog_scenario(
        *shape,
        TokenDistribution(kind="lognormal", mean=prompt, stdev=prompt_sd, max=6 * prompt),
        TokenDistribution(kind="lognormal", mean=output, stdev=output_sd, max=5 * output),
        load,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", type=float, nargs="+", default=[1.5, 2.0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    params = load_parameters()
    names = [f"{m[:4]} {s}" for m, s in STATS]
    print(f"{'model':<14}{'mix':<6}{'CV':>5}{'load':>6}" + "".join(f"{n:>11}" for n in names))
    logs: dict[float, list[list[float]]] = {cv: [[] for _ in STATS] for cv in args.cv}
    for shape in SHAPES:
        for mix in MIXES:
            idle = scenario(shape, mix, LoadSpec(kind="poisson", rate_rps=1e-3))
            saturation = predict(idle, params).saturation_rps or 0.0
            for cv in args.cv:
                for fraction in LOADS:
                    rate = fraction * saturation
                    load = (
                        LoadSpec(kind="gamma", rate_rps=rate, cv=cv)
                        if cv != 1.0
                        else LoadSpec(kind="poisson", rate_rps=rate)
                    )
                    case = scenario(shape, mix, load)
                    analytic = predict(case, params).metrics
                    sim = predict(
                        case, params, mode="simulate", num_requests=args.requests, seed=args.seed
                    )
                    ratios = [
                        getattr(getattr(analytic, m), s) / getattr(getattr(sim.metrics, m), s)
                        for m, s in STATS
                    ]
                    preempted = sim.metrics.provenance.num_preemptions_simulated or 0
                    if not preempted:
                        for i, r in enumerate(ratios):
                            logs[cv][i].append(abs(math.log(r)))
                    mark = f"  ({preempted} preempted)" if preempted else ""
                    print(
                        f"{shape[0].split('/')[1][:13]:<14}{mix:<6}{cv:>5.2f}{fraction:>6.0%}"
                        + "".join(f"{r:>11.2f}" for r in ratios)
                        + mark,
                        flush=True,
                    )
    for cv in args.cv:
        medians = "".join(f"{statistics.median(v):>11.3f}" for v in logs[cv][:])
        worst = "".join(f"{max(v):>11.3f}" for v in logs[cv])
        print(f"{'median |log|':<20}{cv:>5.2f}{'':>6}{medians}")
        print(f"{'worst |log|':<20}{cv:>5.2f}{'':>6}{worst}")


if __name__ == "__main__":
    main()
