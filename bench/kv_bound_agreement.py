"""Analytic mode vs simulation where the KV cache limits the running batch.

Three tables, no pass/fail:

* **Throughput and batch** of offline runs and closed loops at the cache's limit (Llama 3.1
  8B/70B, Qwen3 30B-A3B; alike, chat-like and long dispersed answers): analytic ÷ simulated
  output tokens per second, with both running batches and KV-cache usages. A batch that
  replaces its finished requests holds each answer in proportion to its length
  (``lengths.running_output_tokens``), so dispersed answers fill the cache with fewer requests
  than their mean suggests.
* **Recompute** of a full cache: prompt tokens computed again per output token, the analytic
  mode's (``fluid_steady.kv_growth_deficit``) against the simulation's (every prompt token it
  prefilled beyond each request's own prompt, over the tokens it generated, whole run).
* **SGLang** where the KV cache bounds the batch: the analytic mode reserves the answers, the
  simulation admits by ``new_token_ratio`` and retracts (``core.new_token_ratio``): throughput
  ratio, batches, retractions per request and the TPOT p99 the retractions stretch.
* **Bursts of ShareGPT-like requests** at the cache's limit (``vllm bench serve``: answers of
  CV 2 capped at 2,044 tokens): the analytic running batch and share of prefill-carrying steps
  against the simulated decoders and share in the run's middle (20th-60th percentile of its
  completions), and output throughput, TTFT, TPOT and ITL medians, analytic ÷ simulated. A
  burst refills its slots from its queue, so its answers are younger than the steady state's
  (``fluid_steady.started_run_output``). The simulation admits prompts into a full cache in
  lumps, as completions free room (a share of the steps carries them, several prompts each);
  the analytic mode counts one prompt a step (docs/perf-validation.md, session 73).
* **TTFT of finite closed loops** with more clients than the cache holds: analytic and
  simulated mean/p50/p90, and the wait every later request would have for the steady batch
  (``(c − B_max)/μ``). Early in a run the answers are young and the cache holds more of them
  (``fluid_load.closed_loop_slot_wait_s``).

    .venv/bin/python bench/kv_bound_agreement.py
"""

from __future__ import annotations

import numpy as np

from predeploy.core.fluid_load import operating_point
from predeploy.core.latency import RooflineStepCost
from predeploy.core.perf import per_replica_load, predict, scheduler_config
from predeploy.core.simulator import run_simulation
from predeploy.core.types import Engine, LoadSpec, ServingScenario, TokenDistribution
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.services.perf import load_parameters
from support.scenarios import catalog_scenario

#: Requests per simulation (the throughput table measures offline runs in steady state).
SIMULATED_REQUESTS = 2000
#: Requests of a recompute run (counted whole, ramp-up and drain included).
RECOMPUTE_REQUESTS = 3000

LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct"
LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct"
QWEN_30B = "Qwen/Qwen3-30B-A3B"
OFFLINE = LoadSpec(kind="max_throughput")


def _lengths(mean: float, cv: float, cap: int | None = None) -> TokenDistribution:
    if cv == 0:
        return TokenDistribution.fixed(mean)
    return TokenDistribution(kind="lognormal", mean=mean, stdev=mean * cv, max=cap)


def scenario(
    model: str, gpu: str, tp: int, precision: str, prompt: tuple[float, float],
    output: tuple[float, float], load: LoadSpec, engine: Engine = Engine.VLLM,
    answer_cap: int | None = None,
) -> ServingScenario:
    return catalog_scenario(
        model, gpu, precision, tp, _lengths(*prompt), _lengths(*output, answer_cap), load, engine
    )


THROUGHPUT_CASES = {
    "8B H100, 512/256 alike, offline": (LLAMA_8B, "H100-SXM", 1, "bf16", (512, 0), (256, 0),
                                        OFFLINE),
    "8B H100, 1000/4000 CV 1, offline": (LLAMA_8B, "H100-SXM", 1, "bf16", (1000, 0),
                                         (4000, 1.0), OFFLINE),
    "8B L4 FP8, chat 800/300, offline": (LLAMA_8B, "L4", 1, "fp8", (800, 0.75), (300, 0.8),
                                         OFFLINE),
    "8B L4 FP8, chat, 256 clients": (LLAMA_8B, "L4", 1, "fp8", (800, 0.75), (300, 0.8),
                                     LoadSpec(kind="concurrency", concurrency=256)),
    "70B 4x H100 FP8, 2000/1000 CV 1, offline": (LLAMA_70B, "H100-SXM", 4, "fp8", (2000, 0.5),
                                                 (1000, 1.0), OFFLINE),
    "Qwen3 30B A100, 1000/3000 CV 1.2, 512 clients": (
        QWEN_30B, "A100-80GB", 1, "bf16", (1000, 0.5), (3000, 1.2),
        LoadSpec(kind="concurrency", concurrency=512),
    ),
}

RECOMPUTE_CASES = {
    "8B H100, 512/256 alike": (LLAMA_8B, "H100-SXM", 1, "bf16", (512, 0), (256, 0)),
    "8B H100, 512/256 CV 0.3": (LLAMA_8B, "H100-SXM", 1, "bf16", (512, 0), (256, 0.3)),
    "8B H100, 512/256 CV 0.6": (LLAMA_8B, "H100-SXM", 1, "bf16", (512, 0), (256, 0.6)),
    "8B H100, 1000/4000 CV 1": (LLAMA_8B, "H100-SXM", 1, "bf16", (1000, 0), (4000, 1.0)),
    "8B H100, 2000/200 alike": (LLAMA_8B, "H100-SXM", 1, "bf16", (2000, 0), (200, 0)),
    "8B L4 FP8, 512/256 alike": (LLAMA_8B, "L4", 1, "fp8", (512, 0), (256, 0)),
    "8B L4 FP8, 128/1024 alike": (LLAMA_8B, "L4", 1, "fp8", (128, 0), (1024, 0)),
    "8B L4 FP8, chat 800/300": (LLAMA_8B, "L4", 1, "fp8", (800, 0.75), (300, 0.8)),
    "70B 2x H100 FP8, 1000/500 alike": (LLAMA_70B, "H100-SXM", 2, "fp8", (1000, 0), (500, 0)),
    "70B 2x H100 FP8, 1000/500 CV 0.5": (LLAMA_70B, "H100-SXM", 2, "fp8", (1000, 0),
                                         (500, 0.5)),
}


def throughput_table() -> None:
    params = load_parameters()
    print(f"{'offline runs and closed loops':<48}{'analytic':>9}{'simulated':>10}{'ratio':>7}"
          f"{'batch a/s':>15}{'KV a/s':>11}")
    for name, args in THROUGHPUT_CASES.items():
        s = scenario(*args)
        a = predict(s, params).metrics
        b = predict(s, params, mode="simulate", num_requests=SIMULATED_REQUESTS).metrics
        print(
            f"{name:<48}{a.output_tokens_per_s:>9,.0f}{b.output_tokens_per_s:>10,.0f}"
            f"{a.output_tokens_per_s / b.output_tokens_per_s:>7.2f}"
            f"{a.mean_batch_size:>8.0f}/{b.mean_batch_size:<6.0f}"
            f"{a.kv_cache_usage:>6.2f}/{b.kv_cache_usage:<4.2f}"
        )


def recompute_table() -> None:
    params = load_parameters()
    print(f"\n{'recompute per output token, offline':<48}{'analytic':>9}{'simulated':>10}"
          f"{'preemptions/request':>21}")
    for name, args in RECOMPUTE_CASES.items():
        s = scenario(*args, OFFLINE)
        prepared = prepare(s)
        eff, _ = params.for_gpu(s.gpu, s.engine, s.harness)
        op = operating_point(stack([prepared], EfficiencyArrays.from_params([eff])))
        analytic = float(op.steady.recompute_tokens_per_step[0] / op.batch[0])
        step = RooflineStepCost.of(prepared.shape, prepared.hw, eff, prepared.graph_max_batch)
        trace = run_simulation(
            step, scheduler_config(prepared), per_replica_load(s.load.as_run(), s.replicas),
            s.prompt_tokens, s.output_tokens, RECOMPUTE_REQUESTS, 0,
        )
        again = trace.prefill_tokens_computed - float(trace.prompt_tokens.sum())
        print(
            f"{name:<48}{analytic:>9.2f}{again / trace.tokens_generated:>10.2f}"
            f"{trace.num_preemptions / len(trace.prompt_tokens):>21.2f}"
        )


SGLANG_CASES = {
    "8B L4, 1000/1000 CV 1, burst of 2,000": (LLAMA_8B, "L4", 1, "fp8", (1000, 0.5),
                                              (1000, 1.0),
                                              LoadSpec(kind="burst", num_prompts=2000)),
    "8B L4, 512/512 CV 1, 256 clients": (LLAMA_8B, "L4", 1, "fp8", (512, 0.5), (512, 1.0),
                                         LoadSpec(kind="concurrency", concurrency=256)),
    "8B L4, 1000/1000 alike, burst of 2,000": (LLAMA_8B, "L4", 1, "fp8", (1000, 0),
                                               (1000, 0),
                                               LoadSpec(kind="burst", num_prompts=2000)),
    "Qwen3 30B A100, 2000/2000 CV 1, 128 clients": (
        QWEN_30B, "A100-80GB", 1, "bf16", (2000, 0.5), (2000, 1.0),
        LoadSpec(kind="concurrency", concurrency=128),
    ),
    "70B 2x H100 FP8, 1000/1000 CV 1, offline": (LLAMA_70B, "H100-SXM", 2, "fp8", (1000, 0.5),
                                                 (1000, 1.0), OFFLINE),
}


def sglang_table() -> None:
    params = load_parameters()
    print(f"\n{'SGLang, KV-bound':<48}{'analytic':>9}{'simulated':>10}{'ratio':>7}"
          f"{'batch a/s':>15}{'retracted':>10}{'TPOT p99 a/s ms':>18}")
    for name, args in SGLANG_CASES.items():
        s = scenario(*args, engine=Engine.SGLANG)
        a = predict(s, params).metrics
        b = predict(s, params, mode="simulate", num_requests=SIMULATED_REQUESTS, seed=1)
        m = b.metrics
        retracted = m.provenance.num_preemptions_simulated or 0
        print(
            f"{name:<48}{a.output_tokens_per_s:>9,.0f}{m.output_tokens_per_s:>10,.0f}"
            f"{a.output_tokens_per_s / m.output_tokens_per_s:>7.2f}"
            f"{a.mean_batch_size:>8.0f}/{m.mean_batch_size:<6.0f}"
            f"{retracted / SIMULATED_REQUESTS:>10.3f}"
            f"{a.tpot_ms.p99:>9,.0f}/{m.tpot_ms.p99:<8,.0f}"
        )


FINITE_CLOSED_LOOPS = {
    "8B L4 FP8, ShareGPT-like, 256 clients": (LLAMA_8B, "L4", 1, "fp8", (225, 1.2), (205, 2.0),
                                              256),
    "8B L4 FP8, ShareGPT-like, 512 clients": (LLAMA_8B, "L4", 1, "fp8", (225, 1.2), (205, 2.0),
                                              512),
    "8B L4 FP8, chat 800/300, 192 clients": (LLAMA_8B, "L4", 1, "fp8", (800, 0.75), (300, 0.8),
                                             192),
    "8B H100, 1000/4000 CV 1, 128 clients": (LLAMA_8B, "H100-SXM", 1, "bf16", (1000, 0),
                                             (4000, 1.0), 128),
}


def finite_closed_loop_table() -> None:
    params = load_parameters()
    print(f"\n{'TTFT s, 2,000 requests: mean/p50/p90':<44}{'analytic':>20}{'simulated':>20}"
          f"{'steady wait':>13}")
    for name, (*args, clients) in FINITE_CLOSED_LOOPS.items():
        load = LoadSpec(kind="concurrency", concurrency=clients, num_prompts=SIMULATED_REQUESTS)
        s = scenario(*args, load)
        a = predict(s, params).metrics.ttft_ms
        b = predict(s, params, mode="simulate", num_requests=SIMULATED_REQUESTS).metrics.ttft_ms
        prepared = prepare(s)
        eff, _ = params.for_gpu(s.gpu, s.engine, s.harness)
        op = operating_point(stack([prepared], EfficiencyArrays.from_params([eff])))
        steady = float(((op.concurrency - op.max_batch) / op.saturation_rps)[0])
        print(
            f"{name:<44}{a.mean / 1e3:>8.1f}/{a.p50 / 1e3:.1f}/{a.p90 / 1e3:<5.1f}"
            f"{b.mean / 1e3:>8.1f}/{b.p50 / 1e3:.1f}/{b.p90 / 1e3:<5.1f}{steady:>11.1f}"
        )


#: Answers capped as ``vllm bench serve`` caps ShareGPT's (prompt + output ≤ 2,048 tokens).
SHAREGPT_ANSWER_CAP = 2044
QWEN3_32B = "Qwen/Qwen3-32B"
BURSTS = {
    "8B L4 FP8, burst of 1,000": (LLAMA_8B, "L4", 1, "fp8", 1000),
    "8B A10G, burst of 1,000": (LLAMA_8B, "A10G", 1, "bf16", 1000),
    "Qwen3 32B A100, burst of 1,000": (QWEN3_32B, "A100-80GB", 1, "bf16", 1000),
    "70B 2x H100 FP8, burst of 2,000": (LLAMA_70B, "H100-SXM", 2, "fp8", 2000),
}


def burst_table() -> None:
    params = load_parameters()
    print(f"\n{'ShareGPT-like bursts, analytic/simulated':<36}{'batch':>10}{'prefill share':>15}"
          f"{'throughput':>11}{'TTFT p50':>9}{'TPOT p50':>9}{'ITL p50':>8}")
    for name, (model, gpu, tp, precision, n) in BURSTS.items():
        s = scenario(model, gpu, tp, precision, (225, 1.2), (205, 2.0),
                     LoadSpec(kind="burst", num_prompts=n), answer_cap=SHAREGPT_ANSWER_CAP)
        prepared = prepare(s)
        eff, _ = params.for_gpu(s.gpu, s.engine, s.harness)
        steady = operating_point(stack([prepared], EfficiencyArrays.from_params([eff]))).steady
        step = RooflineStepCost.of(prepared.shape, prepared.hw, eff, prepared.graph_max_batch)
        trace = run_simulation(step, scheduler_config(prepared), s.load.as_run(),
                               s.prompt_tokens, s.output_tokens, n, 0)
        low, high = np.quantile(trace.finish_s, [0.2, 0.6])
        middle = (trace.step_start_s >= low) & (trace.step_start_s <= high)
        a = predict(s, params).metrics
        b = predict(s, params, mode="simulate", num_requests=n).metrics
        print(
            f"{name:<36}{steady.batch[0]:>5.0f}/{trace.step_decode_seqs[middle].mean():<4.0f}"
            f"{steady.prefill_share[0]:>9.2f}/"
            f"{(trace.step_prefill_tokens[middle] > 0).mean():<5.2f}"
            f"{a.output_tokens_per_s / b.output_tokens_per_s:>11.2f}"
            f"{a.ttft_ms.p50 / b.ttft_ms.p50:>9.2f}{a.tpot_ms.p50 / b.tpot_ms.p50:>9.2f}"
            f"{a.itl_ms.p50 / b.itl_ms.p50:>8.2f}"
        )


def main() -> None:
    throughput_table()
    recompute_table()
    sglang_table()
    burst_table()
    finite_closed_loop_table()


if __name__ == "__main__":
    main()
