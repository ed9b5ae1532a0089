"""TTFT of closed loops of alike answers, analytic and simulated, against the measured.

A closed loop whose answers are all of one length is the case where the two modes part: the
simulation runs it warm (``core.perf.warm_closed_loop``: clients at random phases, their first
requests left out; a run of fewer than three waves from the clients' common start), the
analytic mode prices its first wave arriving together and the later requests at random
phases. This selects such loops of more than one client with a measured TTFT — from case files
(``--cases``; by default the never-fitted NIM, serving and GuideLLM sets, less dstack's
early-2025 DeepSeek runs, whose engines' speed then no scenario states) and from the knowledge
base's AIConfigurator rows (``--aic``, every ``--every``-th) —, predicts each in both modes (the
simulation with ``--requests`` requests where the run states no length, seed 1) and prints,
over every measured TTFT statistic (mean, p50, p90, p99) and per statistic, source and engine,
the median absolute percentage error of each mode's TTFT and the share within 25 %.

    PYTHONPATH=bench .venv/bin/python bench/alike_closed_loops.py [--aic [--every 10]]
        [--cases FILE ...] [--exclude SOURCE ...] [--rows]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from predeploy.core import perf_caveats as caveats
from predeploy.core.calibration_problem import Measurement
from predeploy.core.perf import predict, predict_many
from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    load_parameters,
    measurements_from_cases,
    validation_inputs,
)

AICONFIGURATOR = "aiconfigurator-silicon"
DATA = Path(__file__).resolve().parent / "data"
DEFAULT_CASES = tuple(
    DATA / name
    for name in (
        "unseen_nim_cases.jsonl",
        "unseen_serving_cases.jsonl",
        "unseen_gpustack_guidellm_cases.jsonl",
        "unseen_gpustack_guidellm_later_cases.jsonl",
    )
)
DEFAULT_EXCLUDED = ("dstack-r1-2025-03",)
SIMULATED_REQUESTS = 600
SIM_SEED = 1
#: The TTFT statistics compared, each where measured.
TTFT_STATS = ("mean", "p50", "p90", "p99")


@dataclass(frozen=True)
class Row:
    """One measured TTFT statistic of a closed loop, and both modes' (ms)."""

    source: str
    engine: str
    label: str
    stat: str
    measured_ms: float
    analytic_ms: float
    simulated_ms: float


def alike_closed_loop(m: Measurement) -> bool:
    """A closed loop of alike answers (``perf_caveats.alike_closed_loop``), TTFT measured."""
    ttft = any(m.metrics.get(f"ttft_ms_{stat}") for stat in TTFT_STATS)
    return ttft and caveats.alike_closed_loop(m.scenario.load, m.scenario.output_tokens)


def rows(measurements: Sequence[Measurement], requests: int = SIMULATED_REQUESTS) -> list[Row]:
    """Both modes' TTFT statistics for each measurement (the analytic ones in one batch)."""
    params = load_parameters()
    analytic = predict_many([m.scenario for m in measurements], params)
    out: list[Row] = []
    for m, a in zip(measurements, analytic, strict=True):
        simulated = predict(
            m.scenario, params, mode="simulate", num_requests=requests, seed=SIM_SEED
        ).metrics
        s = m.scenario
        label = (
            f"{s.model_id.split('/')[-1]} {s.gpu.name} tp{s.tp} "
            f"{s.prompt_tokens.mean:.0f}/{s.output_tokens.mean:.0f} "
            f"c{s.load.concurrency} n{s.load.num_prompts}"
        )
        for stat in TTFT_STATS:
            measured = m.metrics.get(f"ttft_ms_{stat}")
            if not measured:
                continue
            out.append(
                Row(
                    source=m.source_key,
                    engine=s.engine.value,
                    label=label,
                    stat=stat,
                    measured_ms=measured,
                    analytic_ms=getattr(a.metrics.ttft_ms, stat) or 0.0,
                    simulated_ms=getattr(simulated.ttft_ms, stat) or 0.0,
                )
            )
    return out


@dataclass(frozen=True)
class Tally:
    """One group's values: both modes' TTFT median absolute percentage error and share within
    25 % of the measured, in per cent."""

    count: int
    analytic_ape_pct: float
    simulated_ape_pct: float
    analytic_within_25_pct: float
    simulated_within_25_pct: float


def tally(table: Iterable[Row]) -> dict[str, Tally]:
    """Per group: ``all``, each statistic, source, and source × engine."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in table:
        for key in ("all", f"TTFT {r.stat}", r.source, f"{r.source} {r.engine}"):
            groups[key].append(r)
    out = {}
    for key, members in groups.items():
        a = [abs(r.analytic_ms / r.measured_ms - 1.0) for r in members]
        s = [abs(r.simulated_ms / r.measured_ms - 1.0) for r in members]
        out[key] = Tally(
            count=len(members),
            analytic_ape_pct=100 * statistics.median(a),
            simulated_ape_pct=100 * statistics.median(s),
            analytic_within_25_pct=100 * sum(x <= 0.25 for x in a) / len(a),
            simulated_within_25_pct=100 * sum(x <= 0.25 for x in s) / len(s),
        )
    return out


def render(table: Sequence[Row], *, with_rows: bool = False) -> str:
    lines = []
    if with_rows:
        for r in table:
            lines.append(
                f"{r.source:<28} {r.engine:<7} {r.label:<58} {r.stat:<4} measured "
                f"{r.measured_ms:8.0f}  analytic {r.analytic_ms:8.0f}  simulated "
                f"{r.simulated_ms:8.0f}"
            )
    lines.append(
        f"{'group':<44} {'n':>5} {'analytic':>9} {'simulated':>10} "
        f"{'≤25 % an.':>10} {'≤25 % sim.':>11}"
    )

    groups = tally(table)
    # "all" first, then the statistics, then sources and engines.
    for key in sorted(groups, key=lambda k: (k != "all", not k.startswith("TTFT"), k)):
        t = groups[key]
        lines.append(
            f"{key:<44} {t.count:>5} {t.analytic_ape_pct:>8.1f}% {t.simulated_ape_pct:>9.1f}% "
            f"{t.analytic_within_25_pct:>9.0f}% {t.simulated_within_25_pct:>10.0f}%"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--aic", action="store_true", help="the knowledge base's AIC rows")
    parser.add_argument("--every", type=int, default=1, help="every n-th AIC row")
    parser.add_argument("--cases", type=Path, nargs="*", default=list(DEFAULT_CASES))
    parser.add_argument("--requests", type=int, default=SIMULATED_REQUESTS)
    parser.add_argument(
        "--exclude", nargs="*", default=list(DEFAULT_EXCLUDED), help="source keys to leave out"
    )
    parser.add_argument("--rows", action="store_true", help="one line per closed loop")
    args = parser.parse_args(argv)
    selected: list[Measurement] = []
    if args.aic:
        measurements, _ = validation_inputs(include_aiconfigurator=True)
        aic = [m for m in measurements if m.source_key == AICONFIGURATOR and alike_closed_loop(m)]
        selected += aic[:: max(args.every, 1)]
    catalog = default_catalog()
    for path in args.cases:
        measurements, _ = measurements_from_cases(cases_from_lines(path.open()), catalog)
        selected += [m for m in measurements if alike_closed_loop(m)]
    selected = [m for m in selected if m.source_key not in args.exclude]
    print(f"{len(selected)} closed loops of alike answers")
    if not selected:
        return 0
    print(render(rows(selected, args.requests), with_rows=args.rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
