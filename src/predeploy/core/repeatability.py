"""How well public measurements agree with each other: the accuracy floor of any predictor.

Some calibration scenarios were measured more than once: several MLPerf submitters ran the same
benchmark on the same accelerators at the same request rate (GPUStack's apparent repeats differ
in their engine arguments, so they are different scenarios).
Whatever a performance model does, it gives one prediction per scenario, so the spread between
such repeats is error no model of the scenario can remove.

:func:`replicate_predictions` predicts each repeated value by the median of the *other* runs
of its scenario, which the calibration scorer (:func:`predeploy.core.scoring.score`) then
scores like any prediction. Two rules keep the comparison honest:

* A scenario is everything a predictor reads: the whole ``scenario`` object except its labels
  and the identity of the run (submitter, system, MLPerf accuracy target).
* A run is one measurement session: for MLPerf the submitter and system, elsewhere the case.
  MLPerf's ``llama2-70b-99`` and ``llama2-70b-99.9`` results are often the same run filed
  twice (identical values); a run never predicts itself, and its copies count once.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from predeploy.core.cases import CalibrationCase

#: Scenario fields that name or label a run rather than describe what was served.
RUN_LABEL_FIELDS = frozenset(
    {
        "model_label",
        "gpu_label",
        "engine_label",
        "precision_label",
        "mlperf_benchmark",
        "mlperf_submitter",
        "mlperf_system",
    }
)


def scenario_key(case: CalibrationCase) -> str:
    """Everything a predictor reads of the case's scenario, as one comparable string."""
    fields = case.scenario.model_dump(mode="json", by_alias=True, exclude=set(RUN_LABEL_FIELDS))
    return json.dumps(fields, sort_keys=True)


def run_key(case: CalibrationCase) -> tuple[str, ...]:
    """The measurement session a case comes from (MLPerf: submitter and system)."""
    scenario = case.scenario
    if scenario.mlperf_submitter and scenario.mlperf_system:
        return (case.source_key, scenario.mlperf_submitter, scenario.mlperf_system)
    return (case.id,)


@dataclass(frozen=True)
class Replicates:
    """Repeated measurements and the leave-one-run-out predictions of their values."""

    #: The repeated cases, one per run and scenario (a run's identical copies dropped).
    cases: tuple[CalibrationCase, ...]
    #: Case id → ``{"metrics": {metric: median of the other runs' values}}``.
    predictions: dict[str, dict[str, object]]
    #: Scenarios measured by at least two runs.
    scenarios: int
    #: Cases left out as identical copies of a run's result in the same scenario.
    duplicate_copies: int


def replicate_predictions(cases: Sequence[CalibrationCase]) -> Replicates:
    """Each repeated case predicted by the median of the other runs of its scenario."""
    groups: dict[str, list[CalibrationCase]] = defaultdict(list)
    for case in cases:
        groups[scenario_key(case)].append(case)
    kept: list[CalibrationCase] = []
    predictions: dict[str, dict[str, object]] = {}
    scenarios = copies = 0
    for group in groups.values():
        unique: dict[tuple[tuple[str, ...], str], CalibrationCase] = {}
        for case in group:
            result = json.dumps(case.expected, sort_keys=True)
            unique.setdefault((run_key(case), result), case)
        copies += len(group) - len(unique)
        runs = list(unique.values())
        if len({run_key(c) for c in runs}) < 2:
            continue
        scenarios += 1
        for case in runs:
            others = [o for o in runs if run_key(o) != run_key(case)]
            metrics = {
                metric: statistics.median(values)
                for metric in case.expected
                if (values := [o.expected[metric] for o in others if o.expected.get(metric)])
            }
            if metrics:
                kept.append(case)
                predictions[case.id] = {"metrics": metrics}
    return Replicates(tuple(kept), predictions, scenarios, copies)
