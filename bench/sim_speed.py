"""Speed of the load model: simulating 10,000 requests, and one analytic call.

Workload: 512 prompt / 256 output tokens, Poisson arrivals at 80 % of the analytic saturation
rate, one replica; step costs from the roofline-shaped test models in tests/unit/core/stepmodels.py
(shapes of an 8B and a 70B model on a small and a big accelerator). Prints seconds; no pass/fail.

    .venv/bin/python bench/sim_speed.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "core"))

from stepmodels import SHAPES

from predeploy.core.analytic import analyze, saturation_rps
from predeploy.core.simulator import simulate
from predeploy.core.types import LoadSpec, TokenDistribution

REQUESTS = 10_000
LOAD_FRACTION = 0.8
REPEATS = 3
ANALYTIC_CALLS = 300


def main() -> None:
    prompt, output = TokenDistribution.fixed(512), TokenDistribution.fixed(256)
    print(f"{REQUESTS} requests, 512 in / 256 out, Poisson at {LOAD_FRACTION:.0%} of saturation")
    print(f"{'shape':<16}{'rate req/s':>11}{'steps':>9}{'sim s (best)':>14}{'analytic ms':>13}")
    for name, (step, config) in SHAPES.items():
        rate = LOAD_FRACTION * saturation_rps(step, config, prompt, output)
        load = LoadSpec(kind="poisson", rate_rps=rate)
        best = float("inf")
        result = None
        for _ in range(REPEATS):
            start = time.perf_counter()
            result = simulate(step, config, load, prompt, output, REQUESTS, seed=0)
            best = min(best, time.perf_counter() - start)
        assert result is not None
        start = time.perf_counter()
        for _ in range(ANALYTIC_CALLS):
            analyze(step, config, load, prompt, output)
        per_call_ms = (time.perf_counter() - start) / ANALYTIC_CALLS * 1000
        print(f"{name:<16}{rate:>11.2f}{result.num_steps:>9}{best:>14.3f}{per_call_ms:>13.3f}")


if __name__ == "__main__":
    main()
