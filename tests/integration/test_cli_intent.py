"""`predeploy intent` and `predeploy chat` end to end (shipped seed catalog, no LLM)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from predeploy.cli import app
from predeploy.core.types import DeploymentIntent

runner = CliRunner()
CONTRACT_KEYS = {
    "use_case",
    "users",
    "qps",
    "priority",
    "prompt_tokens",
    "output_tokens",
    "slo",
    "budget",
    "gpus",
    "models",
    "stated",
}


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PREDEPLOY_LLM_BACKEND", "none")
    monkeypatch.setenv("PREDEPLOY_HOME", str(tmp_path / "home"))


def test_intent_json() -> None:
    result = runner.invoke(app, ["intent", "support bot for 5k shoppers, keep it cheap", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= CONTRACT_KEYS
    assert (data["use_case"], data["users"], data["priority"]) == ("customer_service", 5000, "cost")
    DeploymentIntent.model_validate(data)


def test_intent_panel_shows_origins_and_question() -> None:
    result = runner.invoke(app, ["intent", "a customer support bot on 4 H100s", "--explain"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "What I understood" in out and "extractor: rules" in out
    assert "stated" in out and "default" in out and "assumed" in out
    assert "Question:" in out
    assert "In words" in out


def test_intent_file_round_trip(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"id": "a", "text": "chatbot for 800 employees, $4,000 per month"})
        + "\n\n"
        + json.dumps({"id": 7, "text": "RAG assistant, 40 QPS peak, only H100 GPUs"})
        + "\n"
    )
    out = tmp_path / "out" / "pred.jsonl"
    result = runner.invoke(app, ["intent", "--input", str(cases), "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", 7]
    assert lines[0]["intent"]["budget"]["monthly_usd"] == 4000
    assert lines[1]["intent"]["qps"] == 40 and lines[1]["intent"]["gpus"] == ["H100-SXM"]
    assert lines[1]["extractor"] == "rules"


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from predeploy.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_bad_case_file_fails_naming_the_line_and_writes_nothing(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "text": "chatbot"}\n{"id": "b", "txt": "oops"}\n')
    out = tmp_path / "pred.jsonl"
    done = _run_cli("intent", "--input", str(cases), "--output", str(out))
    assert done.returncode == 2
    assert f"{cases}:2: 'text' must be a string" in done.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [cases]


def test_intent_needs_text_or_files() -> None:
    done = _run_cli("intent")
    assert done.returncode == 2 and "give a request" in done.stderr


def test_chat_fed_from_stdin() -> None:
    script = (
        "\n".join(
            [
                "support bot for our web shop",
                "I don't know",
                "make it 2000 users",
                "only H100s",
                "/edit slo.ttft_ms.p90 250",
                "/edit users lots",
                "drop the budget",
                "/quit",
            ]
        )
        + "\n"
    )
    result = runner.invoke(app, ["chat", "--json"], input=script)
    assert result.exit_code == 0, result.output
    intent = json.loads(result.stdout)  # only the final JSON goes to stdout
    assert intent["use_case"] == "customer_service"
    assert intent["users"] == 2000
    assert intent["gpus"] == ["H100-SXM"]
    assert intent["slo"]["ttft_ms"]["p90"] == 250
    assert "How many people" in result.stderr
    assert "cannot edit" in result.stderr and "users" in result.stderr


def test_chat_ends_on_eof_and_shows_the_intent() -> None:
    result = runner.invoke(app, ["chat"], input="translation for 20 people\n")
    assert result.exit_code == 0, result.output
    assert "What I understood" in result.stdout and "translation" in result.stdout


def test_chat_shows_markup_in_commands_as_text() -> None:
    result = runner.invoke(app, ["chat"], input="support bot\n/edit [/x] 5\n/[/b]\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "cannot edit" in result.stdout and "[/x]" in result.stdout
    assert "unknown command '/[/b]'" in result.stdout
