"""The analytic-vs-simulation agreement grid (used by test_analytic_agreement.py and bench/).

Step models shaped like a small (8B) and a large (70B) model on a small and a big accelerator
(stepmodels.SHAPES), three length mixes, open-loop Poisson loads from 10 % to 90 % of the
analytic saturation rate. The simulation runs long enough for its medians to settle (warm-up
left out); the saturation throughput is compared with a steady-state max-throughput run.
"""

from __future__ import annotations

from dataclasses import dataclass

from stepmodels import SHAPES

from predeploy.core.analytic import analyze, saturation_rps
from predeploy.core.simulator import simulate
from predeploy.core.types import LoadSpec, TokenDistribution

MIXES: dict[str, tuple[TokenDistribution, TokenDistribution]] = {
    "fixed 512/256": (TokenDistribution.fixed(512), TokenDistribution.fixed(256)),
    "chat lognormal": (
        TokenDistribution(kind="lognormal", mean=400, stdev=300, max=4000),
        TokenDistribution(kind="lognormal", mean=250, stdev=150, max=2000),
    ),
    "rag lognormal": (
        TokenDistribution(kind="lognormal", mean=1000, stdev=500, max=4000),
        TokenDistribution(kind="lognormal", mean=200, stdev=100, max=1000),
    ),
}
LOADS = (0.1, 0.3, 0.5, 0.7, 0.9)
METRICS = ("ttft_p50", "itl_p50", "tpot_p50", "e2e_p50", "throughput")
SEED = 1
WARMUP = 0.2


def requests_for(fraction: float) -> int:
    """Longer runs near saturation, where the batch wanders slowly."""
    return 4000 if fraction >= 0.7 else 2000


@dataclass(frozen=True)
class Agreement:
    """Analytic and simulated values of one grid point, and relative errors."""

    analytic: dict[str, float]
    simulated: dict[str, float]

    def error(self, metric: str) -> float:
        return self.analytic[metric] / self.simulated[metric] - 1.0


def compare_load(shape: str, mix: str, fraction: float) -> Agreement:
    step, config = SHAPES[shape]
    prompt, output = MIXES[mix]
    rate = fraction * saturation_rps(step, config, prompt, output)
    load = LoadSpec(kind="poisson", rate_rps=rate)
    a = analyze(step, config, load, prompt, output)
    s = simulate(
        step, config, load, prompt, output, requests_for(fraction), SEED, warmup_fraction=WARMUP
    )

    def values(r: object) -> dict[str, float]:
        out = {
            "ttft_p50": r.ttft_ms.p50,  # type: ignore[attr-defined]
            "itl_p50": r.itl_ms.p50,  # type: ignore[attr-defined]
            "tpot_p50": r.tpot_ms.p50,  # type: ignore[attr-defined]
            "e2e_p50": r.e2e_ms.p50,  # type: ignore[attr-defined]
            "throughput": r.requests_per_s,  # type: ignore[attr-defined]
        }
        return {k: float(v) for k, v in out.items()}

    return Agreement(values(a), values(s))


def compare_saturation(shape: str, mix: str, requests: int = 6000) -> Agreement:
    """Max-throughput (everything queued) request rate: analytic vs steady-state simulation."""
    step, config = SHAPES[shape]
    prompt, output = MIXES[mix]
    load = LoadSpec(kind="max_throughput")
    a = analyze(step, config, load, prompt, output, num_requests=requests)
    s = simulate(step, config, load, prompt, output, requests, SEED, warmup_fraction=0.1)
    return Agreement({"throughput": a.requests_per_s}, {"throughput": s.requests_per_s})
