"""`predeploy kb ...` end to end on SQLite and PostgreSQL: init, stats, imports, listings, export,
and errors as one line on stderr with exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.perf_fixtures import support_13b_config

from predeploy.cli import app
from predeploy.cli.common import run_guarded
from predeploy.kb.seed import SeedData
from predeploy.services import knowledge

GUIDELLM_V1 = Path(__file__).parents[1] / "unit" / "kb" / "importers" / "data" / (
    "guidellm_v1_poisson.json"
)
CONTRACT_KEYS = ("models", "gpus", "prices", "slo_templates", "deployment_templates",
                 "benchmarks", "outcomes")


@dataclass
class Outcome:
    code: int
    out: str
    err: str


Cli = Callable[..., Outcome]


@pytest.fixture(scope="module")
def seed() -> SeedData:
    return knowledge.read_seed()


@pytest.fixture
def cli(
    kb_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    monkeypatch.setenv("PREDEPLOY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREDEPLOY_DATABASE_URL", kb_url)

    def run(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["predeploy", *args])
        code = run_guarded(app)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _stats(cli: Cli) -> dict[str, object]:
    result = cli("kb", "stats", "--json")
    assert result.code == 0, result.err
    document: dict[str, object] = json.loads(result.out)
    return document


def test_init_is_idempotent_and_stats_follow_the_contract(cli: Cli, seed: SeedData) -> None:
    before = _stats(cli)
    assert before["backend"] == "seed-files"
    first = cli("kb", "init")
    assert first.code == 0, first.err
    stats = _stats(cli)
    assert stats["backend"] == "database"
    for key in CONTRACT_KEYS:
        assert isinstance(stats[key], int), key
    assert stats["models"] == len(seed.models) and stats["gpus"] == len(seed.gpus)
    assert stats["benchmarks"] == sum(len(b.metrics) for b in seed.benchmarks)
    assert stats["outcomes"] == 0
    assert {k: before[k] for k in CONTRACT_KEYS} == {k: stats[k] for k in CONTRACT_KEYS}
    second = cli("kb", "init", "--json")
    assert second.code == 0
    assert json.loads(second.out)["seed"]["models"]["unchanged"] == len(seed.models)
    assert _stats(cli) == stats


def test_import_guidellm_then_list_and_export(
    cli: Cli, tmp_path: Path, seed: SeedData
) -> None:
    assert cli("kb", "init").code == 0
    model, gpu = seed.models[0].id, seed.gpus[0].name
    before = _stats(cli)
    result = cli("kb", "import-guidellm", str(GUIDELLM_V1), "--model", model, "--gpu", gpu,
                 "--gpu-count", "1", "--precision", "bf16", "--engine", "vllm", "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    assert summary["scenarios"]["inserted"] == 2
    after = _stats(cli)
    written = summary["metric_values_written"]
    assert after["benchmarks"] == int(str(before["benchmarks"])) + written

    models = json.loads(cli("kb", "models", "--json").out)
    assert {m["id"] for m in models} == {m.id for m in seed.models}
    assert all(m["provenance"]["source"] for m in models)
    assert len(json.loads(cli("kb", "gpus", "--json").out)) == len(seed.gpus)
    prices = json.loads(cli("kb", "prices", "--gpu", gpu, "--json").out)
    assert prices and {p["gpu"] for p in prices} == {gpu}
    templates = json.loads(cli("kb", "templates", "--json").out)
    assert len(templates["slo_templates"]) == len(seed.slo_templates)
    assert json.loads(cli("kb", "outcomes", "--json").out) == []
    for command in ("models", "gpus", "prices", "templates", "stats", "outcomes"):
        table = cli("kb", command)
        assert table.code == 0 and table.out.strip(), command

    target = tmp_path / "kb.json"
    assert cli("kb", "export", "--output", str(target)).code == 0
    document = json.loads(target.read_text())
    assert len(document["benchmarks"]) == after["benchmark_scenarios"]
    unwritable = cli("kb", "export", "--output", str(tmp_path))
    assert unwritable.code == 2 and "is a directory" in unwritable.err


def test_imported_names_are_shown_as_text(cli: Cli, seed: SeedData) -> None:
    assert cli("kb", "init").code == 0
    result = cli("kb", "import-guidellm", str(GUIDELLM_V1), "--model", seed.models[0].id,
                 "--gpu", seed.gpus[0].name, "--source-key", "[/x] \x1b[31mred")
    assert result.code == 0, result.err
    stats = cli("kb", "stats")
    assert stats.code == 0, stats.err
    assert "[/x] \\x1b[31mred" in stats.out and "\x1b" not in stats.out


#: (file name, content, CLI arguments after the file, expected message on stderr)
BAD_IMPORTS = [
    ("bad.json", '{"metadata": {"version": 2}, "benchmarks": [', "guidellm",
     "bad.json: line 1, column"),
    ("bad.json", '{"metadata": {"version": 7}, "benchmarks": []}', "guidellm",
     "bad.json: metadata.version: unsupported report schema version 7"),
    ("runs.jsonl", '{"id": "x", "model": "m"}\n', "benchmarks", "runs.jsonl: line 1: "),
]


def test_import_errors_exit_2_with_one_line_and_change_nothing(
    cli: Cli, tmp_path: Path, seed: SeedData
) -> None:
    assert cli("kb", "init").code == 0
    before = _stats(cli)
    model, gpu = seed.models[0].id, seed.gpus[0].name
    for name, content, kind, message in BAD_IMPORTS:
        bad = tmp_path / name
        bad.write_text(content)
        if kind == "guidellm":
            result = cli("kb", "import-guidellm", str(bad), "--model", model, "--gpu", gpu)
        else:
            result = cli("kb", "import-benchmarks", str(bad))
        assert result.code == 2, message
        assert result.err.startswith(f"error: {message}"), result.err
        assert result.err.count("\n") == 1, result.err
    wrong = gpu[:-1] + "Z"
    result = cli("kb", "import-guidellm", str(GUIDELLM_V1), "--model", model, "--gpu", wrong)
    assert result.code == 2 and f"--gpu: unknown GPU '{wrong}'" in result.err
    assert _stats(cli) == before


def test_uninitialized_database_is_named(cli: Cli) -> None:
    result = cli("kb", "export")
    assert result.code == 2
    assert "not initialized; run `predeploy kb init`" in result.err


def test_console_script_prints_contract_json(tmp_path: Path) -> None:
    """The installed entry point, in a fresh process (SQLite under PREDEPLOY_HOME)."""
    env = {**os.environ, "PREDEPLOY_HOME": str(tmp_path)}
    env.pop("PREDEPLOY_DATABASE_URL", None)
    command = [sys.executable, "-c", "from predeploy.cli import main; main()"]
    init = subprocess.run([*command, "kb", "init"], env=env, capture_output=True, text=True,
                          check=False)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "predeploy.sqlite3").exists()
    stats = subprocess.run([*command, "kb", "stats", "--json"], env=env, capture_output=True,
                           text=True, check=False)
    document = json.loads(stats.stdout)
    assert all(isinstance(document[k], int) for k in CONTRACT_KEYS)


def test_listings_stay_readable_in_80_columns(
    cli: Cli, seed: SeedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    narrow = cli("kb", "gpus")
    assert narrow.code == 0, narrow.err
    assert max(len(line) for line in narrow.out.splitlines()) <= 80
    for gpu in seed.gpus:  # every name whole, every figure's kind shown, never cut
        assert gpu.name in narrow.out
    assert narrow.out.count("estimated") == sum(
        g.provenance.kind.value == "estimated" for g in seed.gpus)
    assert "--json (or a wider terminal)" in narrow.out
    monkeypatch.setenv("COLUMNS", "160")
    wide = cli("kb", "gpus")
    assert "published-spec · NVIDIA L4 datasheet" in wide.out


def test_import_your_own_model_then_predict_and_plan_it(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(support_13b_config()), encoding="utf-8")
    assert cli("kb", "init").code == 0
    first = cli("kb", "import-model", str(config), "--json")
    assert first.code == 0, first.err
    assert json.loads(first.out)["outcome"] == "inserted"
    assert json.loads(cli("kb", "import-model", str(config), "--json").out)["outcome"] == (
        "unchanged")
    # Another init keeps it (the seed never touches imports); listings and plans see it.
    assert cli("kb", "init").code == 0
    ids = {m["id"] for m in json.loads(cli("kb", "models", "--json").out)}
    assert "acme/support-13b" in ids
    predicted = cli("predict", "--model", "acme/support-13b", "--gpu", "L40S", "--qps", "1",
                    "--json")
    assert predicted.code == 0, predicted.err
    assert json.loads(predicted.out)["memory"]["fits"] is True
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"use_case": "chatbot", "peak_qps": 5, "gpus": ["L40S"],
                                "models": ["acme/support-13b"],
                                "constraints": {"models_required": True}}), encoding="utf-8")
    understood = cli("intent", "support bot for 100 users on acme/support-13b", "--json")
    assert json.loads(understood.out)["constraints"]["models"] == ["acme/support-13b"]
    planned = cli("plan", "--spec", str(spec), "--json", "--plans", "1")
    assert planned.code == 0, planned.err
    assert json.loads(planned.out)["plans"][0]["model"] == "acme/support-13b"
    # A shipped model's id is refused, and nothing is written.
    taken = cli("kb", "import-model", str(config), "--name", "meta-llama/Llama-3.1-8B-Instruct")
    assert taken.code == 2 and "a model the catalog ships" in taken.err
