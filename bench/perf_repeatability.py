"""How far repeated public measurements of one scenario agree: the floor under any prediction.

Scenarios measured by more than one run (in practice: MLPerf submitters running the same
benchmark on the same accelerators at the same request rate) are scored twice with the
calibration scorer, on exactly the same values:

* **repeat runs** — each value predicted by the median of the other runs of its scenario
  (``predeploy.core.repeatability``): error no model of the scenario can remove;
* **predeploy in sample** — the shipped parameters (what ``predeploy predict`` writes);
* **predeploy held out** — with ``--held-out DIR``, the cached predictions of
  ``bench/perf_residuals.py --cache DIR`` for each split found there (source, gpu, config).

It also lists the knowledge base's contradictory copies: measurements identical, metric for
metric, to one of a different scenario, which the fit leaves out
(``core.calibration_problem.contradictory_copies``).

Usage: ``.venv/bin/python bench/perf_repeatability.py [--cases PATH] [--held-out DIR]
[--details]``. Needs ../shared/calibration/perf_cases.jsonl (or ``--cases``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from predeploy.core.calibration_problem import contradictory_copies
from predeploy.core.repeatability import replicate_predictions
from predeploy.core.scoring import FAMILIES, Score, render, score
from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    load_parameters,
    measurements_from_records,
    predict_cases,
    read_benchmark_records,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = REPO.parent / "shared" / "calibration" / "perf_cases.jsonl"
HELD_OUT_SPLITS = ("source", "gpu", "config")


def line(label: str, result: Score) -> str:
    def pct(value: float | None) -> str:
        return "     -" if value is None else f"{100 * value:5.1f}%"

    families = "  ".join(pct(result.by_family[f].median_ape) for f in FAMILIES[:4])
    return (
        f"  {label:<28} {result.predicted_values:>6}  {pct(result.overall.median_ape)}  "
        f"{families}  {pct(result.overall.within_25)}"
    )


def in_sample(lines: Sequence[str], ids: set[str]) -> dict[str, dict[str, object]]:
    """The shipped parameters' predictions of the cases ``ids`` (their JSON as given)."""
    objects = [obj for text in lines if text.strip() and (obj := json.loads(text))["id"] in ids]
    rows = predict_cases(objects, default_catalog(), load_parameters())
    return {str(r["id"]): r for r in rows}


def held_out(folder: Path) -> dict[str, Mapping[str, dict[str, object]]]:
    found = {}
    for split in HELD_OUT_SPLITS:
        path = folder / f"{split}.json"
        if path.exists():
            found[split] = json.loads(path.read_text())
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--held-out", type=Path, help="perf_residuals.py --cache folder")
    parser.add_argument("--details", action="store_true", help="the scorer's full tables")
    args = parser.parse_args()
    if not args.cases.exists():
        print(f"skipped: {args.cases} not found (the shared calibration set)")
        return 0
    lines = args.cases.read_text().splitlines()
    cases = cases_from_lines(lines)
    reps = replicate_predictions(cases)
    print(
        f"{len(cases)} cases; {reps.scenarios} scenarios measured by two or more runs "
        f"({len(reps.cases)} runs); {reps.duplicate_copies} cases are copies of a run "
        "already counted (MLPerf results filed under both accuracy targets), left out"
    )
    table = [c.scored() for c in reps.cases]
    results = {"repeat runs": score(table, reps.predictions)}
    results["predeploy in sample"] = score(table, in_sample(lines, {c.id for c in reps.cases}))
    if args.held_out:
        for split, preds in held_out(args.held_out).items():
            results[f"predeploy held out ({split})"] = score(table, preds)
    head = "  ".join(f"{f[:8]:>6}" for f in FAMILIES[:4])
    print(f"\n  {'predictor':<28} {'values':>6}  {'all':>6}  {head}  {'<=25%':>6}")
    for label, result in results.items():
        print(line(label, result))
    measurements, _ = measurements_from_records(read_benchmark_records(), default_catalog())
    copies = sorted(contradictory_copies(measurements))
    print(f"\n{len(copies)} measurements copy one of a different scenario (left out of the fit):")
    for case_id in copies:
        print(f"  {case_id}")
    if args.details:
        for label, result in results.items():
            print(f"\n== {label} ==\n{render(result, splits=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
