"""The knowledge base's measurements against the hardware bounds their labels imply.

A wrong label (another GPU, precision or engine than the run's) shows when a measurement beats
what its stated hardware can do. Each benchmark record the fit reads is set against three
bounds:

* **compute** — total tokens/s × 2 × active parameters over the stated GPUs' dense tensor peak
  at the stated precision (``core.roofline.compute_tflops``). Attention's FLOPs come on top,
  so a share above 1 cannot be;
* **bandwidth** — the active weights' bytes on one GPU over its HBM bandwidth, against the
  measured TPOT or ITL median and the single-stream decode rate: a decode step cannot take less
  than reading the weights it uses (more experts are read at larger batches, so the floor is
  low for MoE models). A share above 1 cannot be;
* **prefill** — one prompt's FLOPs (2 per active parameter and prompt token) over the GPUs'
  dense peak, against the measured TTFT median (or mean): no first token comes sooner than its
  prompt's arithmetic. A share above 1 cannot be;
* **queue** — a burst (or static batch) of ``N`` prompts sent at once: whatever the scheduler's
  order or batching, the ``k``-th first token cannot come before the GPUs have done the
  prefill arithmetic of ``k`` prompts, at the least the ``k`` shortest, at the dense peak of
  every GPU of every replica. So the TTFT quantile ``q`` is at least ``N·∫₀^q L(u) du`` prompt
  tokens' FLOPs over that peak (``L`` the prompt-length quantile function) and the mean at
  least ``N·∫₀¹ (1 − u)·L(u) du``'s, against the measured mean, median, p90 and p99. A share
  above 1 cannot be, unless the prompts share a cached prefix or were not all sent at once.

The largest shares of each bound are printed, those above 1 flagged, and then the
measurements the fit leaves out because their label is known to be wrong
(``core.calibration_problem.MISLABELLED``), with the evidence. Session 76's run found one share
above 1: TensorRT-LLM's 0.1 ms ITL median on GPUStack's Qwen3-14B H100 page, which streams its
tokens in bunches (its TPOT median is 107 ms). Session 81's queue bound finds no value beyond
it, in the knowledge base (largest share 0.81) or in the never-fitted sets (``--cases
bench/data/unseen_*.jsonl``; largest 0.88, GPUStack's gpt-oss-20b bursts on an A100, then 0.87,
the quantization page's BF16 Qwen3-8B ShareGPT burst on an A100: close to the bound, not
beyond it once the shortest prompts are counted first).

Usage: ``.venv/bin/python bench/measurement_bounds.py [--top N] [--cases FILE ...]``
(``--cases``: calibration case files, such as the never-fitted sets under ``bench/data``,
instead of the knowledge base).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from predeploy.core.calibration_problem import MISLABELLED, Measurement
from predeploy.core.lengths import token_length_grid
from predeploy.core.roofline import compute_tflops
from predeploy.core.weights import BYTES_PER_WEIGHT
from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    measurements_from_cases,
    measurements_from_records,
    read_benchmark_records,
)

#: The decode-step metrics a weights' read time bounds from below (ms).
STEP_METRICS = ("tpot_ms_p50", "tpot_ms_mean", "itl_ms_p50")

#: The TTFT statistics a burst's prefill queue bounds from below, with their quantile (``None``:
#: the mean).
QUEUE_METRICS: dict[str, float | None] = {
    "ttft_ms_mean": None,
    "ttft_ms_p50": 0.5,
    "ttft_ms_p90": 0.9,
    "ttft_ms_p99": 0.99,
}


def compute_share(m: Measurement) -> float | None:
    """Total tokens/s times 2 FLOPs per active parameter over the GPUs' dense peak."""
    total = m.metrics.get("total_tokens_per_s")
    if not total:
        return None
    s = m.scenario
    flops_per_token = 2.0 * s.model.active_params_b * 1e9
    peak = s.tp * s.pp * s.replicas * compute_tflops(s.gpu, s.precision) * 1e12
    return total * flops_per_token / peak


def weights_read_s(m: Measurement) -> float:
    """Seconds to read one GPU's share of the active weights at its HBM bandwidth."""
    s = m.scenario
    active_bytes = s.model.active_params_b * 1e9 * BYTES_PER_WEIGHT[s.precision]
    return active_bytes / (s.tp * s.pp) / (s.gpu.memory_bandwidth_gb_s * 1e9)


def bandwidth_shares(m: Measurement) -> dict[str, float]:
    """Per decode metric, the weights' read time over the measured step (above 1: impossible)."""
    floor_s = weights_read_s(m)
    out = {k: floor_s * 1e3 / m.metrics[k] for k in STEP_METRICS if m.metrics.get(k)}
    rate = m.metrics.get("decode_tokens_per_s_single_stream")
    if rate:
        out["decode_tokens_per_s_single_stream"] = floor_s * rate
    return out


def prefill_share(m: Measurement) -> float | None:
    """One prompt's dense arithmetic time over the measured TTFT median (or mean)."""
    ttft_ms = m.metrics.get("ttft_ms_p50") or m.metrics.get("ttft_ms_mean")
    if not ttft_ms:
        return None
    s = m.scenario
    flops = 2.0 * s.model.active_params_b * 1e9 * s.prompt_tokens.mean
    peak = s.tp * s.pp * compute_tflops(s.gpu, s.precision) * 1e12
    return flops / peak * 1e3 / ttft_ms


def queue_shares(m: Measurement) -> dict[str, float]:
    """Per TTFT statistic of a burst or static batch, the least time the GPUs need for the
    prefill arithmetic ahead of it over the measured value (above 1: impossible)."""
    s = m.scenario
    prompts = {"burst": s.load.num_prompts, "static_batch": s.load.batch_size}.get(s.load.kind)
    if not prompts or prompts < 2:
        return {}
    # Sorted quantiles at (i + ½)/G: L is g_i on [i/G, (i + 1)/G).
    lengths = token_length_grid(s.prompt_tokens)
    g = lengths.size
    i = np.arange(g)
    peak = s.tp * s.pp * s.replicas * compute_tflops(s.gpu, s.precision) * 1e12
    token_s = 2.0 * s.model.active_params_b * 1e9 / peak
    out = {}
    for metric, q in QUEUE_METRICS.items():
        measured = m.metrics.get(metric)
        if not measured:
            continue
        # Prompt tokens ahead, N·∫₀^q L(u) du or N·∫₀¹ (1 − u)·L(u) du: each step of L weighed
        # by its share of [0, q), or by its mean of 1 − u.
        weights = 1.0 - (i + 0.5) / g if q is None else np.clip(q * g - i, 0.0, 1.0)
        tokens = prompts * float(np.sum(weights * lengths)) / g
        out[metric] = tokens * token_s * 1e3 / measured
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=8, help="largest shares listed per bound")
    parser.add_argument(
        "--cases", type=Path, nargs="+", help="calibration case files instead of the KB"
    )
    args = parser.parse_args(argv)
    catalog = default_catalog()
    if args.cases:
        cases = [c for path in args.cases for c in cases_from_lines(path.read_text().splitlines())]
        measurements, skipped = measurements_from_cases(cases, catalog)
    else:
        measurements, skipped = measurements_from_records(read_benchmark_records(), catalog)
    rows: list[tuple[float, str, Measurement]] = []
    for m in measurements:
        share = compute_share(m)
        if share is not None:
            rows.append((share, "compute", m))
        rows.extend((v, f"bandwidth ({k})", m) for k, v in bandwidth_shares(m).items())
        prefill = prefill_share(m)
        if prefill is not None:
            rows.append((prefill, "prefill", m))
        rows.extend((v, f"queue ({k})", m) for k, v in queue_shares(m).items())
    print(f"{len(measurements)} measurements ({len(skipped)} records skipped)")
    for bound in ("compute", "bandwidth", "prefill", "queue"):
        ranked = sorted((r for r in rows if r[1].startswith(bound)), key=lambda r: -r[0])
        over = sum(r[0] > 1.0 for r in ranked)
        print(f"\n{bound}: {over} of {len(ranked)} values beyond the bound; the largest shares:")
        for share, what, m in ranked[: args.top]:
            s = m.scenario
            flag = "  IMPOSSIBLE" if share > 1.0 else ""
            print(
                f"  {share:6.2f}  {what:<44} {s.gpu.display(s.tp * s.pp * s.replicas):<16} "
                f"{s.precision.value:<5} {m.id}{flag}"
            )
    known = {m.id for m in measurements} & set(MISLABELLED)
    print(f"\n{len(known)} measurements the fit leaves out as mislabelled:")
    for why in sorted({MISLABELLED[i] for i in known}):
        print(f"  {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
