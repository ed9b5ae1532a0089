"""The intent service: extractor choice, one-shot extraction, conversations, case files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.intent_fixtures import intent_catalog

from predeploy.core.errors import InputError
from predeploy.core.types import UseCase
from predeploy.intent.rules import RuleExtractor
from predeploy.services import intent as svc
from predeploy.settings import Settings

SETTINGS = Settings()


def test_rules_by_default_and_cached_per_catalog() -> None:
    catalog = intent_catalog()
    extractor = svc.make_extractor(catalog, SETTINGS)
    assert isinstance(extractor, RuleExtractor)
    assert svc.make_extractor(catalog, SETTINGS) is extractor


def test_extract_intent_and_conversation() -> None:
    catalog = intent_catalog()
    intent = svc.extract_intent("IDE autocomplete for 300 engineers", catalog, SETTINGS)
    assert (intent.use_case, intent.users) == (UseCase.CODE_COMPLETION, 300)
    chat = svc.start_conversation(catalog, SETTINGS)
    chat.send("IDE autocomplete for 300 engineers")
    assert chat.send("make it 450 users").intent.users == 450
    edited = svc.edit_field(intent, "gpus", "L40S", catalog)
    assert edited.gpus == ["L40S"]
    assert svc.explain(intent, SETTINGS).by == "rules"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", ":1: not valid JSON"),
        ("[1, 2]\n", ":1: expected a JSON object"),
        ('{"id": true, "text": "x"}\n', ":1: 'id' must be a string or an integer"),
        ('{"id": "a", "text": "ok"}\n{"id": "b"}\n', ":2: 'text' must be a string"),
        ('{"id": "a", "text": "' + "x" * 100_000 + '"}\n', ":1: line longer than"),
    ],
)
def test_bad_case_files_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(content)
    out = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        svc.extract_file(cases, out, intent_catalog(), SETTINGS)
    assert not out.exists()


def test_missing_case_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        svc.extract_file(tmp_path / "nope.jsonl", tmp_path / "o.jsonl", intent_catalog(), SETTINGS)


def test_output_replaced_atomically(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "x", "text": "translation for 20 people"}) + "\n")
    out = tmp_path / "out.jsonl"
    out.write_text("old content\n")
    assert svc.extract_file(cases, out, intent_catalog(), SETTINGS) == 1
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["intent"]["users"] == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases.jsonl", "out.jsonl"]


def test_unwritable_outputs_and_unreadable_inputs_name_the_path(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "x", "text": "translation for 20 people"}) + "\n")
    with pytest.raises(InputError, match="is a directory"):
        svc.extract_file(cases, tmp_path, intent_catalog(), SETTINGS)
    with pytest.raises(InputError, match=r"cases\.jsonl is a file, not a folder"):
        svc.extract_file(cases, cases / "out.jsonl", intent_catalog(), SETTINGS)
    with pytest.raises(InputError, match="cannot read"):
        svc.extract_file(tmp_path, tmp_path / "o.jsonl", intent_catalog(), SETTINGS)
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b'{"id": 1, "text": "ok"}\n\xff\xfe\n')
    with pytest.raises(InputError, match=r"binary.jsonl:2: the cases file is not UTF-8 text"):
        svc.extract_file(binary, tmp_path / "o.jsonl", intent_catalog(), SETTINGS)
    assert not (tmp_path / "o.jsonl").exists()
