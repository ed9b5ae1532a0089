"""Held-out accuracy of the performance engine (prints score_perf.py-style tables).

Leave-one-source-out: for every source of the public calibration set, fit the efficiency
parameters on all other measurements (AIConfigurator rows included) and predict the held-out
source. Leave-one-GPU-out: the same per accelerator. Each measured value is scored against
a model that never saw its source (or accelerator).

Usage: ``.venv/bin/python bench/perf_validate.py [--split source|gpu|both]
[--include-aiconfigurator] [--markdown docs/perf-validation.md]``. ``--markdown`` replaces
the tables between the ``<!-- tables:start -->``/``<!-- tables:end -->`` markers of that
file. The metrics are ``predeploy.core.scoring``'s, which a test checks against
../shared/calibration/score_perf.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from predeploy.core.scoring import Score, render
from predeploy.services.perf import validate_parameters

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- tables:start -->", "<!-- tables:end -->"


def _markdown(results: dict[str, Score]) -> str:
    parts = [START]
    for split, result in results.items():
        parts += [f"\n### Leave one {split} out\n", "```", render(result), "```"]
    parts.append(END)
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="both", choices=["source", "gpu", "both"])
    parser.add_argument("--include-aiconfigurator", action="store_true")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    splits = ["source", "gpu"] if args.split == "both" else [args.split]
    results: dict[str, Score] = {}
    for split in splits:
        started = time.perf_counter()
        results[split] = validate_parameters(
            split,  # type: ignore[arg-type]
            include_aiconfigurator=args.include_aiconfigurator,
            max_iterations=args.iterations,
            progress=lambda line: print(f"  {line}", file=sys.stderr),
        )
        print(f"\n## Leave one {split} out ({time.perf_counter() - started:.0f} s)\n")
        print(render(results[split]))
    if args.markdown:
        text = args.markdown.read_text(encoding="utf-8")
        if START not in text or END not in text:
            sys.exit(f"{args.markdown}: no {START} ... {END} markers")
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        args.markdown.write_text(before + _markdown(results) + after, encoding="utf-8")
        print(f"\nupdated {args.markdown}")


if __name__ == "__main__":
    main()
