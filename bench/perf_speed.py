"""Speed of the performance engine: analytic prediction per scenario, and a simulation.

Prints the wall time of ``predict(mode="analytic")`` for single scenarios (the planner's
per-candidate call), of ``predict_many`` per scenario when scenarios are batched (calibration
and case files), and of one ``predict(mode="simulate")`` run. Target: analytic ≤ 1 ms per
scenario. Each single call's CPU time and the machine's speed before and after
(``support.machine``: a reference workload's time) are printed too: on a shared virtual
machine the same code's times change with the host's other work by half or more. A single
call's time is split into its stages too: preparing the scenario, stacking it into arrays, the
fluid evaluation, and the rest of ``predict`` (the decode cap and the result objects).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from functools import partial

from predeploy.core.efficiency import ParameterSet
from predeploy.core.fluid import evaluate
from predeploy.core.perf import predict, predict_many
from predeploy.core.types import Engine, LoadSpec, ServingScenario, TokenDistribution
from predeploy.core.workload import EfficiencyArrays, prepare, stack
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters
from support.machine import describe

#: Calls timed per scenario; each scenario reports its median call (and its fastest).
REPEATS = 20


def scenarios() -> list[ServingScenario]:
    catalog = seed_catalog()
    out = []
    for model, gpu, tp, precision in (
        ("meta-llama/Llama-3.1-8B-Instruct", "L4", 1, "fp8"),
        ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", 1, "bf16"),
        ("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", 4, "fp8"),
        ("Qwen/Qwen3-30B-A3B", "A100-80GB", 1, "bf16"),
        ("deepseek-ai/DeepSeek-R1", "H200", 8, "fp8"),
    ):
        card = catalog.model(model)
        for load in (
            LoadSpec(kind="poisson", rate_rps=2.0),
            LoadSpec(kind="concurrency", concurrency=32),
            LoadSpec(kind="burst", num_prompts=500),
            LoadSpec(kind="max_throughput"),
        ):
            out.append(
                ServingScenario(
                    model_id=card.id,
                    model=card.architecture,
                    gpu=catalog.gpu(gpu),
                    precision=precision,  # type: ignore[arg-type]
                    tp=tp,
                    prompt_tokens=TokenDistribution(kind="lognormal", mean=800, stdev=400),
                    output_tokens=TokenDistribution.fixed(256),
                    load=load,
                )
            )
    return out


def main() -> None:
    params = load_parameters()
    items = scenarios()
    predict(items[0], params)  # warm caches and imports
    print(f"before: {describe()}")
    # Each scenario's median (and best) over REPEATS calls: robust to a busy machine's pauses.
    single, best, cpu = [], [], []
    for scenario in items:
        calls, cpu_calls = [], []
        for _ in range(REPEATS):
            started, cpu_started = time.perf_counter(), time.process_time()
            predict(scenario, params)
            calls.append((time.perf_counter() - started) * 1e3)
            cpu_calls.append((time.process_time() - cpu_started) * 1e3)
        single.append(statistics.median(calls))
        best.append(min(calls))
        cpu.append(statistics.median(cpu_calls))
    print(f"analytic predict, one scenario per call ({len(items)} scenarios x {REPEATS}):")
    print(
        f"  median {statistics.median(single):.2f} ms (best {statistics.median(best):.2f}, "
        f"CPU {statistics.median(cpu):.2f}), max {max(single):.2f} ms per scenario"
    )
    for kind in dict.fromkeys(s.load.kind for s in items):
        times = [t for s, t in zip(items, single, strict=True) if s.load.kind == kind]
        fastest = [t for s, t in zip(items, best, strict=True) if s.load.kind == kind]
        cpu_times = [t for s, t in zip(items, cpu, strict=True) if s.load.kind == kind]
        print(
            f"  {kind:>15}: median {statistics.median(times):.2f} ms "
            f"(best {statistics.median(fastest):.2f}, CPU {statistics.median(cpu_times):.2f})"
        )
    stages(items, params)
    batch = items * 40
    started = time.perf_counter()
    predict_many(batch, params)
    per = (time.perf_counter() - started) / len(batch) * 1e3
    print(f"analytic predict_many, {len(batch)} scenarios in one call: {per:.3f} ms per scenario")
    sim = ServingScenario.model_validate(
        {**items[1].model_dump(), "load": LoadSpec(kind="poisson", rate_rps=4.0)}
    )
    started = time.perf_counter()
    predict(sim, params, mode="simulate", num_requests=2000, seed=0)
    print(
        f"simulate, 2,000 requests (Llama-3.1-8B, H100, 4 req/s): "
        f"{(time.perf_counter() - started) * 1e3:.0f} ms"
    )
    # SGLang's admission by new_token_ratio where the KV cache bounds the batch (retractions).
    sglang = ServingScenario.model_validate(
        {
            **items[0].model_dump(),
            "engine": Engine.SGLANG,
            "output_tokens": TokenDistribution(kind="lognormal", mean=1000, stdev=1000),
            "load": LoadSpec(kind="burst", num_prompts=2000),
        }
    )
    started = time.perf_counter()
    predict(sglang, params, mode="simulate", num_requests=2000, seed=0)
    print(
        f"simulate, SGLang burst of 2,000 (Llama-3.1-8B FP8, L4, KV-bound): "
        f"{(time.perf_counter() - started) * 1e3:.0f} ms"
    )
    print(f"after: {describe()}")


def stages(items: list[ServingScenario], params: ParameterSet) -> None:
    """Where one single call's time goes (median over the scenarios of each stage's median
    over :data:`REPEATS` runs): preparing the scenario, stacking it into arrays, the fluid
    model's evaluation, and the rest of ``predict`` (the decode cap and the result objects)."""
    parts: dict[str, list[float]] = {"prepare": [], "stack": [], "evaluate": [], "rest": []}
    for scenario in items:
        prepared = [prepare(scenario)]
        arrays = EfficiencyArrays.from_params([params.for_gpu(scenario.gpu, scenario.engine)[0]])
        inputs = stack(prepared, arrays)
        timed: dict[str, Callable[[], object]] = {
            "prepare": partial(prepare, scenario),
            "stack": partial(stack, prepared, arrays),
            "evaluate": partial(evaluate, inputs),
            "total": partial(predict, scenario, params),
        }
        medians = {name: _median_ms(call) for name, call in timed.items()}
        for name in ("prepare", "stack", "evaluate"):
            parts[name].append(medians[name])
        parts["rest"].append(
            medians["total"] - medians["prepare"] - medians["stack"] - medians["evaluate"]
        )
    print(
        "  per single call: "
        + ", ".join(f"{name} {statistics.median(v):.2f} ms" for name, v in parts.items())
    )


def _median_ms(call: Callable[[], object]) -> float:
    runs = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1e3)
    return statistics.median(runs)


if __name__ == "__main__":
    main()
