"""Analytic mode vs simulation: relative errors over the agreement grid of the test suite.

The grid (tests/unit/core/agreement.py): four roofline-shaped step models (8B/70B on a small
and a big accelerator), three length mixes, Poisson loads at 10-90 % of saturation, plus the
steady-state max-throughput rate. Prints analytic/simulated − 1 per metric.

    .venv/bin/python bench/analytic_agreement.py
"""

from __future__ import annotations

from support.load_cases import ROOT, module

agreement = module("agreement", ROOT / "tests" / "unit" / "core")


def main() -> None:
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
