from __future__ import annotations

from predeploy.core.ranking import Point, dominates, pareto_front, rank, select_diverse
from predeploy.core.rationale import recommendation_summary
from predeploy.core.types import Priority

CHEAP = Point(1.0, 900.0, 20.0, 10.0)
FAST = Point(4.0, 200.0, 20.0, 60.0)
GOOD = Point(6.0, 800.0, 27.0, 10.0)
WORSE = Point(5.0, 950.0, 20.0, 10.0)
UNKNOWN_Q = Point(1.0, 900.0, None, 10.0)


def _id(p: Point) -> Point:
    return p


def test_dominance_needs_one_strict_improvement() -> None:
    assert dominates(CHEAP, WORSE)
    assert not dominates(CHEAP, CHEAP)
    assert not dominates(CHEAP, FAST) and not dominates(FAST, CHEAP)
    assert dominates(CHEAP, UNKNOWN_Q)  # unknown quality ranks lowest


def test_pareto_front_drops_dominated() -> None:
    assert pareto_front([CHEAP, FAST, GOOD, WORSE, UNKNOWN_Q], _id) == [CHEAP, FAST, GOOD]


def test_priority_orders() -> None:
    front = [CHEAP, FAST, GOOD]
    assert rank(front, _id, Priority.COST)[0] is CHEAP
    assert rank(front, _id, Priority.LATENCY)[0] is FAST
    assert rank(front, _id, Priority.QUALITY)[0] is GOOD
    assert rank(front, _id, Priority.THROUGHPUT)[0] is FAST  # 15 req/s per $ vs 10 and 1.7


def test_diverse_selection_prefers_new_models_and_gpus() -> None:
    items = ["a-x", "a-x2", "a-y", "b-x", "c-z"]

    def kinds(item: str) -> tuple[str, str]:
        return item[0], item[2]

    assert select_diverse(items, 3, kinds) == ["a-x", "c-z", "a-y"]
    assert select_diverse(items, 3, kinds, extremes=["b-x"]) == ["a-x", "b-x", "c-z"]
    assert select_diverse(items, 10, kinds) == ["a-x", "c-z", "a-y", "b-x", "a-x2"]


def test_recommendation_summary_reads_as_percent_or_multiple() -> None:
    def point(cost: float, latency: float) -> Point:
        return Point(cost, latency, 50.0, 0.0, 1.0)

    close = recommendation_summary(Priority.BALANCED, point(1.0, 1200.0), [(3, point(4.0, 1000.0))])
    assert "E2E p90 20 % above plan 3 (the fastest) at 25 % of its cost" in close
    far = recommendation_summary(Priority.BALANCED, point(1.0, 8600.0), [(3, point(4.0, 1000.0))])
    assert "E2E p90 8.6× that of plan 3 (the fastest)" in far
