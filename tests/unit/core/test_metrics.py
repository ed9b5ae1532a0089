"""Percentile aggregation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predeploy.core.metrics import percentiles_ms, streamed_chunk_gaps, weighted_percentiles_ms
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


def test_streamed_chunks_sum_their_token_gaps() -> None:
    itl = Percentiles(mean=10.0, p50=9.0, p90=14.0, p95=18.0, p99=40.0)
    assert streamed_chunk_gaps(itl, 1) == itl
    chunks = streamed_chunk_gaps(itl, 4)
    # 4 token gaps per chunk: 4× the mean, each percentile √4 = 2× as far from it.
    assert chunks == Percentiles(mean=40.0, p50=38.0, p90=48.0, p95=56.0, p99=100.0)
    # Never below zero, whatever the spread.
    wide = streamed_chunk_gaps(Percentiles(mean=10.0, p50=0.5, p90=11.0, p95=12.0, p99=13.0), 2)
    assert wide.p50 is not None and wide.p50 >= 0.0
