"""More load never lowers a latency: the analytic mode swept over the whole seed catalog.

Every catalogued model on every catalogued GPU that it fits (TP 1/2/4/8, BF16 and FP8, vLLM's
defaults, or another engine's with ``--engine``), chat-like lognormal requests (1,000 ± 500
prompt tokens, 300 ± 150 output; other means with ``--lengths``, e.g. short answers
``--lengths 256 16``), Poisson
arrivals (gamma ones with ``--cv C``) at 0.5–64 requests/s, past saturation included. Counts
the steps where a TTFT, TPOT, ITL or E2E median fell by more than 2 % (a p90 or p99 by more
than 5 %) or the throughput fell as the rate rose, and lists the first of them. ``--near-capacity``
sweeps each configuration's own rates instead, 50-105 % of its saturation rate in steps of 5 %,
where the regimes meet (the batch reaching the KV cache's bound, the budget passing a multiple
of the prompt). The unit tests check the
same property on a few scenarios with hypothesis; this is the catalogue-wide census (about a
minute).

    .venv/bin/python bench/perf_monotonicity.py [--show N] [--cv C] [--lengths PROMPT OUTPUT]
        [--engine vllm|sglang|trtllm] [--near-capacity]
"""

from __future__ import annotations

import argparse
from collections import Counter

from predeploy.core.perf import predict_many
from predeploy.core.types import (
    Engine,
    LoadSpec,
    PerfPrediction,
    ServingScenario,
    TokenDistribution,
)
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import load_parameters

RATES_RPS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
#: ``--near-capacity``: rates as shares of each configuration's saturation rate.
CAPACITY_SHARES = tuple(0.5 + 0.05 * i for i in range(12))
TP_SIZES = (1, 2, 4, 8)
PRECISIONS = ("bf16", "fp8")
#: Relative falls tolerated between neighbouring rates (float noise of the sample grid).
MEDIAN_TOLERANCE = 0.02
TAIL_TOLERANCE = 0.05
LATENCIES = ("ttft_ms", "tpot_ms", "itl_ms", "e2e_ms")
TAILS = ("p90", "p99")


def falls(rate: float, before: PerfPrediction, after: PerfPrediction) -> list[str]:
    """What got better between two neighbouring rates (it should not)."""
    out = []
    tolerances = [("p50", MEDIAN_TOLERANCE), *((t, TAIL_TOLERANCE) for t in TAILS)]
    for name in LATENCIES:
        for stat, tolerance in tolerances:
            a = getattr(getattr(before.metrics, name), stat)
            b = getattr(getattr(after.metrics, name), stat)
            if b < a * (1 - tolerance):
                out.append(f"{name} {stat} {a:,.1f} -> {b:,.1f} ms at {rate:.3g} req/s")
    if after.metrics.requests_per_s < before.metrics.requests_per_s * (1 - MEDIAN_TOLERANCE):
        out.append(f"throughput falls at {rate:g} req/s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=20, help="falls to list")
    parser.add_argument(
        "--cv", type=float, default=1.0, help="inter-arrival CV (above 1: gamma arrivals)"
    )
    parser.add_argument(
        "--lengths",
        type=int,
        nargs=2,
        default=(1000, 300),
        metavar=("PROMPT", "OUTPUT"),
        help="mean prompt and output tokens (lognormal, CV 0.5); 256 16 sweeps short answers",
    )
    parser.add_argument(
        "--engine",
        choices=[e.value for e in (Engine.VLLM, Engine.SGLANG, Engine.TRTLLM)],
        default=Engine.VLLM.value,
        help="the engine whose defaults are swept (SGLang's prefill batches chain at high rates)",
    )
    parser.add_argument(
        "--near-capacity",
        action="store_true",
        help="sweep 50-105 %% of each configuration's saturation rate instead of fixed rates",
    )
    args = parser.parse_args()
    catalog, params = seed_catalog(), load_parameters()
    prompt, output = args.lengths
    found: list[str] = []
    kinds: Counter[str] = Counter()
    swept = 0
    for model in catalog.models():
        for gpu in catalog.gpus():
            for tp in TP_SIZES:
                for precision in PRECISIONS:
                    try:
                        base = ServingScenario(
                            model_id=model.id,
                            model=model.architecture,
                            gpu=gpu,
                            precision=precision,
                            tp=tp,
                            engine=Engine(args.engine),
                            prompt_tokens=TokenDistribution(
                                kind="lognormal", mean=prompt, stdev=prompt / 2
                            ),
                            output_tokens=TokenDistribution(
                                kind="lognormal", mean=output, stdev=output / 2
                            ),
                            load=LoadSpec(kind="max_throughput"),
                        )
                    except ValueError:  # a layout the model does not allow (heads, TP)
                        continue
                    rates = list(RATES_RPS)
                    if args.near_capacity:
                        (saturated,) = predict_many([base], params)
                        if not saturated.memory.fits or not saturated.saturation_rps:
                            continue
                        rates = [s * saturated.saturation_rps for s in CAPACITY_SHARES]
                    predictions = predict_many([_at(base, r, args.cv) for r in rates], params)
                    if not predictions[0].memory.fits:
                        continue
                    swept += 1
                    pairs = zip(rates[1:], predictions, predictions[1:], strict=False)
                    for rate, before, after in pairs:
                        for fall in falls(rate, before, after):
                            kinds[fall.split(" ")[0]] += 1
                            found.append(f"{model.id} {tp}x {gpu.name} {precision}: {fall}")
    count = len(CAPACITY_SHARES) if args.near_capacity else len(RATES_RPS)
    print(f"{swept:,} configurations x {count} rates; {len(found)} falls {dict(kinds)}")
    for line in found[: args.show]:
        print(f"  {line}")


def _at(base: ServingScenario, rate: float, cv: float) -> ServingScenario:
    """``base`` under Poisson arrivals at ``rate`` (gamma ones of CV ``cv`` above 1)."""
    load = (
        LoadSpec(kind="poisson", rate_rps=rate)
        if cv == 1.0
        else LoadSpec(kind="gamma", rate_rps=rate, cv=cv)
    )
    return base.model_copy(update={"load": load})


if __name__ == "__main__":
    main()
