"""Held-out error bands of performance predictions (built by ``core.accuracy``).

A band keeps, for one metric family and statistic (TTFT p99, ITL/TPOT p50, throughput, ...),
what held-out validation measured: the median absolute percentage error and the 10th and
90th percentiles of ``predicted / measured``, so a prediction can be shown with the range its
measured value fell in for 80 % of held-out values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, get_args

from pydantic import Field, NonNegativeInt, PositiveFloat, PrivateAttr

from predeploy.core.scoring import family
from predeploy.core.types.base import PERCENTILE_NAMES, FrozenModel

#: Statistics of the latency families; throughput has one value per scenario (``-``).
BAND_STATISTICS = ("mean", "p50", "p90", "p99")


#: Rank of each percentile name (p50 < p90 < p95 < p99).
_RANK: dict[str, int] = {name: i for i, name in enumerate(PERCENTILE_NAMES)}


def statistic(metric: str) -> str:
    """``ttft_ms_p99`` → ``p99``; ``tpot_ms_mean`` → ``mean``; ``e2e_ms_p95`` → ``p95``;
    throughputs → ``-``."""
    tail = metric.rsplit("_", 1)[-1]
    return tail if tail == "mean" or tail in _RANK else "-"


class AccuracyBand(FrozenModel):
    """Held-out error of one metric family and statistic."""

    family: str
    statistic: str
    values: Annotated[int, Field(ge=1)]
    #: Median |predicted − measured| / measured.
    median_ape: Annotated[float, Field(ge=0)]
    #: Share of values within 25 % of the measurement.
    within_25: Annotated[float, Field(ge=0, le=1)]
    #: 10th and 90th percentiles of predicted / measured.
    ratio_low: PositiveFloat
    ratio_high: PositiveFloat

    def measured_range(self, predicted: float) -> tuple[float, float]:
        """Where the measured value fell for 80 % of held-out values like this one."""
        return predicted / self.ratio_high, predicted / self.ratio_low


#: The model kinds a table can be restricted to.
ModelKind = Literal["moe", "dense"]
MODEL_KINDS: tuple[ModelKind, ...] = get_args(ModelKind)


def model_kind(is_moe: bool) -> ModelKind:
    """The kind of a model: mixture-of-experts or dense."""
    return "moe" if is_moe else "dense"


class AccuracyTable(FrozenModel):
    """Held-out error bands of predictions resting on one parameter basis (of one engine, or
    of all; of one model kind, or of all)."""

    basis: Literal["fitted", "fallback"]
    #: The engine the measurements ran on; ``None``: every engine.
    engine: str | None = None
    #: Mixture-of-experts or dense models only; ``None``: both.
    model_kind: ModelKind | None = None
    #: Which held-out split measured it, in words.
    split: Annotated[str, Field(min_length=1)]
    date: dt.date
    measurements: NonNegativeInt
    bands: tuple[AccuracyBand, ...]

    def band(self, metric: str) -> AccuracyBand | None:
        """The band of a contract metric name (``ttft_ms_p99``, ``output_tokens_per_s``).

        A percentile without a band of its own (p95: no source reports it) takes the family's
        nearest percentile above it (p99), else the nearest below."""
        fam, stat = family(metric), statistic(metric)
        same = [b for b in self.bands if b.family == fam]
        exact = next((b for b in same if b.statistic == stat), None)
        if exact is not None or stat not in _RANK:
            return exact
        ranked = sorted((b for b in same if b.statistic in _RANK), key=lambda b: _RANK[b.statistic])
        above = [b for b in ranked if _RANK[b.statistic] > _RANK[stat]]
        below = [b for b in ranked if _RANK[b.statistic] < _RANK[stat]]
        return above[0] if above else below[-1] if below else None


class PerfAccuracy(FrozenModel):
    """The shipped accuracy tables (per basis: all engines, each engine with enough held-out
    values, and each of those per model kind) and how they were produced."""

    source: Annotated[str, Field(min_length=1)]
    tables: tuple[AccuracyTable, ...]
    #: :meth:`for_prediction`'s answers for every basis, engine and model kind the tables
    #: name (built once, from the fields alone: equal accuracies hold equal answers).
    _chosen: dict[tuple[str, str | None, str | None], AccuracyTable | None] = PrivateAttr(
        default_factory=dict
    )

    def model_post_init(self, context: object, /) -> None:
        for basis in {t.basis for t in self.tables}:
            engines = {t.engine for t in self.tables if t.basis == basis} | {None}
            kinds = {t.model_kind for t in self.tables if t.basis == basis} | {None}
            for engine in engines:
                for kind in kinds:
                    self._chosen[(basis, engine, kind)] = self._most_specific(basis, engine, kind)

    def for_prediction(
        self,
        basis: Literal["fitted", "fallback"],
        engine: str | None = None,
        kind: ModelKind | None = None,
    ) -> AccuracyTable | None:
        """The most specific table on this basis: the engine's for the model kind, then all
        engines' for the kind (mixture-of-experts predictions err about 1.6× as much as
        dense ones, more than engines differ once the kind is fixed), then the engine's, then
        all engines'. A metric the chosen table has no band for (too few held-out values)
        takes the band of the next table in that order that has one. (An engine or a kind
        with no table of its own chooses as ``None`` does.)"""
        if (basis, engine, kind) in self._chosen:
            return self._chosen[(basis, engine, kind)]
        if (basis, engine, None) not in self._chosen:
            engine = None
        if (basis, None, kind) not in self._chosen:
            kind = None
        return self._chosen.get((basis, engine, kind))

    def _most_specific(
        self,
        basis: Literal["fitted", "fallback"],
        engine: str | None,
        kind: ModelKind | None,
    ) -> AccuracyTable | None:
        tables = {(t.engine, t.model_kind): t for t in self.tables if t.basis == basis}
        order = ((engine, kind), (None, kind), (engine, None), (None, None))
        chosen = [tables[key] for key in dict.fromkeys(order) if key in tables]
        if not chosen:
            return None
        bands: dict[tuple[str, str], AccuracyBand] = {}
        for table in chosen:
            for band in table.bands:
                bands.setdefault((band.family, band.statistic), band)
        return chosen[0].model_copy(update={"bands": tuple(bands.values())})
