"""The shipped error bands: written and read back atomically, attached to the shipped
parameters, a bad file named; bands measured from held-out predictions of both splits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.unit.core.test_accuracy import held_out

from predeploy.core.errors import InputError
from predeploy.core.types.accuracy import PerfAccuracy
from predeploy.services import perf_accuracy
from predeploy.services.perf import load_parameters, read_benchmark_records, rebuild_accuracy
from predeploy.services.perf_accuracy import (
    ACCURACY_FILE,
    load_accuracy,
    measure_accuracy,
    write_accuracy,
)

DAY = dt.date(2026, 11, 30)


def test_bands_of_both_bases_from_their_splits(tmp_path: Path) -> None:
    ms, near = held_out([0.9, 1.1] * 15)
    _, far = held_out([0.5, 2.0] * 15)
    accuracy = measure_accuracy(
        ms, score_sources={"src"}, held={"config": near, "gpu": far}, date=DAY
    )
    fitted, fallback = accuracy.for_prediction("fitted"), accuracy.for_prediction("fallback")
    assert fitted is not None and fallback is not None
    assert "five folds" in fitted.split and "one at a time" in fallback.split
    fitted_band, fallback_band = fitted.band("ttft_ms_p99"), fallback.band("ttft_ms_p99")
    assert fitted_band is not None and fallback_band is not None
    assert fitted_band.median_ape < fallback_band.median_ape
    # each engine with enough values gets its own table; others use the all-engine one
    assert accuracy.for_prediction("fitted", "vllm") is not None
    assert accuracy.for_prediction("fitted", "vllm").engine == "vllm"  # type: ignore[union-attr]
    assert accuracy.for_prediction("fitted", "sglang") == fitted and fitted.engine is None
    path = write_accuracy(accuracy, tmp_path / "bands.json")
    assert load_accuracy(path) == accuracy
    assert not (tmp_path / "bands.json.tmp").exists()


def test_unscored_sources_are_not_measured() -> None:
    ms, held = held_out([2.0] * 30)
    accuracy = measure_accuracy(ms, score_sources=set(), held={"config": held, "gpu": held})
    assert all(t.measurements == 0 and t.bands == () for t in accuracy.tables)


def test_a_missing_or_broken_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="accuracy file not found"):
        load_accuracy(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"source": "x", "tables": [{"basis": "guess"}]}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json"):
        load_accuracy(bad)
    monkeypatch.setattr(perf_accuracy, "ACCURACY_FILE", tmp_path / "absent.json")
    assert load_accuracy() is None  # no shipped bands: predictions carry none


def test_shipped_bands_come_with_the_shipped_parameters() -> None:
    if not ACCURACY_FILE.exists():
        pytest.skip("no error bands shipped")
    shipped = load_accuracy()
    assert isinstance(shipped, PerfAccuracy)
    assert {t.basis for t in shipped.tables} == {"fitted", "fallback"}
    assert {t.engine for t in shipped.tables} >= {None, "vllm", "sglang", "trtllm"}
    for table in shipped.tables:
        assert table.measurements > 0
        assert all(band.ratio_low <= band.ratio_high for band in table.bands)
    assert load_parameters().accuracy == shipped
    params_file = Path(perf_accuracy.__file__).resolve().parents[1] / "data" / "perf_params.json"
    assert load_parameters(params_file).accuracy is None  # a named file is taken as it is


def test_rebuilt_from_a_few_records(tmp_path: Path) -> None:
    """Two sources on two GPUs: every fold holds a configuration (or GPU) out and predicts it."""
    records = [
        r
        for r in read_benchmark_records()
        if r.source_key in ("lmdeploy-a100-fp16", "trtllm-perf-overview-v0.9")
    ]
    accuracy, path = rebuild_accuracy(
        output=tmp_path / "bands.json", records=records, max_iterations=3
    )
    assert path == tmp_path / "bands.json" and load_accuracy(path) == accuracy
    fitted = accuracy.for_prediction("fitted")
    assert fitted is not None and fitted.measurements > 0
    assert "lmdeploy-a100-fp16" in accuracy.source
    assert fitted.band("output_tokens_per_s") is not None


def test_the_chosen_tables_are_the_most_specific_for_any_engine_and_kind() -> None:
    """for_prediction answers from tables built once; an engine or kind without tables of its
    own gets what the search over the tables gives it."""
    ms, near = held_out([0.9, 1.1] * 15)
    _, far = held_out([0.5, 2.0] * 15)
    accuracy = measure_accuracy(
        ms, score_sources={"src"}, held={"config": near, "gpu": far}, date=DAY
    )
    for basis in ("fitted", "fallback"):
        for engine in (None, "vllm", "sglang", "no-such-engine"):
            for kind in (None, "dense", "moe"):
                expected = accuracy._most_specific(basis, engine, kind)  # type: ignore[arg-type]
                assert accuracy.for_prediction(basis, engine, kind) == expected  # type: ignore[arg-type]
