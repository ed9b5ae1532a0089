"""How long a full plan over the default catalog takes (target: ≤ 2 s on the dev machine).

Runs the planner on the package's seed catalog with the calibrated performance engine for a
few representative requests, several times each, and prints wall-clock times and the search
statistics (configurations, memory-feasible, sized, simulations). Numbers, not pass/fail.

    .venv/bin/python bench/plan_bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from predeploy.core.types import DeploymentIntent, PlannerOptions
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.planning import calibrated_engine, plan_with_engine

REQUESTS: dict[str, dict[str, object]] = {
    "support bot, 5,000 users, $6k/month": {
        "use_case": "customer_service", "users": 5000, "budget": {"monthly_usd": 6000},
    },
    "chatbot, 50 req/s peak": {"use_case": "chatbot", "peak_qps": 50},
    "RAG, 30k-token prompts, 2 req/s": {
        "use_case": "rag_qa", "qps": 2, "prompt_tokens": 30000, "output_tokens": 500,
    },
    "code completion, 1,200 engineers, latency": {
        "use_case": "code_completion", "users": 1200, "priority": "latency",
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    catalog = seed_catalog()
    engine = calibrated_engine()
    print(f"catalog: {len(catalog.models())} models, {len(catalog.gpus())} GPUs, "
          f"{len(catalog.prices())} prices; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    options = PlannerOptions()
    for name, spec in REQUESTS.items():
        intent = DeploymentIntent.model_validate(spec)
        times = []
        cpu = []
        result = None
        for _ in range(args.repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = plan_with_engine(intent, catalog, engine, options)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert result is not None
        s = result.stats
        best = result.plans[0] if result.plans else None
        print(f"\n{name}")
        print(f"  wall: median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
              f"max {max(times):.2f} s over {args.repeat} runs; CPU median "
              f"{statistics.median(cpu):.2f} s")
        print(f"  search: {s.models_considered} models × {s.gpus_considered} GPUs, "
              f"{s.configurations} configurations, {s.memory_feasible} fit in memory, "
              f"{s.pruned_by_bound} pruned by bound, {s.sized_analytic} sized, "
              f"{s.analytic_calls} analytic predictions, {s.simulations} simulations")
        if best is None:
            print("  no feasible plan:", "; ".join(x.message for x in result.suggestions[:2]))
        else:
            print(f"  recommended: {best.model} {best.precision.value} on {best.configuration}"
                  f" × {best.replicas}, ${best.cost.monthly_usd:,.0f}/month")


if __name__ == "__main__":
    main()
