"""Our scorer agrees with ../shared/calibration/score_perf.py."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from tests.script_loading import load_script

from predeploy.core.scoring import ScoredCase, family, render, score


def _shared_scorer(shared_dir: Path) -> Any:
    return load_script("score_perf", shared_dir / "calibration" / "score_perf.py")


def test_families() -> None:
    assert family("total_tokens_per_s") == "throughput"
    assert family("itl_ms_p99") == "itl_tpot"
    assert family("prefill_tokens_per_s_single_stream") == "single_stream"
    assert family("weird") == "other"


def test_agrees_with_the_shared_scorer(shared_dir: Path, tmp_path: Path) -> None:
    reference = _shared_scorer(shared_dir)
    cases_path = shared_dir / "calibration" / "perf_cases.jsonl"
    lines = cases_path.read_text().splitlines()[:300]
    cases = [json.loads(line) for line in lines]
    rng = random.Random(5)
    preds = []
    for c in cases:
        if rng.random() < 0.1:
            preds.append({"id": c["id"], "metrics": {}, "fits": None, "error": "x"})
            continue
        metrics = {k: v * rng.uniform(0.5, 1.8) for k, v in c["expected"].items()}
        preds.append({"id": c["id"], "metrics": metrics, "fits": rng.random() > 0.05})
    case_file = tmp_path / "cases.jsonl"
    pred_file = tmp_path / "preds.jsonl"
    case_file.write_text("\n".join(lines) + "\n")
    pred_file.write_text("".join(json.dumps(p) + "\n" for p in preds))
    expected = reference.score(str(case_file), str(pred_file))

    ours = score(
        [
            ScoredCase(
                id=c["id"],
                engine=str(c["scenario"]["engine"]),
                load=str(c["scenario"]["load"]["kind"]),
                source=c["source_key"],
                expected=c["expected"],
            )
            for c in cases
        ],
        {p["id"]: p for p in preds},
    )
    assert ours.cases_covered == expected["cases_covered"]
    assert ours.predicted_values == expected["predicted_values"]
    assert ours.fits_false == expected["fits_false"]
    assert ours.predictions_with_error == expected["predictions_with_error"]
    assert ours.overall.median_ape == pytest.approx(expected["overall"]["median_ape"], abs=1e-6)
    for fam, stats in expected["by_family"].items():
        mine = ours.by_family[fam]
        assert mine.count == stats["count"]
        if stats["count"]:
            assert mine.median_ape == pytest.approx(stats["median_ape"], abs=1e-6)
            assert mine.within_25 == pytest.approx(stats["within_25"], abs=1e-6)
    for source, table in expected["by_source"].items():
        assert ours.by_source[source]["all"].median_ape == pytest.approx(
            table["overall"]["median_ape"], abs=1e-6
        )
    assert "Overall and by metric family" in render(ours)
