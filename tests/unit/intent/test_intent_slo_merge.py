"""Stated targets merged into template SLOs: ordering holds, stated values are kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predeploy.core.types import PercentileTargets, SLOTargets
from predeploy.intent.draft import StatedTarget
from predeploy.intent.slo_merge import DEFAULT_STATED_PERCENTILE, merge_targets, template_value_at

TEMPLATE = SLOTargets(
    ttft_ms=PercentileTargets(p50=300, p90=600, p99=1000),
    itl_ms=PercentileTargets(p50=30, p90=50, p99=80),
    e2e_ms=PercentileTargets(p50=8000, p95=15000, p99=20000),
)


def test_tighter_unqualified_target_goes_to_p95_and_only_clamps_the_rest() -> None:
    merged = merge_targets(TEMPLATE, (StatedTarget(metric="ttft_ms", value_ms=500),))
    ttft = merged.slo.ttft_ms
    assert DEFAULT_STATED_PERCENTILE == "p95"
    assert ttft.p95 == 500
    assert ttft.p50 == 300  # the template's p50 is already below the stated bound: kept
    assert ttft.p90 == 500  # clamped so that p90 ≤ p95
    assert ttft.p99 == 1000  # above the stated percentile: the template value stays
    assert merged.sources["slo.ttft_ms.p95"].origin == "stated"
    assert merged.sources["slo.ttft_ms.p50"].origin == "default"
    assert merged.sources["slo.ttft_ms.p90"].origin == "derived"
    assert merged.sources["slo.itl_ms.p50"].origin == "default"
    assert any("p95" in n for n in merged.notes)


def test_looser_unqualified_target_relaxes_the_rest_with_the_template_shape() -> None:
    merged = merge_targets(TEMPLATE, (StatedTarget(metric="ttft_ms", value_ms=2000),))
    ttft = merged.slo.ttft_ms
    factor = 2000 / template_value_at({"p50": 300, "p90": 600, "p99": 1000}, "p95")
    assert factor > 1
    assert ttft.p50 == pytest.approx(300 * factor, rel=1e-3)
    assert ttft.p99 == pytest.approx(1000 * factor, rel=1e-3)
    assert merged.sources["slo.ttft_ms.p50"].origin == "derived"


def test_stated_e2e_below_template_ttft_is_kept_and_caps_the_ttft() -> None:
    """TTFT ≤ E2E for every request: "95% of completions under 80 ms" bounds both."""
    merged = merge_targets(
        TEMPLATE, (StatedTarget(metric="e2e_ms", percentile="p95", value_ms=80),)
    )
    assert merged.slo.e2e_ms.p95 == 80  # stated: never raised to the template TTFT
    assert merged.slo.ttft_ms.p50 == 80 and merged.slo.ttft_ms.p90 == 80
    assert merged.slo.ttft_ms.p99 == 1000  # above the stated percentile: template kept
    assert merged.sources["slo.ttft_ms.p90"].origin == "derived"
    assert any("lowered" in n for n in merged.notes)


def test_interpolation_is_geometric() -> None:
    value = template_value_at({"p90": 100, "p99": 1000}, "p95")
    assert value is not None
    assert 100 < value < 1000
    assert value == pytest.approx(100 * 10 ** ((95 - 90) / (99 - 90)))


def test_metric_without_template_takes_the_stated_value_only() -> None:
    merged = merge_targets(None, (StatedTarget(metric="itl_ms", percentile="p90", value_ms=40),))
    assert merged.slo.itl_ms == PercentileTargets(p90=40)


def test_inverted_statements_are_repaired_with_a_note() -> None:
    merged = merge_targets(
        TEMPLATE,
        (
            StatedTarget(metric="ttft_ms", percentile="p50", value_ms=500),
            StatedTarget(metric="ttft_ms", percentile="p99", value_ms=300),
        ),
    )
    assert merged.slo.ttft_ms.p99 == 500
    assert any("raised" in n for n in merged.notes)


def test_e2e_defaults_never_below_ttft() -> None:
    template = SLOTargets(
        ttft_ms=PercentileTargets(p50=100, p90=150, p99=250),
        e2e_ms=PercentileTargets(p50=500, p95=800, p99=1200),
    )
    merged = merge_targets(template, (StatedTarget(metric="ttft_ms", value_ms=2000),))
    for pct, bound in merged.slo.e2e_ms.items():
        floor = template_value_at(dict(merged.slo.ttft_ms.items()), pct)
        assert floor is not None and bound >= floor - 1e-6


percentiles = st.sampled_from(["p50", "p90", "p95", "p99", None])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ttft_ms", "itl_ms", "e2e_ms", "tpot_ms"]),
            percentiles,
            st.floats(min_value=1, max_value=1e6, allow_nan=False),
        ),
        max_size=6,
    )
)
def test_merged_targets_are_ordered_and_keep_the_last_statement(
    stated: list[tuple[str, str | None, float]],
) -> None:
    targets = tuple(
        StatedTarget(metric=m, percentile=p, value_ms=v)  # type: ignore[arg-type]
        for m, p, v in stated
    )
    merged = merge_targets(TEMPLATE, targets)  # validation would raise if unordered
    for metric in ("ttft_ms", "itl_ms", "tpot_ms"):
        values = [v for _, v in getattr(merged.slo, metric).items()]
        assert values == sorted(values)
    for m, p, _ in stated:
        pct = p or DEFAULT_STATED_PERCENTILE
        assert getattr(getattr(merged.slo, m), pct) is not None
