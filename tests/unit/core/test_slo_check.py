"""Latency targets written on a command line (core.slo_check.parse_latency_targets)."""

from __future__ import annotations

import pytest

from predeploy.core.errors import InputError
from predeploy.core.slo_check import parse_latency_targets


def test_targets_are_read_as_metric_percentile_and_milliseconds() -> None:
    slo = parse_latency_targets(" ttft_ms.p90=500, itl_ms.p90=50,e2e_ms.p95=20000 ,")
    assert slo.latency_targets() == [
        ("ttft_ms", "p90", 500.0), ("itl_ms", "p90", 50.0), ("e2e_ms", "p95", 20000.0)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ttft_ms.p91=500", "unknown SLO target 'ttft_ms.p91'"),
        ("latency=5", "unknown SLO target 'latency'"),
        ("ttft_ms.p90=fast", "needs a positive number of ms, got 'fast'"),
        ("ttft_ms.p90=-1", "needs a positive number"),
        ("ttft_ms.p90=inf", "needs a positive number"),
        (" , ", "no SLO target given"),
    ],
)
def test_a_target_that_cannot_be_read_is_named(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_latency_targets(text)
