"""Analytic mode vs simulation: relative errors over the agreement grid of the test suite.

The grid (tests/unit/core/agreement.py): four roofline-shaped step models (8B/70B on a small
and a big accelerator), three length mixes, Poisson loads at 10-90 % of saturation, plus the
steady-state max-throughput rate. Then the planner's workloads: the fluid mode of
``core.perf`` vs its simulation (8B/70B on H100, chat and 30k-token RAG lognormal mixes, Poisson
and gamma CV 1.5 arrivals, 10-60 % of the analytic saturation, medians and p90s). Prints
analytic/simulated − 1 per metric.

    .venv/bin/python bench/analytic_agreement.py [--planner-only]
"""

from __future__ import annotations

import sys

from support.load_cases import ROOT, module

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.perf_fixtures, which agreement.py imports
agreement = module("agreement", ROOT / "tests" / "unit" / "core")


def planner_table() -> None:
    metrics = agreement.PLANNER_METRICS
    head = f"{'shape':<16}{'mix':<19}{'arrivals':<13}{'load':>5}"
    print(head + "".join(f"{m:>11}" for m in metrics))
    worst = dict.fromkeys(metrics, 0.0)
    for shape in agreement.PLANNER_SHAPES:
        for mix in agreement.PLANNER_MIXES:
            for arrivals in agreement.PLANNER_ARRIVALS:
                for fraction in agreement.PLANNER_LOADS:
                    point = agreement.compare_planner(shape, mix, arrivals, fraction)
                    errors = [point.error(m) for m in metrics]
                    for m, e in zip(metrics, errors, strict=True):
                        worst[m] = max(worst[m], abs(e))
                    row = "".join(f"{e:>+11.1%}" for e in errors)
                    print(f"{shape:<16}{mix:<19}{arrivals:<13}{fraction:>5.0%}{row}")
    print(f"{'worst |error|':<53}" + "".join(f"{worst[m]:>11.1%}" for m in metrics))


def main() -> None:
    if "--planner-only" not in sys.argv:
        load_model_table()
        print()
    planner_table()


def load_model_table() -> None:
    metrics = agreement.METRICS
    print(f"{'shape':<16}{'mix':<16}{'load':>6}" + "".join(f"{m:>12}" for m in metrics))
    worst = dict.fromkeys(metrics, 0.0)
    for shape in agreement.SHAPES:
        for mix in agreement.MIXES:
            sat = agreement.compare_saturation(shape, mix)
            error = sat.error("throughput")
            worst["throughput"] = max(worst["throughput"], abs(error))
            print(f"{shape:<16}{mix:<16}{'sat':>6}" + " " * 12 * 4 + f"{error:>+12.1%}")
            for fraction in agreement.LOADS:
                point = agreement.compare_load(shape, mix, fraction)
                errors = [point.error(m) for m in metrics]
                for m, e in zip(metrics, errors, strict=True):
                    worst[m] = max(worst[m], abs(e))
                row = "".join(f"{e:>+12.1%}" for e in errors)
                print(f"{shape:<16}{mix:<16}{fraction:>6.0%}{row}")
    print(f"{'worst |error|':<38}" + "".join(f"{worst[m]:>12.1%}" for m in metrics))


if __name__ == "__main__":
    main()
