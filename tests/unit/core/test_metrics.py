"""Percentile aggregation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predeploy.core.metrics import percentiles_ms, weighted_percentiles_ms
from predeploy.core.types import Percentiles


def test_percentiles_in_ms() -> None:
    values = np.array([0.001, 0.002, 0.003, 0.004])
    p = percentiles_ms(values)
    assert p.mean == pytest.approx(2.5)
    assert p.p50 == pytest.approx(2.5)
    assert p.p99 == pytest.approx(np.percentile(values, 99) * 1000)


def test_empty_input_has_no_percentiles() -> None:
    assert percentiles_ms(np.array([])) == Percentiles()
    assert weighted_percentiles_ms(np.array([1.0]), np.array([0])) == Percentiles()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0.0, max_value=10.0), st.integers(min_value=0, max_value=9)),
        min_size=1,
        max_size=40,
    ).filter(lambda items: sum(w for _, w in items) > 0)
)
def test_weighted_percentiles_equal_the_expanded_list(items: list[tuple[float, int]]) -> None:
    values = np.array([v for v, _ in items])
    weights = np.array([w for _, w in items])
    expanded = np.repeat(values, weights)
    got = weighted_percentiles_ms(values, weights)
    want = percentiles_ms(expanded)
    for name in ("mean", "p50", "p90", "p95", "p99"):
        assert got.get(name) == pytest.approx(want.get(name), rel=1e-9, abs=1e-9)
