"""Held-out accuracy of the performance engine (prints score_perf.py-style tables).

Leave-one-source-out: for every source of the public calibration set, fit the efficiency
parameters on all other measurements (AIConfigurator rows included) and predict the held-out
source. Leave-one-GPU-out: the same per accelerator. Each measured value is scored against
a model that never saw its source (or accelerator). Configuration folds (``--split config``):
the public (source, model, GPU) configurations dealt into five folds, each predicted by a fit
without it: new measurements from known harnesses, models and accelerators.

AIConfigurator by GPU (``--aiconfigurator-by-gpu``): the AIConfigurator silicon rows of one
accelerator held out at a time, everything else fitted (fixed-concurrency TTFT/TPOT of vLLM,
SGLang and TensorRT-LLM on a known GPU: the closest analogue of unseen serving benchmarks).

Usage: ``.venv/bin/python bench/perf_validate.py [--split source|gpu|config|both|all]
[--include-aiconfigurator] [--aiconfigurator-by-gpu] [--jobs 2] [--markdown
docs/perf-validation.md] [--accuracy-out src/predeploy/data/perf_accuracy.json]``.
``--markdown`` replaces the tables between the ``<!-- tables:start -->``/``<!-- tables:end
-->`` markers of that file. ``--accuracy-out`` writes the error bands predictions are shown
with (``services.perf_accuracy``) from the config and GPU splits (run with ``--split all``).
The metrics are ``predeploy.core.scoring``'s, which a test checks against
../shared/calibration/score_perf.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from perf_residuals import AIC, measurements, run_split
from predeploy.core.calibration import MAX_ITERATIONS
from predeploy.core.scoring import Score, render, score
from predeploy.core.validation import (
    SPLIT_CHOICES,
    SPLIT_TITLES,
    Split,
    held_out_scored,
    scored_cases,
)
from predeploy.services.perf import validation_inputs
from predeploy.services.perf_accuracy import measure_accuracy, write_accuracy

REPO = Path(__file__).resolve().parents[1]
START, END = "<!-- tables:start -->", "<!-- tables:end -->"


TITLES = {
    **SPLIT_TITLES,
    "aiconfigurator-gpu": "AIConfigurator rows held out by GPU",
}


def _markdown(results: dict[str, Score]) -> str:
    parts = [START]
    for split, result in results.items():
        parts += [f"\n### {TITLES[split]}\n", "```", render(result), "```"]
    parts.append(END)
    return "\n".join(parts)


def aiconfigurator_by_gpu(iterations: int, jobs: int) -> Score:
    """AIConfigurator rows of each GPU predicted by a fit without them."""
    held = run_split("aic-gpu", iterations=iterations, jobs=jobs, params_file=None)
    rows = [m for m in measurements() if m.source_key == AIC]
    return score(scored_cases(rows), held)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="both", choices=list(SPLIT_CHOICES))
    parser.add_argument("--include-aiconfigurator", action="store_true")
    parser.add_argument("--aiconfigurator-by-gpu", action="store_true")
    parser.add_argument("--jobs", type=int, default=1, help="parallel fits (AIConfigurator split)")
    parser.add_argument("--iterations", type=int, default=MAX_ITERATIONS)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--accuracy-out", type=Path, help="write the error bands here")
    args = parser.parse_args()
    splits = SPLIT_CHOICES[args.split]
    if args.accuracy_out and not {"config", "gpu"} <= set(splits):
        sys.exit("--accuracy-out needs the config and gpu splits (--split all)")
    ms, sources = validation_inputs(include_aiconfigurator=args.include_aiconfigurator)
    results: dict[str, Score] = {}
    held: dict[Split, dict[str, dict[str, object]]] = {}
    for split in splits:
        started = time.perf_counter()
        scored, held[split] = held_out_scored(
            ms,
            split,
            score_sources=sources,
            max_iterations=args.iterations,
            progress=lambda line: print(f"  {line}", file=sys.stderr),
        )
        results[split] = score(scored_cases(scored), held[split])
        print(f"\n## {TITLES[split]} ({time.perf_counter() - started:.0f} s)\n")
        print(render(results[split]))
    if args.aiconfigurator_by_gpu:
        started = time.perf_counter()
        results["aiconfigurator-gpu"] = aiconfigurator_by_gpu(args.iterations, args.jobs)
        print(f"\n## {TITLES['aiconfigurator-gpu']} ({time.perf_counter() - started:.0f} s)\n")
        print(render(results["aiconfigurator-gpu"]))
    if args.accuracy_out:
        accuracy = measure_accuracy(ms, score_sources=sources, held=held)
        print(f"\nwrote {write_accuracy(accuracy, args.accuracy_out)}")
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
