"""Accuracy of predictions against measurements: the calibration scorer's metrics.

The same definitions as ../shared/calibration/score_perf.py (a test checks they agree):
absolute percentage error ``|pred − measured| / measured`` for every measured metric the
prediction also gives; coverage; per metric family (throughput, ttft, itl_tpot, e2e,
single_stream) the count, median APE and the shares within 10/25/50 %; the same split by
engine, load kind and source.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

FAMILIES = ("throughput", "ttft", "itl_tpot", "e2e", "single_stream")
THRESHOLDS = (0.10, 0.25, 0.50)


def family(metric: str) -> str:
    """Metric family of a contract metric name."""
    if metric.endswith("_single_stream"):
        return "single_stream"
    if metric.endswith("_tokens_per_s") or metric == "requests_per_s":
        return "throughput"
    if metric.startswith("ttft_ms"):
        return "ttft"
    if metric.startswith(("itl_ms", "tpot_ms")):
        return "itl_tpot"
    if metric.startswith("e2e_ms"):
        return "e2e"
    return "other"


@dataclass(frozen=True)
class ScoredCase:
    """A measured case as the scorer needs it."""

    id: str
    engine: str
    load: str
    source: str
    expected: Mapping[str, float]


@dataclass(frozen=True)
class Stats:
    count: int
    median_ape: float | None
    within_10: float | None
    within_25: float | None
    within_50: float | None


def stats(apes: Sequence[float]) -> Stats:
    if not apes:
        return Stats(0, None, None, None, None)
    n = len(apes)
    shares = [sum(1 for a in apes if a <= t + 1e-9) / n for t in THRESHOLDS]
    return Stats(n, statistics.median(apes), *shares)


@dataclass
class Score:
    """Scorer output: coverage, overall and per-family statistics, and splits."""

    cases: int
    cases_covered: int
    expected_values: int
    predicted_values: int
    predictions_with_error: int
    fits_false: int
    overall: Stats
    by_family: dict[str, Stats]
    by_engine: dict[str, dict[str, Stats]] = field(default_factory=dict)
    by_load: dict[str, dict[str, Stats]] = field(default_factory=dict)
    by_source: dict[str, dict[str, Stats]] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return self.cases_covered / self.cases if self.cases else 0.0

    @property
    def value_coverage(self) -> float:
        return self.predicted_values / self.expected_values if self.expected_values else 0.0


def _per_family(pairs: Sequence[tuple[str, float]]) -> dict[str, Stats]:
    out = {f: stats([a for g, a in pairs if g == f]) for f in FAMILIES}
    other = [a for g, a in pairs if g == "other"]
    if other:
        out["other"] = stats(other)
    return out


def score(cases: Sequence[ScoredCase], predictions: Mapping[str, Mapping[str, object]]) -> Score:
    """Score ``predictions`` (id → contract output object) against ``cases``."""
    rows: list[tuple[str, str, str, str, float]] = []
    covered = expected = errors = fits_false = 0
    for case in cases:
        expected += len(case.expected)
        pred = predictions.get(case.id)
        if pred is None:
            continue
        errors += 1 if pred.get("error") else 0
        fits_false += 1 if pred.get("fits") is False else 0
        got = pred.get("metrics") or {}
        assert isinstance(got, Mapping)
        any_value = False
        for metric, value in case.expected.items():
            v = got.get(metric)
            if value <= 0 or not isinstance(v, int | float) or isinstance(v, bool):
                continue
            if not math.isfinite(float(v)):
                continue
            any_value = True
            ape = abs(float(v) - value) / value
            rows.append((family(metric), case.engine, case.load, case.source, ape))
        covered += 1 if any_value else 0

    def split(index: int) -> dict[str, dict[str, Stats]]:
        keys = sorted({str(r[index]) for r in rows})
        out: dict[str, dict[str, Stats]] = {}
        for key in keys:
            subset = [r for r in rows if r[index] == key]
            out[key] = {"all": stats([r[4] for r in subset])}
            out[key].update(_per_family([(r[0], r[4]) for r in subset]))
        return out

    return Score(
        cases=len(cases),
        cases_covered=covered,
        expected_values=expected,
        predicted_values=len(rows),
        predictions_with_error=errors,
        fits_false=fits_false,
        overall=stats([r[4] for r in rows]),
        by_family=_per_family([(r[0], r[4]) for r in rows]),
        by_engine=split(1),
        by_load=split(2),
        by_source=split(3),
    )


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


def _rows(label: str, families: Mapping[str, Stats], overall: Stats | None) -> list[str]:
    lines = []
    if overall is not None:
        lines.append(_line(label, "all", overall))
    for name, s in families.items():
        if name != "all" and s.count:
            lines.append(_line("" if overall is not None else label, name, s))
    return lines


def _line(label: str, name: str, s: Stats) -> str:
    return (
        f"  {label[:38]:<38} {name:<13} {s.count:>6} {_pct(s.median_ape)} "
        f"{_pct(s.within_10)} {_pct(s.within_25)} {_pct(s.within_50)}"
    )


def render(result: Score, *, splits: bool = True) -> str:
    """The scorer's text tables."""
    head = (
        f"  {'group':<38} {'family':<13} {'count':>6} {'medAPE':>6} {'<=10%':>6} "
        f"{'<=25%':>6} {'<=50%':>6}"
    )
    out = [
        f"cases: {result.cases}   covered: {result.cases_covered}   "
        f"coverage: {_pct(result.coverage).strip()}",
        f"expected values: {result.expected_values}   predicted: {result.predicted_values}   "
        f"value coverage: {_pct(result.value_coverage).strip()}",
        f"with error: {result.predictions_with_error}   "
        f"fits=false on measured cases: {result.fits_false}",
        "",
        "Overall and by metric family",
        head,
        *_rows("ALL", result.by_family, result.overall),
    ]
    if splits:
        for title, table in (
            ("By engine", result.by_engine),
            ("By load kind", result.by_load),
            ("By source", result.by_source),
        ):
            out += ["", title, head]
            for key, fams in table.items():
                out += _rows(key, fams, fams["all"])
    return "\n".join(out)
