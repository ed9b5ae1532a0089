"""Residual analysis of the performance engine: where, and in which direction, it is wrong.

Predicts every measured value of the knowledge base's benchmark records (public calibration
cases and AIConfigurator silicon rows) in-sample and held out, and breaks the errors down by
source, engine, load kind, metric family, statistic (mean/p50/p90/p99), GPU, model kind (dense
or MoE), precision and tensor parallelism, then lists the worst cases with their scenario.

Splits (``--split``, several allowed):

* ``insample`` — one fit on everything (``--params FILE`` uses a parameter file instead);
* ``source`` — leave one source out (AIConfigurator included as a source);
* ``gpu`` — leave one accelerator out (all sources of it);
* ``config`` — the public (source, model, GPU) configurations in five folds, each predicted
  by a fit without it (AIConfigurator rows always fitted);
* ``aic-gpu`` — the AIConfigurator rows of one accelerator held out, everything else (the
  public cases of that accelerator included) fitted: the closest analogue of unseen
  fixed-concurrency measurements of vLLM/SGLang/TensorRT-LLM on a known GPU.

Each table row shows the count, the median absolute percentage error, the median signed
log error as a percentage (``bias``: + means over-prediction), the share within 25 % and the
10th–90th percentile range of measured ÷ predicted (what the shipped error bands keep). Rows
by predicted utilisation (offered or served request rate ÷ the predicted saturation rate) show
whether the error grows near saturation.

Usage: ``.venv/bin/python bench/perf_residuals.py --split insample source gpu aic-gpu
[--jobs 2] [--cache DIR] [--worst 25] [--only-public]``. ``--cache DIR`` stores each split's
predictions (``DIR/<split>.json``) and reuses them on the next run with ``--reuse``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from predeploy.core.calibration import MAX_ITERATIONS, fit, to_parameter_set
from predeploy.core.calibration_problem import Measurement, build_problem
from predeploy.core.scoring import family
from predeploy.core.validation import config_fold, predictions
from predeploy.services.perf import (
    default_catalog,
    load_parameters,
    measurements_from_records,
    read_benchmark_records,
)

AIC = "aiconfigurator-silicon"
SPLITS = ("insample", "source", "gpu", "aic-gpu", "config")

_MEASUREMENTS: list[Measurement] | None = None


def measurements() -> list[Measurement]:
    """Every usable benchmark record as a measurement (cached per process)."""
    global _MEASUREMENTS
    if _MEASUREMENTS is None:
        _MEASUREMENTS, _ = measurements_from_records(read_benchmark_records(), default_catalog())
    return _MEASUREMENTS


Predictions = dict[str, dict[str, object]]


def _fold(args: tuple[str, str, int]) -> tuple[str, Predictions, str]:
    """Fit without ``group`` (of ``split``) and predict it; runs in a worker process."""
    split, group, iterations = args
    ms = measurements()
    if split == "insample":
        train = test = list(ms)
    else:
        test_of = _test_selector(split, group)
        train = [m for m in ms if not test_of(m)]
        test = [m for m in ms if test_of(m)]
    started = time.perf_counter()
    problem = build_problem(train)
    theta, report = fit(problem, max_iterations=iterations)
    params = to_parameter_set(problem, theta, fitted_on=f"all but {split} {group}")
    note = (
        f"{split} {group}: {len(test)} held out, {len(train)} fitted, "
        f"{report.iterations} it, {time.perf_counter() - started:.0f} s"
    )
    return group, predictions(test, params), note


def _test_selector(split: str, group: str) -> Callable[[Measurement], bool]:
    if split == "source":
        return lambda m: m.source_key == group
    if split == "gpu":
        return lambda m: m.scenario.gpu.name == group
    if split == "aic-gpu":
        return lambda m: m.source_key == AIC and m.scenario.gpu.name == group
    if split == "config":
        return lambda m: m.source_key != AIC and config_fold(m) == group
    raise ValueError(f"unknown split {split!r}; valid: {', '.join(SPLITS)}")


def _groups(split: str, ms: Sequence[Measurement]) -> list[str]:
    if split == "source":
        return sorted({m.source_key for m in ms})
    if split == "gpu":
        return sorted({m.scenario.gpu.name for m in ms})
    if split == "aic-gpu":
        return sorted({m.scenario.gpu.name for m in ms if m.source_key == AIC})
    if split == "config":
        return sorted({config_fold(m) for m in ms if m.source_key != AIC})
    return ["all"]


def run_split(split: str, *, iterations: int, jobs: int, params_file: Path | None) -> Predictions:
    """Predictions of every measurement the split holds out (in-sample: all of them)."""
    ms = measurements()
    if split == "insample" and params_file is not None:
        return predictions(ms, load_parameters(params_file))
    if split == "insample":
        _, preds, note = _fold(("insample", "all", iterations))
        print(f"  {note}", file=sys.stderr)
        return preds
    tasks = [(split, g, iterations) for g in _groups(split, ms)]
    out: Predictions = {}
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(_fold, tasks))
    else:
        results = [_fold(t) for t in tasks]
    for _, preds, note in results:
        print(f"  {note}", file=sys.stderr)
        out.update(preds)
    return out


@dataclass(frozen=True)
class Residual:
    """One measured value against its prediction."""

    id: str
    source: str
    engine: str
    load: str
    gpu: str
    model: str
    moe: bool
    precision: str
    tp: int
    metric: str
    family: str
    stat: str
    expected: float
    predicted: float
    #: Offered (open loop) or served request rate ÷ predicted saturation rate.
    utilization: float | None = None

    @property
    def ape(self) -> float:
        return abs(self.predicted - self.expected) / self.expected

    @property
    def log_error(self) -> float:
        return math.log(max(self.predicted, 1e-12) / self.expected)


def _stat(metric: str) -> str:
    for stat in ("mean", "p50", "p90", "p95", "p99"):
        if metric.endswith("_" + stat):
            return stat
    return "-"


def residuals(ms: Iterable[Measurement], preds: Predictions) -> list[Residual]:
    out: list[Residual] = []
    for m in ms:
        pred = preds.get(m.id)
        if pred is None:
            continue
        metrics = pred["metrics"]
        assert isinstance(metrics, dict)
        utilization = pred.get("load_utilization")
        sc = m.scenario
        for metric, value in m.metrics.items():
            if metric not in metrics or value <= 0:
                continue
            out.append(
                Residual(
                    id=m.id,
                    source=m.source_key,
                    engine=sc.engine.value,
                    load=m.load_kind or sc.load.kind,
                    gpu=sc.gpu.name,
                    model=sc.model_id,
                    moe=sc.model.is_moe,
                    precision=sc.precision.value,
                    tp=sc.tp,
                    metric=metric,
                    family=family(metric),
                    stat=_stat(metric),
                    expected=float(value),
                    predicted=float(metrics[metric]),
                    utilization=utilization if isinstance(utilization, float) else None,
                )
            )
    return out


def _row(label: str, items: Sequence[Residual]) -> str:
    apes = [r.ape for r in items]
    bias = math.expm1(statistics.median(r.log_error for r in items))
    within = sum(a <= 0.25 + 1e-9 for a in apes) / len(apes)
    spread = "" if len(items) < 10 else "{:5.2f}–{:<5.2f}".format(*_measured_range(items))
    return (
        f"  {label:<44} {len(items):>6} {100 * statistics.median(apes):6.1f}% "
        f"{100 * bias:+7.1f}% {100 * within:6.1f}%  {spread}"
    )


def _measured_range(items: Sequence[Residual]) -> tuple[float, float]:
    """10th and 90th percentiles of measured ÷ predicted (the error bands' 80 % range)."""
    ratios = sorted(r.expected / r.predicted for r in items)
    deciles = statistics.quantiles(ratios, n=10, method="inclusive")
    return deciles[0], deciles[-1]


#: Buckets of predicted utilisation (offered or served rate ÷ predicted saturation rate).
UTILIZATION_BUCKETS = ((0.5, "0.00–0.50"), (0.85, "0.50–0.85"), (1.0, "0.85–1.00"))


def _utilization_bucket(r: Residual) -> str:
    if r.utilization is None:
        return "unknown"
    return next((label for edge, label in UTILIZATION_BUCKETS if r.utilization < edge), "≥ 1.00")


HEADER = (
    f"  {'group':<44} {'count':>6} {'medAPE':>7} {'bias':>8} {'<=25%':>7}  "
    "meas/pred 10–90 %"
)

DIMENSIONS: dict[str, Callable[[Residual], str]] = {
    "source": lambda r: r.source,
    "engine": lambda r: r.engine,
    "load kind": lambda r: r.load,
    "metric family": lambda r: r.family,
    "family x statistic": lambda r: f"{r.family} {r.stat}",
    "family x load kind": lambda r: f"{r.family} {r.load}",
    "family x source": lambda r: f"{r.family} {r.source}",
    "family x engine": lambda r: f"{r.family} {r.engine}",
    "GPU": lambda r: r.gpu,
    "model kind": lambda r: "MoE" if r.moe else "dense",
    "family x model kind": lambda r: f"{r.family} {'MoE' if r.moe else 'dense'}",
    "precision": lambda r: r.precision,
    "tensor parallel": lambda r: f"tp{r.tp}",
    "predicted utilisation": _utilization_bucket,
    "family x statistic x predicted utilisation": lambda r: (
        f"{r.family} {r.stat} {_utilization_bucket(r)}"
    ),
}


def report(title: str, items: Sequence[Residual], *, worst: int) -> str:
    lines = [f"\n## {title}\n", HEADER, _row("ALL", items)]
    for name, key in DIMENSIONS.items():
        groups: dict[str, list[Residual]] = defaultdict(list)
        for r in items:
            groups[key(r)].append(r)
        lines.append(f"\n By {name}")
        for label in sorted(groups):
            lines.append(_row(label, groups[label]))
    if worst:
        lines.append(f"\n Worst {worst} values (by |log error|)")
        for r in sorted(items, key=lambda r: -abs(r.log_error))[:worst]:
            lines.append(
                f"  {r.log_error:+6.2f} {r.metric:<20} exp {r.expected:>10.4g} "
                f"pred {r.predicted:>10.4g}  {r.engine} {r.gpu} tp{r.tp} {r.precision} "
                f"{r.load}  {r.id}"
            )
    return "\n".join(lines)


FAMILY_ORDER = ("throughput", "ttft", "itl_tpot", "e2e", "single_stream")


def summary(title: str, items: Sequence[Residual]) -> str:
    """One line: overall and per-family median APE, and the share within 25 %."""
    if not items:
        return f"  {title:<28} (no values)"
    parts = [f"all {100 * statistics.median(r.ape for r in items):5.1f}%"]
    for fam in FAMILY_ORDER:
        apes = [r.ape for r in items if r.family == fam]
        if apes:
            parts.append(f"{fam} {100 * statistics.median(apes):5.1f}%")
    within = sum(r.ape <= 0.25 + 1e-9 for r in items) / len(items)
    return f"  {title:<28} " + "  ".join(parts) + f"  <=25% {100 * within:5.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", nargs="+", default=["insample"], choices=SPLITS)
    parser.add_argument("--iterations", type=int, default=MAX_ITERATIONS)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--params", type=Path, help="in-sample: use this parameter file")
    parser.add_argument("--cache", type=Path, help="directory for each split's predictions")
    parser.add_argument("--reuse", action="store_true", help="read cached predictions")
    parser.add_argument("--worst", type=int, default=20)
    parser.add_argument("--only-public", action="store_true", help="leave AIConfigurator out")
    parser.add_argument("--only-aic", action="store_true", help="only AIConfigurator rows")
    parser.add_argument(
        "--summary", action="store_true", help="one line per split (public, AIConfigurator)"
    )
    args = parser.parse_args()
    ms = measurements()
    for split in args.split:
        cached = args.cache / f"{split}.json" if args.cache else None
        started = time.perf_counter()
        if cached is not None and args.reuse and cached.exists():
            preds = json.loads(cached.read_text())
        else:
            preds = run_split(
                split, iterations=args.iterations, jobs=args.jobs, params_file=args.params
            )
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(preds))
        chosen = [
            m
            for m in ms
            if not (args.only_public and m.source_key == AIC)
            and not (args.only_aic and m.source_key != AIC)
        ]
        items = residuals(chosen, preds)
        elapsed = time.perf_counter() - started
        if args.summary:
            public = [r for r in items if r.source != AIC]
            aic = [r for r in items if r.source == AIC]
            print(summary(f"{split} public", public))
            print(summary(f"{split} aiconfigurator", aic))
            continue
        print(report(f"{split} ({elapsed:.0f} s)", items, worst=args.worst))


if __name__ == "__main__":
    main()
