"""Held-out error bands: built from held-out predictions, looked up by metric name, attached
to predictions on the matching parameter basis, and the bound a robust plan is judged at."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.perf_fixtures import h100, llama_8b

from predeploy.core.accuracy import (
    MIN_BAND_VALUES,
    HeldOutBoundEngine,
    accuracy_table,
    held_out_bound,
)
from predeploy.core.calibration_problem import Measurement
from predeploy.core.efficiency import ParameterSet
from predeploy.core.perf import predict
from predeploy.core.perf_engine import CalibratedEngine
from predeploy.core.types import (
    Harness,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.types.accuracy import AccuracyBand, AccuracyTable, PerfAccuracy, statistic

DAY = dt.date(2026, 11, 30)


def scenario() -> ServingScenario:
    return ServingScenario(
        model_id="test/8b",
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution.fixed(512),
        output_tokens=TokenDistribution.fixed(128),
        load=LoadSpec(kind="poisson", rate_rps=1.0),
    )


def held_out(ratios: list[float]) -> tuple[list[Measurement], dict[str, dict[str, object]]]:
    """One measurement per ratio: TTFT p99 100 ms and 1,000 tok/s measured, predicted at
    ``ratio`` times that."""
    ms, held = [], {}
    for i, r in enumerate(ratios):
        metrics = {"ttft_ms_p99": 100.0, "output_tokens_per_s": 1000.0, "itl_ms_p50": 10.0}
        ms.append(Measurement(scenario(), metrics, "src", f"m{i}"))
        held[f"m{i}"] = {
            "metrics": {"ttft_ms_p99": 100.0 * r, "output_tokens_per_s": 1000.0 * r},
            "fits": True,
        }
    return ms, held


def test_statistic_of_metric_names() -> None:
    assert statistic("ttft_ms_p99") == "p99"
    assert statistic("tpot_ms_mean") == "mean"
    assert statistic("e2e_ms_p95") == "p95"
    assert statistic("output_tokens_per_s") == "-"
    assert statistic("requests_per_s") == "-"


def test_bands_hold_the_median_error_and_the_middle_80_percent_of_ratios() -> None:
    ratios = [0.5 + i / 99 for i in range(100)]  # predicted / measured from 0.5 to 1.5
    ms, held = held_out(ratios)
    table = accuracy_table(ms, held, basis="fitted", split="test folds", date=DAY)
    assert table.measurements == 100
    ttft = table.band("ttft_ms_p99")
    assert ttft is not None and ttft.values == 100
    assert ttft.median_ape == pytest.approx(0.25, abs=0.01)
    assert ttft.ratio_low == pytest.approx(0.6, abs=0.01)
    assert ttft.ratio_high == pytest.approx(1.4, abs=0.01)
    assert ttft.within_25 == pytest.approx(0.5, abs=0.02)
    low, high = ttft.measured_range(140.0)
    assert low == pytest.approx(100.0, rel=0.01) and high == pytest.approx(233.0, rel=0.01)
    # throughput bands are one per family; a metric never predicted gets no band
    assert table.band("requests_per_s") == table.band("output_tokens_per_s")
    assert table.band("itl_ms_p50") is None
    # a percentile without its own band takes the nearest above, else below
    assert table.band("ttft_ms_p95") == ttft and table.band("ttft_ms_p50") == ttft
    assert table.band("ttft_ms_mean") is None


def test_an_engine_table_keeps_that_engine_only() -> None:
    ms, held = held_out([0.8] * 30)
    vllm = accuracy_table(ms, held, basis="fitted", split="t", date=DAY, engine="vllm")
    sglang = accuracy_table(ms, held, basis="fitted", split="t", date=DAY, engine="sglang")
    assert vllm.engine == "vllm" and vllm.measurements == 30 and vllm.bands
    assert sglang.measurements == 0 and sglang.bands == ()


def test_a_model_kind_table_keeps_that_kind_only() -> None:
    ms, held = held_out([0.8] * 30)  # a dense 8B model
    dense = accuracy_table(ms, held, basis="fitted", split="t", date=DAY, kind="dense")
    moe = accuracy_table(ms, held, basis="fitted", split="t", date=DAY, kind="moe")
    assert dense.model_kind == "dense" and dense.measurements == 30 and dense.bands
    assert moe.measurements == 0 and moe.bands == ()


def _through(ms: list[Measurement], harness: Harness, prefix: str) -> list[Measurement]:
    """The same measurements, taken through ``harness`` (ids prefixed)."""
    return [
        Measurement(
            m.scenario.model_copy(update={"harness": harness}), m.metrics, "src", prefix + m.id
        )
        for m in ms
    ]


def test_measurements_through_another_set_up_are_left_out() -> None:
    # Predictions assume the default set-up: a harness the fit models separately (AMD's
    # MLPerf harness) must not widen the bands of the stock engine.
    ms, held = held_out([1.0] * 30)
    amd = _through(ms, Harness.MLPERF_AMD, "amd-")
    held |= {"amd-" + k: {"metrics": {"ttft_ms_p99": 400.0}, "fits": True} for k in held}
    table = accuracy_table([*ms, *amd], held, basis="fitted", split="t", date=DAY)
    assert table.measurements == 30
    band = table.band("ttft_ms_p99")
    assert band is not None and band.ratio_high == pytest.approx(1.0)


def test_vllm_0_11_0_chat_runs_count_as_the_engine_s() -> None:
    # Their own cost (the template parse per request) is priced by their set-up's fitted time
    # and gated server: what is left is the engine's error, which the bands describe.
    ms, held = held_out([1.0] * 30)
    chat = _through(ms, Harness.VLLM_0_11_0_CHAT, "chat-")
    held |= {"chat-" + k: v for k, v in held.items()}
    table = accuracy_table([*ms, *chat], held, basis="fitted", split="t", date=DAY)
    assert table.measurements == 60


def test_a_prediction_takes_the_most_specific_table() -> None:
    def table(engine: str | None, kind: str | None) -> AccuracyTable:
        return AccuracyTable.model_validate(
            {"basis": "fitted", "engine": engine, "model_kind": kind, "split": "t",
             "date": DAY, "measurements": 30, "bands": ()}
        )

    every, vllm, moe, vllm_moe = (
        table(None, None), table("vllm", None), table(None, "moe"), table("vllm", "moe")
    )
    full = PerfAccuracy(source="t", tables=(every, vllm, moe, vllm_moe))
    assert full.for_prediction("fitted", "vllm", "moe") == vllm_moe
    # the model kind before the engine: MoE predictions err more than engines differ
    assert full.for_prediction("fitted", "sglang", "moe") == moe
    assert full.for_prediction("fitted", "vllm", "dense") == vllm
    assert full.for_prediction("fitted", "sglang", "dense") == every
    assert full.for_prediction("fitted") == every
    assert full.for_prediction("fallback", "vllm", "moe") is None


def test_a_metric_without_a_band_of_its_own_takes_the_next_tables() -> None:
    def band(family: str, statistic: str, ape: float) -> AccuracyBand:
        return AccuracyBand(
            family=family,
            statistic=statistic,
            values=30,
            median_ape=ape,
            within_25=0.5,
            ratio_low=0.5,
            ratio_high=1.5,
        )

    # Too few MoE latencies for a band: throughput from the MoE table, TTFT from the engine's.
    common = {"basis": "fitted", "engine": "trtllm", "split": "t", "date": DAY}
    moe_bands = (band("throughput", "-", 0.2),)
    engine_bands = (band("throughput", "-", 0.1), band("ttft", "p99", 0.3))
    moe = AccuracyTable.model_validate(
        {**common, "model_kind": "moe", "measurements": 30, "bands": moe_bands}
    )
    engine = AccuracyTable.model_validate({**common, "measurements": 90, "bands": engine_bands})
    chosen = PerfAccuracy(source="t", tables=(moe, engine)).for_prediction(
        "fitted", "trtllm", "moe"
    )
    assert chosen is not None and chosen.model_kind == "moe"
    assert chosen.band("output_tokens_per_s") == moe.bands[0]
    assert chosen.band("ttft_ms_p99") == engine.bands[1]


def test_thin_groups_and_unusable_values_are_left_out() -> None:
    ms, held = held_out([1.0] * (MIN_BAND_VALUES - 1))
    held["m0"] = {"metrics": {"ttft_ms_p99": float("nan"), "output_tokens_per_s": 0.0}}
    table = accuracy_table(ms, held, basis="fallback", split="test", date=DAY)
    assert table.bands == ()
    ms, held = held_out([1.0] * MIN_BAND_VALUES)
    del held["m3"]  # a measurement without a held-out prediction is not counted
    table = accuracy_table(ms, held, basis="fallback", split="test", date=DAY)
    assert table.measurements == MIN_BAND_VALUES - 1 and table.bands == ()


def test_analytic_predictions_carry_the_table_of_their_basis() -> None:
    band = AccuracyBand(
        family="ttft", statistic="p99", values=30, median_ape=0.3, within_25=0.4,
        ratio_low=0.5, ratio_high=1.8,
    )
    tables = tuple(
        AccuracyTable(basis=b, split=b, date=DAY, measurements=30, bands=(band,))
        for b in ("fitted", "fallback")
    )
    params = ParameterSet(accuracy=PerfAccuracy(source="test", tables=tables))
    analytic = predict(scenario(), params)
    assert analytic.metrics.provenance.parameters == "fallback"  # neutral parameters
    assert analytic.metrics.provenance.accuracy == tables[1]
    simulated = predict(scenario(), params, mode="simulate", num_requests=200, seed=1)
    assert simulated.metrics.provenance.accuracy == tables[1]
    assert predict(scenario(), ParameterSet()).metrics.provenance.accuracy is None
    # the bands ship apart from the fitted parameters
    assert "accuracy" not in params.model_dump()


def test_a_band_rejects_impossible_values() -> None:
    with pytest.raises(ValueError):
        AccuracyBand(
            family="ttft", statistic="p50", values=0, median_ape=0.1, within_25=0.5,
            ratio_low=0.5, ratio_high=2.0,
        )
    with pytest.raises(ValueError):
        AccuracyBand(
            family="ttft", statistic="p50", values=5, median_ape=0.1, within_25=1.5,
            ratio_low=0.5, ratio_high=2.0,
        )


def _bands() -> PerfAccuracy:
    def band(fam: str, stat: str, low: float, high: float) -> AccuracyBand:
        return AccuracyBand(family=fam, statistic=stat, values=30, median_ape=0.3,
                            within_25=0.4, ratio_low=low, ratio_high=high)

    table = AccuracyTable(
        basis="fallback", split="t", date=DAY, measurements=30,
        bands=(band("ttft", "p50", 0.5, 1.5), band("ttft", "p90", 0.2, 1.5),
               band("ttft", "p99", 0.5, 1.5), band("throughput", "-", 0.8, 1.25)),
    )
    return PerfAccuracy(source="test", tables=(table,))


def test_the_held_out_bound_moves_latencies_up_and_capacity_down() -> None:
    pred = predict(scenario(), ParameterSet(accuracy=_bands()))
    bound = held_out_bound(pred)
    ttft, raw = bound.metrics.ttft_ms, pred.metrics.ttft_ms
    assert ttft.p50 == pytest.approx(raw.p50 / 0.5)  # type: ignore[operator]
    assert ttft.p90 == pytest.approx(raw.p90 / 0.2)  # type: ignore[operator]
    # p95 takes p99's band; bounds never decrease with rank even where bands cross
    assert ttft.p95 is not None and ttft.p99 is not None and ttft.p90 is not None
    assert ttft.p90 <= ttft.p95 <= ttft.p99
    assert ttft.mean == raw.mean  # no band for the mean: kept
    assert bound.metrics.itl_ms == pred.metrics.itl_ms  # no ITL bands: kept
    assert bound.saturation_rps == pytest.approx(pred.saturation_rps / 1.25)  # type: ignore[operator]
    # The same load runs closer to the lower capacity.
    assert bound.load_utilization == pytest.approx(pred.load_utilization * 1.25)  # type: ignore[operator]
    assert bound.metrics.output_tokens_per_s == pred.metrics.output_tokens_per_s
    assert bound.metrics.provenance.held_out_bound
    assert "held-out 90 % bound" in bound.metrics.provenance.label()
    assert held_out_bound(bound) == bound  # applied once
    plain = predict(scenario(), ParameterSet())
    assert held_out_bound(plain) == plain  # nothing to bound without bands


def test_the_bound_is_never_more_optimistic_than_the_prediction() -> None:
    over = AccuracyBand(family="ttft", statistic="p50", values=30, median_ape=0.5,
                        within_25=0.1, ratio_low=1.2, ratio_high=2.0)  # always over-predicted
    table = AccuracyTable(basis="fallback", split="t", date=DAY, measurements=30, bands=(over,))
    pred = predict(scenario(), ParameterSet(accuracy=PerfAccuracy(source="t", tables=(table,))))
    assert held_out_bound(pred).metrics.ttft_ms.p50 == pred.metrics.ttft_ms.p50


def test_the_bound_engine_bounds_every_prediction() -> None:
    engine = HeldOutBoundEngine(CalibratedEngine(ParameterSet(accuracy=_bands())))
    one = engine.predict(scenario(), "analytic", num_requests=100, seed=0)
    many = engine.predict_many([scenario(), scenario()])
    assert one.metrics.provenance.held_out_bound
    assert all(p.metrics.provenance.held_out_bound for p in many)
    assert many[0] == one
