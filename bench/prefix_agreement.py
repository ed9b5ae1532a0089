"""Shared prompt prefixes: what a cached system prompt changes, and analytic vs simulation.

For Llama 3.1 8B (BF16, one H100) and Llama 3.1 70B (FP8, two H100s) under vLLM, chat requests
(800 ± 800 prompt tokens, 250 ± 200 output, lognormal) behind a system prompt of 0, 500, 2,000
and 8,000 tokens: the analytic saturation rate with the prefix cached and without (the same
prompts computed in full), then at 30 % and 60 % of the cached saturation, analytic/simulated
− 1 for TTFT and TPOT p50/p90, E2E p50 and throughput (Poisson arrivals, 3,000 simulated
requests, seed 1).

There are no public serving measurements of shared prefixes at hand (the Vultr cookbook's
re-sent prompts, ``bench/data/unseen_vultr_cases.jsonl``, are the nearest): this checks the
two modes against each other and shows the size of the effect, not accuracy.

With ``--history N`` every request is a conversation's turn carrying ``N`` tokens of earlier
turns after the system prompt (``history_tokens``, found in the prefix cache): "in full" then
computes the history and the system prompt with every request.

With ``--prefixes K`` the requests are spread evenly over ``K`` distinct system prompts
(``prefix_count``): each is held while its requests run and found cached by a share of them
that falls as ``K`` grows (printed as "hits"; the saturation, and the loads relative to it,
are then the highest rate at which the spread requests are carried).

With ``--replicas R`` each row is one of ``R`` replicas sharing ``R`` times its load
(``routed_replicas``), routed ``--routing random`` (default: a turn finds its history up to the
last turn the reached replica served, over ``--turns k``-turn conversations; every replica
serves every prefix) or ``prefix-aware`` (back to the replica holding it; ``K/R`` prefixes
each); "hits" then also shows the share of the history found ("h" column).

    .venv/bin/python bench/prefix_agreement.py [--engine vllm|sglang|trtllm] [--history N]
        [--prefixes K] [--replicas R [--routing random|prefix-aware] [--turns k]]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from predeploy.core.efficiency import ParameterSet
from predeploy.core.perf import predict, priced_cache
from predeploy.core.types import (
    Engine,
    EngineSettings,
    LoadSpec,
    ModelArchitecture,
    PerfPrediction,
    Precision,
    Routing,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import prepare
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters

PREFIXES = (0, 500, 2000, 8000)
LOADS = (0.3, 0.6)
REQUESTS = 3000
SEED = 1
SHAPES: dict[str, tuple[str, str, Precision, int]] = {
    "8B bf16 H100": ("meta-llama/Llama-3.1-8B-Instruct", "H100-SXM", Precision.BF16, 1),
    "70B fp8 2xH100": ("meta-llama/Llama-3.1-70B-Instruct", "H100-SXM", Precision.FP8, 2),
}
METRICS = ("ttft_p50", "ttft_p90", "tpot_p50", "tpot_p90", "e2e_p50", "throughput")


def scenario(
    model: ModelArchitecture,
    shape: str,
    prefix: int,
    rate_rps: float,
    *,
    cached: bool = True,
    engine: Engine = Engine.VLLM,
    history: int = 0,
    prefixes: int = 1,
    router: tuple[int, Routing, int | None] = (1, Routing.RANDOM, None),
) -> ServingScenario:
    """One replica of ``router``'s ``(replicas, routing, turns per conversation)``."""
    replicas, routing, turns = router
    model_id, gpu, precision, tp = SHAPES[shape]
    own = TokenDistribution(kind="lognormal", mean=800, stdev=800, max=8000)
    return ServingScenario(
        model_id=model_id,
        model=model,
        gpu=seed_catalog().gpu(gpu),
        precision=precision,
        tp=tp,
        engine=engine,
        prompt_tokens=own.model_copy(
            update={"mean": own.mean + prefix + history, "max": 8000 + prefix + history}
        ),
        output_tokens=TokenDistribution(kind="lognormal", mean=250, stdev=200, max=2000),
        load=LoadSpec(kind="poisson", rate_rps=rate_rps),
        shared_prefix_tokens=prefix,
        prefix_count=prefixes if prefix else 1,
        history_tokens=history,
        engine_settings=None if cached else EngineSettings(prefix_caching=False),
        routing=routing,
        routed_replicas=replicas,
        conversation_turns=turns if history else None,
    )


def values(p: PerfPrediction) -> dict[str, float]:
    m = p.metrics
    return {
        "ttft_p50": m.ttft_ms.p50 or 0.0,
        "ttft_p90": m.ttft_ms.p90 or 0.0,
        "tpot_p50": m.tpot_ms.p50 or 0.0,
        "tpot_p90": m.tpot_ms.p90 or 0.0,
        "e2e_p50": m.e2e_ms.p50 or 0.0,
        "throughput": m.output_tokens_per_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=[e.value for e in (Engine.VLLM, Engine.SGLANG,
                                                               Engine.TRTLLM)], default="vllm")
    parser.add_argument("--history", type=int, default=0,
                        help="tokens of earlier turns each request carries (default 0)")
    parser.add_argument("--prefixes", type=int, default=1,
                        help="distinct system prompts the requests spread over (default 1)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="each row one of R replicas sharing the traffic (default 1)")
    parser.add_argument("--routing", choices=["random", "prefix-aware"], default="random",
                        help="how the router picks replicas (default random)")
    parser.add_argument("--turns", type=int, default=None,
                        help="turns per conversation the --history comes from (default: one)")
    args = parser.parse_args(argv)
    engine, history, prefixes = Engine(args.engine), args.history, args.prefixes
    router = (args.replicas, Routing.named(args.routing), args.turns)
    params: ParameterSet = load_parameters()
    catalog = seed_catalog()
    print(f"{'shape':<16}{'prefix':>7}{'sat cached':>12}{'in full':>9}{'load':>6}{'hits':>6}"
          f"{'h':>5}{'TTFT p50 ms':>13}" + "".join(f"{m:>11}" for m in METRICS))
    worst = dict.fromkeys(METRICS, 0.0)
    for shape, (model_id, *_rest) in SHAPES.items():
        model = catalog.model(model_id).architecture
        for prefix in PREFIXES:
            sat = predict(
                scenario(model, shape, prefix, 1e-3, engine=engine, history=history,
                         router=router),
                params,
            ).saturation_rps or 0.0
            if prefixes > 1 and prefix:
                sat = saturation_with_prefixes(
                    lambda rate, model=model, shape=shape, prefix=prefix: scenario(
                        model, shape, prefix, rate, engine=engine, history=history,
                        prefixes=prefixes, router=router,
                    ),
                    sat,
                    params,
                )
            in_full = scenario(
                model, shape, prefix, 1e-3, cached=False, engine=engine, history=history
            )
            full = predict(in_full, params).saturation_rps or 0.0
            for load in LOADS:
                s = scenario(
                    model, shape, prefix, load * sat, engine=engine, history=history,
                    prefixes=prefixes, router=router,
                )
                a = values(predict(s, params))
                sim = values(predict(s, params, mode="simulate", num_requests=REQUESTS, seed=SEED))
                errors = [a[m] / sim[m] - 1.0 for m in METRICS]
                for m, e in zip(METRICS, errors, strict=True):
                    worst[m] = max(worst[m], abs(e))
                hits, found = cache_shares(s, params)
                print(f"{shape:<16}{prefix:>7,}{sat:>12.2f}{full:>9.2f}{load:>6.0%}"
                      f"{hits:>6}{found:>5}"
                      f"{a['ttft_p50']:>13.1f}"
                      + "".join(f"{e:>+11.1%}" for e in errors))
    print(f"{'worst |analytic/simulated - 1|':<74}" + "".join(f"{worst[m]:>11.1%}"
                                                            for m in METRICS))


def saturation_with_prefixes(
    at_rate: Callable[[float], ServingScenario], single_rps: float, params: ParameterSet
) -> float:
    """The highest arrival rate the deployment carries with its requests spread over several
    prefixes (bisection below ``single_rps``, one prefix's): the share of requests finding
    theirs falls as the rate, and the cache's turnover, grow, so the capacity is the rate at
    which the load stops being below it."""
    low, high = 0.0, single_rps
    for _ in range(SATURATION_STEPS):
        mid = 0.5 * (low + high)
        utilization = predict(at_rate(mid), params).load_utilization or 0.0
        low, high = (mid, high) if utilization < 1.0 else (low, mid)
    return low


#: Bisection steps of :func:`saturation_with_prefixes`.
SATURATION_STEPS = 30


def cache_shares(scenario: ServingScenario, params: ParameterSet) -> tuple[str, str]:
    """The shares of requests finding their prefix, and of the history found, as the analytic
    mode prices them (``perf.priced_cache``): blank with one prefix, "-" without a history."""
    eff, _ = params.for_gpu(scenario.gpu, scenario.engine)
    priced = priced_cache([scenario], [prepare(scenario)], [eff])[0]
    prefix = "" if scenario.prefix_count == 1 else f"{priced.prefix_hit_share:.0%}"
    history = f"{priced.history_hit_share:.0%}" if scenario.history_tokens else "-"
    return prefix, history


if __name__ == "__main__":
    main()
