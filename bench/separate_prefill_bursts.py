"""SGLang's bursts: the analytic mode against the simulation and the measurements.

GPUStack's performance lab measures SGLang (separate prefill batches, admission on the
``new_token_ratio``) with ``vllm bench serve`` bursts of 100-1,000 prompts: ShareGPT, fixed
and long-prompt lengths. Each case is predicted by the analytic mode (shipped parameters) and
simulated (``--requests`` requests at most, the case's own count when smaller), and the table
gives, per metric, the median |log ratio| of measured ÷ analytic, measured ÷ simulated and
simulated ÷ analytic, and the median signed log ratio of the first two (+: the measured is
higher). The first wave's admission (``fluid_load._burst_wave_limit``), the later prompts'
slots (``fluid_ttft._slot_renewal_ttft``) and the first wave's stalled TPOT
(``core.fluid_stall_tpot``) are what the analytic side of these rows rests on, and for the
ITL percentiles of every engine's bursts (``--engine vllm``, ``--engine trtllm``) the refill
window before the queue empties (``fluid_decode.refill_window``, session 89).

Usage: ``.venv/bin/python bench/separate_prefill_bursts.py [--cases PATH] [--requests N]
[--jobs 2] [--engine sglang]``. Needs ../shared/calibration/perf_cases.jsonl (or ``--cases``).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from predeploy.services.perf import default_catalog, load_parameters, predict_cases

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = REPO.parent / "shared" / "calibration" / "perf_cases.jsonl"
SOURCE = "gpustack-performance-lab"
METRICS = (
    "ttft_ms_mean",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "itl_ms_mean",
    "itl_ms_p50",
    "itl_ms_p99",
    "tpot_ms_mean",
    "tpot_ms_p50",
    "tpot_ms_p99",
    "output_tokens_per_s",
)


def _predict(case: dict[str, Any], requests: int) -> dict[str, Any]:
    """One case's measured, analytic and simulated metrics (a worker process)."""
    catalog, params = default_catalog(), load_parameters()
    analytic = predict_cases([case], catalog, params)[0].get("metrics", {})
    count = case["scenario"]["load"].get("num_prompts") or requests
    simulated = predict_cases(
        [case], catalog, params, mode="simulate", num_requests=min(count, requests), seed=1
    )[0].get("metrics", {})
    return {"expected": case["expected"], "analytic": analytic, "simulated": simulated}


class Agreement(NamedTuple):
    """One metric's median log ratios (natural log, no unit) over the cases that have all
    three values: absolute measured ÷ analytic, measured ÷ simulated and simulated ÷
    analytic, and signed measured ÷ analytic and measured ÷ simulated (+: measured higher)."""

    cases: int
    measured_analytic: float
    measured_simulated: float
    simulated_analytic: float
    measured_analytic_bias: float
    measured_simulated_bias: float


def _median_logs(rows: list[dict[str, Any]], metric: str) -> Agreement | None:
    triples = [
        (r["expected"][metric], r["analytic"].get(metric), r["simulated"].get(metric))
        for r in rows
        if metric in r["expected"]
    ]
    triples = [t for t in triples if t[1] and t[2] and t[0] > 0]
    if not triples:
        return None
    by_analytic = [math.log(m / a) for m, a, _ in triples]
    by_simulation = [math.log(m / s) for m, _, s in triples]
    between = [math.log(s / a) for _, a, s in triples]
    return Agreement(
        len(triples),
        statistics.median(abs(v) for v in by_analytic),
        statistics.median(abs(v) for v in by_simulation),
        statistics.median(abs(v) for v in between),
        statistics.median(by_analytic),
        statistics.median(by_simulation),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--engine", default="sglang")
    args = parser.parse_args()
    if not args.cases.exists():
        print(f"skipped: {args.cases} not found (the shared calibration set)")
        return 0
    cases = [
        case
        for text in args.cases.read_text().splitlines()
        if text.strip()
        and (case := json.loads(text))["source_key"] == SOURCE
        and case["scenario"]["engine"] == args.engine
        and case["scenario"]["load"]["kind"] == "burst"
    ]
    work = partial(_predict, requests=args.requests)
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(work, cases))
    else:
        rows = [work(case) for case in cases]
    print(
        f"{len(rows)} {args.engine} bursts of {SOURCE}, simulated with at most "
        f"{args.requests} requests (seed 1)"
    )
    print(
        f"  {'metric':<20} {'n':>3}  {'|meas/ana|':>10} {'|meas/sim|':>10} {'|sim/ana|':>9}"
        f"  {'meas/ana':>8} {'meas/sim':>8}"
    )
    for metric in METRICS:
        found = _median_logs(rows, metric)
        if found is None:
            continue
        print(
            f"  {metric:<20} {found.cases:>3}  {found.measured_analytic:>10.3f} "
            f"{found.measured_simulated:>10.3f} {found.simulated_analytic:>9.3f}"
            f"  {found.measured_analytic_bias:>+8.3f} {found.measured_simulated_bias:>+8.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
