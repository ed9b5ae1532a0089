"""The measured-metric vocabulary of the knowledge base, with each metric's unit.

Names and units follow the calibration contract (../shared/calibration/README.md, "Metrics"):
throughputs are totals over all GPUs of a scenario, latencies are milliseconds with a statistic
suffix. A name outside this vocabulary is rejected, because a unit hides in every name
(``ttft_s_p50`` would silently be read as milliseconds otherwise).
"""

from __future__ import annotations

import difflib
from typing import Literal

from predeploy.core.types import FrozenModel

MetricFamily = Literal["throughput", "single_stream", "ttft", "itl", "tpot", "e2e"]

#: Throughput metrics (tokens or requests per second, summed over all GPUs of the scenario).
THROUGHPUT_METRICS: dict[str, tuple[MetricFamily, str]] = {
    "output_tokens_per_s": ("throughput", "tokens/s"),
    "total_tokens_per_s": ("throughput", "tokens/s"),
    "requests_per_s": ("throughput", "requests/s"),
    "decode_tokens_per_s_single_stream": ("single_stream", "tokens/s"),
    "prefill_tokens_per_s_single_stream": ("single_stream", "tokens/s"),
}

#: Latency families: ``<family>_ms_<statistic>``.
LATENCY_FAMILIES: tuple[MetricFamily, ...] = ("ttft", "itl", "tpot", "e2e")
LATENCY_STATISTICS: tuple[str, ...] = ("mean", "p50", "p90", "p95", "p99")


class MetricName(FrozenModel):
    """A parsed metric name: ``ttft_ms_p99`` → family ``ttft``, unit ``ms``, statistic ``p99``."""

    name: str
    family: MetricFamily
    unit: str
    statistic: str | None = None


def known_metric_names() -> list[str]:
    """Every accepted metric name, throughputs first."""
    latency = [f"{f}_ms_{s}" for f in LATENCY_FAMILIES for s in LATENCY_STATISTICS]
    return [*THROUGHPUT_METRICS, *latency]


def parse_metric_name(name: str) -> MetricName:
    """Parse a metric name of the vocabulary; raises ``ValueError`` naming the closest ones."""
    if name in THROUGHPUT_METRICS:
        family, unit = THROUGHPUT_METRICS[name]
        return MetricName(name=name, family=family, unit=unit)
    for family in LATENCY_FAMILIES:
        prefix = f"{family}_ms_"
        if name.startswith(prefix) and name[len(prefix) :] in LATENCY_STATISTICS:
            return MetricName(name=name, family=family, unit="ms", statistic=name[len(prefix) :])
    close = difflib.get_close_matches(name, known_metric_names(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(
        f"unknown metric {name!r} (latencies are in ms as <ttft|itl|tpot|e2e>_ms_"
        f"<mean|p50|p90|p95|p99>, throughputs are output_tokens_per_s, total_tokens_per_s, "
        f"requests_per_s){hint}"
    )
