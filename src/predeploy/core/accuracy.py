"""How far off a prediction typically is: error bands measured on held-out data.

A prediction's number alone hides that the engine is, on measurements it never saw, a
median 25-35 % off for latency percentiles. An :class:`AccuracyTable` keeps, per metric
family and statistic (TTFT p99, ITL/TPOT p50, throughput, ...), what held-out validation
(``core.validation``) measured: the median absolute percentage error and the 10th and 90th
percentiles of ``predicted / measured``, so a prediction can be shown with the range the
measured value fell in for 80 % of held-out values: ``[predicted / ratio_high, predicted /
ratio_low]``.

There is a table per parameter basis, over every engine and for each engine with enough
held-out values (errors differ by engine: SGLang's are about twice TensorRT-LLM's):
``fitted`` predictions (the accelerator and engine were measured) are judged on
configurations held out in folds (new measurements from known harnesses); ``fallback``
predictions (an accelerator without measurements) on accelerators held out one at a time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from predeploy.core.calibration_problem import Measurement
from predeploy.core.scoring import family
from predeploy.core.types.accuracy import (
    BAND_STATISTICS,
    AccuracyBand,
    AccuracyTable,
    statistic,
)
from predeploy.core.types.perf import ParameterBasis

#: Metric families a band is kept for (single-stream speeds are llama.cpp's alone).
BAND_FAMILIES = ("ttft", "itl_tpot", "e2e", "throughput")
#: Share of held-out values a band's ratio range covers (10th to 90th percentile).
BAND_COVERAGE = 0.8
#: Fewest held-out values a band is computed from; thinner groups are left out.
MIN_BAND_VALUES = 20


def accuracy_table(
    measurements: Sequence[Measurement],
    held: Mapping[str, Mapping[str, object]],
    *,
    basis: ParameterBasis,
    split: str,
    date: dt.date,
    engine: str | None = None,
) -> AccuracyTable:
    """Bands from held-out predictions (id → contract output object, as
    ``core.validation.held_out_predictions`` returns them) of ``measurements`` (those run on
    ``engine`` only, when given)."""
    ratios: dict[tuple[str, str], list[float]] = defaultdict(list)
    used = 0
    for m in measurements:
        if engine is not None and m.scenario.engine.value != engine:
            continue
        pred = held.get(m.id)
        got = pred.get("metrics") if pred else None
        if not isinstance(got, Mapping):
            continue
        used += 1
        for metric, value in m.metrics.items():
            fam = family(metric)
            v = got.get(metric)
            if fam not in BAND_FAMILIES or value <= 0 or not isinstance(v, int | float):
                continue
            if isinstance(v, bool) or not math.isfinite(float(v)) or v <= 0:
                continue
            ratios[(fam, statistic(metric))].append(float(v) / value)
    tail = (1.0 - BAND_COVERAGE) / 2.0
    bands = []
    for fam in BAND_FAMILIES:
        for stat in (*BAND_STATISTICS, "-"):
            r = np.asarray(ratios.get((fam, stat), []))
            if len(r) < MIN_BAND_VALUES:
                continue
            ape = np.abs(r - 1.0)
            low, high = np.quantile(r, [tail, 1.0 - tail])
            bands.append(
                AccuracyBand(
                    family=fam,
                    statistic=stat,
                    values=len(r),
                    median_ape=round(float(np.median(ape)), 4),
                    within_25=round(float(np.mean(ape <= 0.25)), 4),
                    ratio_low=round(float(low), 4),
                    ratio_high=round(float(high), 4),
                )
            )
    return AccuracyTable(
        basis=basis, engine=engine, split=split, date=date, measurements=used, bands=tuple(bands)
    )


__all__ = ["BAND_COVERAGE", "BAND_FAMILIES", "MIN_BAND_VALUES", "accuracy_table"]
