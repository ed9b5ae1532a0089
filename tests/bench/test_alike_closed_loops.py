"""bench/alike_closed_loops.py: closed loops of alike answers, both modes against the measured."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from tests.perf_fixtures import llama_8b_h100_case
from tests.script_loading import load_script

from predeploy.services.perf import cases_from_lines, default_catalog, measurements_from_cases

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "alike_closed_loops.py"


@pytest.fixture(scope="module")
def acl() -> ModuleType:
    return load_script("alike_closed_loops", SCRIPT)


#: What each synthetic loop measured.
EXPECTED = {"ttft_ms_mean": 150.0, "ttft_ms_p99": 400.0, "tpot_ms_mean": 12.0}


def _case(case_id: str, load: dict[str, object]) -> dict[str, object]:
    return llama_8b_h100_case(case_id, load, EXPECTED, input_tokens=1024, output_tokens=128)


def test_closed_loops_of_alike_answers_are_compared_in_both_modes(
    acl: ModuleType, tmp_path: Path
) -> None:
    cases = [
        _case("loop", {"kind": "concurrency", "value": 8, "num_prompts": 80}),
        _case("one-client", {"kind": "concurrency", "value": 1, "num_prompts": 10}),
        _case("burst", {"kind": "burst", "num_prompts": 100}),
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    measurements, _ = measurements_from_cases(
        cases_from_lines(path.read_text().splitlines()), default_catalog()
    )
    selected = [m for m in measurements if acl.alike_closed_loop(m)]
    assert [m.id for m in selected] == ["loop"]
    rows = acl.rows(selected, requests=100)
    assert [r.stat for r in rows] == ["mean", "p99"]
    assert all(r.measured_ms > 0 and r.analytic_ms > 0 and r.simulated_ms > 0 for r in rows)
    groups = acl.tally(rows)
    assert groups["all"].count == 2 and groups["TTFT mean"].count == 1
    assert groups["synthetic vllm"].count == 2
    assert acl.main(["--cases", str(path), "--rows"]) == 0
    assert acl.main(["--cases", str(path), "--exclude", "synthetic"]) == 0
