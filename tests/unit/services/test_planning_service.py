"""Reading intent specs for the planner: plain intents, saved answers, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.planning_facts import ToyEngine, small_catalog

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError
from predeploy.core.types import PlannerOptions
from predeploy.services import planning
from predeploy.services.planning import MAX_SPEC_BYTES, read_intent_spec
from predeploy.settings import Settings


def test_reads_an_intent_and_a_saved_plan_answer(tmp_path: Path) -> None:
    spec = tmp_path / "intent.json"
    spec.write_text(json.dumps({"use_case": "chatbot", "users": 100, "gpus": ["L4"]}))
    intent = read_intent_spec(spec)
    assert intent.users == 100 and intent.gpus == ["L4"]
    saved = tmp_path / "answer.json"
    saved.write_text(json.dumps({"intent": intent.model_dump(mode="json"), "plans": []}))
    assert read_intent_spec(saved) == intent


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{nope", "not valid JSON (line 1"),
        ("[1, 2]", "must be a JSON object"),
        ('{"use_case": "chatbot", "users": -1}', "users"),
        ('{"use_case": "chatbot", "slo": {"ttft_ms": {"p90": 0}}}', "slo.ttft_ms.p90"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, content: str, expected: str) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(content)
    with pytest.raises(InputError) as info:
        read_intent_spec(spec)
    assert "bad.json" in str(info.value) and expected in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        read_intent_spec(tmp_path / "absent.json")
    binary = tmp_path / "blob.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="UTF-8"):
        read_intent_spec(binary)


def test_directories_and_oversized_specs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the spec"):
        read_intent_spec(tmp_path)
    huge = tmp_path / "huge.json"
    huge.write_text(" " * (MAX_SPEC_BYTES + 1))
    with pytest.raises(InputError, match="larger than the limit"):
        read_intent_spec(huge)


def test_words_are_read_against_the_catalog_the_plan_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Catalog] = []

    def open_catalog(settings: Settings) -> Catalog:
        opened.append(small_catalog())
        return opened[-1]

    monkeypatch.setattr(planning, "open_catalog", open_catalog)
    monkeypatch.setattr(planning, "calibrated_engine", ToyEngine)
    options = PlannerOptions(max_plans=1, num_requests=500)
    result = planning.plan_request("support chatbot for 2000 users", Settings(), options)
    assert len(opened) == 1  # one knowledge-base read per command
    assert result.intent.users == 2000 and result.plans
    sweep = planning.sweep_request("support chatbot for 2000 users", Settings(), "rate", [1, 2],
                                   options=options)
    assert len(opened) == 2 and len(sweep.points) == 2
