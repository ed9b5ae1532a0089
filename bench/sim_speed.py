"""Speed of the load model: simulating 10,000 requests, and one analytic call.

Workload: 512 prompt / 256 output tokens, Poisson arrivals at 80 % of the analytic saturation
rate, one replica (cases: bench/support/load_cases.py). Prints the best of a few runs, as
wall-clock and as this process's CPU time (less sensitive to other load on a shared machine);
no pass/fail.

    .venv/bin/python bench/sim_speed.py
"""

from __future__ import annotations

import time

from predeploy.core.analytic import analyze, saturation_rps
from predeploy.core.simulator import simulate
from predeploy.core.types import LoadSpec, TokenDistribution
from support.load_cases import engine_cases, shape_cases
from support.machine import describe

REQUESTS = 10_000
LOAD_FRACTION = 0.8
REPEATS = 3
ANALYTIC_CALLS = 200


def main() -> None:
    prompt, output = TokenDistribution.fixed(512), TokenDistribution.fixed(256)
    print(describe())
    print(f"{REQUESTS} requests, 512 in / 256 out, Poisson at {LOAD_FRACTION:.0%} of saturation")
    print(
        f"{'case':<22}{'req/s':>8}{'steps':>9}{'preempt':>9}{'sim s':>8}{'sim cpu s':>10}"
        f"{'analytic ms':>13}{'cpu ms':>8}"
    )
    for name, (step, config) in {**engine_cases(), **shape_cases()}.items():
        rate = LOAD_FRACTION * saturation_rps(step, config, prompt, output)
        load = LoadSpec(kind="poisson", rate_rps=rate)
        best, best_cpu = float("inf"), float("inf")
        result = None
        for _ in range(REPEATS):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = simulate(step, config, load, prompt, output, REQUESTS, seed=0)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
        assert result is not None
        fastest, fastest_cpu = float("inf"), float("inf")
        for _ in range(REPEATS):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(ANALYTIC_CALLS):
                analyze(step, config, load, prompt, output)
            fastest = min(fastest, (time.perf_counter() - start) / ANALYTIC_CALLS)
            fastest_cpu = min(fastest_cpu, (time.process_time() - start_cpu) / ANALYTIC_CALLS)
        print(
            f"{name:<22}{rate:>8.2f}{result.num_steps:>9}{result.num_preemptions:>9}"
            f"{best:>8.3f}{best_cpu:>10.3f}{fastest * 1000:>13.3f}{fastest_cpu * 1000:>8.3f}"
        )


if __name__ == "__main__":
    main()
