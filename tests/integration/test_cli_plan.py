"""`predeploy plan | whatif | compare` end to end: JSON contract, Rich view, charts, and bad
input as one clear line on stderr with exit status 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.perf_fixtures import support_13b_config

from predeploy.cli import app
from predeploy.cli.common import run_guarded

SMALL = {
    "use_case": "chatbot", "peak_qps": 10, "gpus": ["L4", "H100-SXM"],
    "models": ["meta-llama/Llama-3.1-8B-Instruct"], "constraints": {"models_required": True},
}
PLAN_KEYS = {"model", "precision", "gpu", "tp", "gpus_per_replica", "replicas", "total_gpus",
             "vllm_args", "predicted", "slo_checks", "meets_slo", "cost", "provenance",
             "rationale"}


@dataclass
class Outcome:
    code: int
    out: str
    err: str


Cli = Callable[..., Outcome]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("PREDEPLOY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["predeploy", *args])
        code = run_guarded(app)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def _spec(tmp_path: Path, name: str = "spec.json", **changes: object) -> Path:
    data = {**SMALL, **changes}
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_plan_json_contract(cli: Cli, tmp_path: Path) -> None:
    result = cli("plan", "--spec", str(_spec(tmp_path)), "--json", "--plans", "3")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert {"intent", "traffic", "plans", "infeasible", "elapsed_ms"} <= set(doc)
    assert doc["plans"]
    for plan in doc["plans"]:
        assert set(plan) >= PLAN_KEYS
        assert set(plan["predicted"]["ttft_ms"]) >= {"p50", "p90", "p95", "p99"}
        assert {"output_tokens_per_s", "max_rps_per_replica"} <= set(plan["predicted"])
        assert {"hourly_usd", "monthly_usd", "per_million_output_tokens_usd"} <= set(
            plan["cost"])
        assert plan["vllm_args"]["--max-model-len"] >= 1
        check = next(iter(plan["slo_checks"].values()))
        assert {"target", "predicted", "met"} <= set(check)
        assert plan["total_gpus"] == plan["gpus_per_replica"] * plan["replicas"]
        # every prediction carries the held-out error bands of its basis and engine
        accuracy = plan["predicted"]["provenance"]["accuracy"]
        assert accuracy["engine"] == "vllm" and accuracy["bands"]
    assert doc["elapsed_ms"] > 0


def test_plan_from_words_renders_a_table_and_a_chart(cli: Cli, tmp_path: Path) -> None:
    chart = tmp_path / "pareto.png"
    result = cli("plan", "Customer support chatbot for 2,000 users, budget $9,000 per month, "
                 "we have H100 GPUs", "--plot", str(chart))
    assert result.code == 0, result.err
    assert "x H100 SXM" in result.out
    assert "estimate" in result.out
    assert "vllm serve" in result.out
    assert "80 % range" in result.out  # the SLO checks show the held-out error band
    assert chart.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"users": -5}, "users"),
        ({"slo": {"ttft_ms": {"p90": 0}}}, "slo.ttft_ms.p90"),
        ({"gpus": ["H900"]}, "unknown GPU 'H900'"),
        ({"use_case": "poetry"}, "use_case"),
        ({"userz": 3}, "userz"),
        ({"gpus": 5}, "constraints.gpus"),
        ({"constraints": 5}, "constraints: Input should be a valid dictionary"),
        ({"preferences": {"providers": ["\x1b[2J"]}}, "control character '\\x1b'"),
    ],
)
def test_bad_specs_get_one_clear_line(
    cli: Cli, tmp_path: Path, changes: dict[str, object], expected: str
) -> None:
    result = cli("plan", "--spec", str(_spec(tmp_path, **changes)))
    assert result.code == 2
    assert expected in result.err
    assert "Traceback" not in result.err and "Traceback" not in result.out


def test_unreadable_specs_name_the_file(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = cli("plan", "--spec", str(broken))
    assert result.code == 2 and "broken.json" in result.err and "JSON" in result.err
    missing = cli("plan", "--spec", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "nope.json" in missing.err
    neither = cli("plan")
    assert neither.code == 2 and "--spec" in neither.err
    empty = cli("plan", "  ")
    assert empty.code == 2 and "the request is empty" in empty.err
    seed = cli("plan", "--spec", str(_spec(tmp_path)), "--seed", "-1")
    assert seed.code == 2 and "--seed" in seed.err


def test_budget_below_any_plan_is_an_answer_not_an_error(cli: Cli, tmp_path: Path) -> None:
    spec = _spec(tmp_path, budget={"monthly_usd": 10})
    result = cli("plan", "--spec", str(spec))
    assert result.code == 0, result.err
    assert "No plan meets every constraint" in result.out
    assert "raise the budget to $" in result.out
    doc = json.loads(cli("plan", "--spec", str(spec), "--json").out)
    assert doc["plans"] == [] and doc["infeasible"]
    assert any(s["kind"] == "raise_budget" for s in doc["suggestions"])


def test_whatif_rate_sweep_and_compare(cli: Cli, tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    chart = tmp_path / "curve.png"
    result = cli("whatif", "--spec", str(spec), "--vary", "rate", "--values", "0.5,1,2",
                 "--plot", str(chart))
    assert result.code == 0, result.err
    assert "× 2" in result.out and chart.exists()
    doc = json.loads(cli("whatif", "--spec", str(spec), "--vary", "rate", "--values", "1,4",
                         "--json").out)
    costs = [p["plan"]["cost"]["monthly_usd"] for p in doc["points"]]
    assert costs == sorted(costs)
    bad = cli("whatif", "--spec", str(spec), "--vary", "moon")
    assert bad.code == 2 and "valid: rate" in bad.err
    b = _spec(tmp_path, "b.json", peak_qps=40)
    result = cli("compare", str(spec), str(b))
    assert result.code == 0, result.err
    assert "Scenario A vs B" in result.out and "B costs" in result.out
    doc = json.loads(cli("compare", str(spec), str(b), "--json").out)
    assert any(d["name"] == "monthly cost" for d in doc["deltas"])


def test_user_text_is_shown_as_text_never_as_markup(cli: Cli, tmp_path: Path) -> None:
    spec = _spec(tmp_path, preferences={"providers": ["[/bold]"]},
                 constraints={"models_required": True, "excluded_licenses": ["[red]x"]})
    result = cli("plan", "--spec", str(spec))
    assert result.code == 0, result.err
    assert "[/bold]" in result.out and "no [red]x licenses" in result.out
    unknown = cli("plan", "--spec", str(_spec(tmp_path, gpus=["[/x]"])))
    assert unknown.code == 2 and "unknown GPU '[/x]'" in unknown.err
    vary = cli("whatif", "--spec", str(spec), "--vary", "[/x]")
    assert vary.code == 2 and "unknown --vary '[/x]'" in vary.err
    escape = cli("plan", "--spec", str(tmp_path / "\x1b[2Jx.json"))
    assert escape.code == 2 and "\\x1b[2Jx.json" in escape.err and "\x1b" not in escape.err


def test_bad_sweeps_get_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    for args, expected in (
        (("--vary", "rate", "--values", "inf"), "positive numbers, got 'inf'"),
        (("--vary", "rate", "--target", "ttft_ms.p90"), "goes with an SLO sweep only"),
        (("--vary", "output_tokens", "--values", "1e12"), "at most 10,000,000 tokens"),
    ):
        result = cli("whatif", "--spec", str(spec), *args)
        assert result.code == 2 and expected in result.err, result.err
        assert result.err.count("\n") == 1  # one line, no empty progress line before it


def test_plan_draws_the_recommended_plans_load_curve(cli: Cli, tmp_path: Path) -> None:
    chart = tmp_path / "load.png"
    result = cli("plan", "--spec", str(_spec(tmp_path)), "--load-curve", str(chart))
    assert result.code == 0, result.err
    assert chart.read_bytes()[:4] == b"\x89PNG"
    text = " ".join(result.out.split())
    assert f"load curve written to {chart}" in text and "saturates at" in text
    refused = cli("plan", "--spec", str(_spec(tmp_path)), "--load-curve", str(tmp_path / "x.txt"))
    assert refused.code == 2 and "--load-curve" in refused.err and refused.out == ""


def test_chart_paths_are_checked_before_planning(cli: Cli, tmp_path: Path) -> None:
    spec = str(_spec(tmp_path))
    for plot, expected in (
        (tmp_path / "chart.txt", "must end in .png, .svg, .pdf"),
        (tmp_path / "missing" / "chart.png", "does not exist"),
        (tmp_path / "dir.png", "is a directory"),
    ):
        if plot.name == "dir.png":
            plot.mkdir()
        result = cli("plan", "--spec", spec, "--plot", str(plot))
        assert result.code == 2 and expected in result.err, result.err
        assert result.out == ""  # refused before planning
    svg = tmp_path / "chart.svg"
    assert cli("whatif", "--spec", spec, "--values", "1,2", "--plot", str(svg)).code == 0
    assert svg.read_text().lstrip().startswith("<?xml")


def test_the_request_panel_shows_what_the_intent_engine_noted(cli: Cli) -> None:
    result = cli("plan", "chatbot for 100 users, only H900", "--details", "0")
    assert result.code == 0, result.err
    text = " ".join(result.out.split())
    assert "Noted: 'H900' is not a GPU in the catalog (did you mean" in text


def _ttft_p50_bound(plan: dict[str, Any]) -> float:
    """A plan's TTFT p50 at the high end of its held-out band."""
    bands = plan["predicted"]["provenance"]["accuracy"]["bands"]
    band = next(b for b in bands if b["family"] == "ttft" and b["statistic"] == "p50")
    return float(plan["predicted"]["ttft_ms"]["p50"] * band["ratio_high"])


def test_robust_plans_are_judged_at_the_held_out_bound(cli: Cli, tmp_path: Path) -> None:
    loose = str(_spec(tmp_path, "loose.json",
                      slo={"ttft_ms": {"p50": 2000, "p90": 4000, "p99": 8000}}))
    every = json.loads(cli("plan", "--spec", loose, "--json", "--plans", "50").out)["plans"]
    assert 0 < len(every) < 50  # every plan the search keeps
    # A TTFT p50 target the fastest plan meets at its prediction but no plan at its 90 % bound.
    fastest = min(p["predicted"]["ttft_ms"]["p50"] for p in every)
    lowest_bound = min(_ttft_p50_bound(p) for p in every)
    assert fastest < lowest_bound
    target = (fastest + lowest_bound) / 2
    strict = str(_spec(tmp_path, slo={"ttft_ms": {"p50": target, "p90": 4000, "p99": 8000}}))
    assert json.loads(cli("plan", "--spec", strict, "--json").out)["plans"]
    doc = json.loads(cli("plan", "--spec", strict, "--json", "--robust").out)
    assert not doc["plans"] and doc["suggestions"]
    assert any("held-out 90 % bound" in note for note in doc["notes"])
    # Looser TTFT targets hold at the bound too: a plan, judged there, costing no less.
    base = json.loads(cli("plan", "--spec", loose, "--json", "--plans", "1").out)["plans"][0]
    robust = cli("plan", "--spec", loose, "--json", "--plans", "1", "--robust")
    assert robust.code == 0, robust.err
    best = json.loads(robust.out)["plans"][0]
    assert best["predicted"]["provenance"]["held_out_bound"] is True
    assert base["predicted"]["provenance"]["held_out_bound"] is False
    assert best["cost"]["monthly_usd"] >= base["cost"]["monthly_usd"]
    same = ("gpu", "tp", "replicas")
    if all(best[k] == base[k] for k in same):  # the same plan: every figure moved up
        for key, check in best["slo_checks"].items():
            assert check["predicted"] >= base["slo_checks"][key]["predicted"] * 0.999, key
    shown = cli("plan", "--spec", loose, "--robust")
    assert shown.code == 0, shown.err
    assert "90 % bound" in shown.out and "80 % range" not in shown.out


def test_plan_takes_a_stated_front_end_time(cli: Cli, tmp_path: Path) -> None:
    loose = str(_spec(tmp_path, "loose.json",
                      slo={"ttft_ms": {"p50": 2000, "p90": 4000, "p99": 8000}}))
    run = cli("plan", "--spec", loose, "--json", "--plans", "1", "--front-end-ms", "5")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["front_end_s"] == pytest.approx(0.005)
    assert doc["plans"][0]["predicted"]["provenance"]["front_end_stated"] is True
    assert any("stated front-end time of 5 ms" in note for note in doc["notes"])
    assert cli("plan", "--spec", loose, "--front-end-ms", "-1").code != 0


def test_plan_your_own_model_from_its_config_json(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "support-13b" / "config.json"
    config.parent.mkdir()
    # A name with a space: the id made from it must be safe for manifests and labels.
    own = support_13b_config(_name_or_path="acme/support 13b")
    config.write_text(json.dumps(own), encoding="utf-8")
    spec = _spec(tmp_path, models=[], constraints={})
    chart = tmp_path / "load.png"
    result = cli("plan", "--spec", str(spec), "--model-config", str(config), "--json",
                 "--load-curve", str(chart))
    assert result.code == 0, result.err
    data = json.loads(result.out)
    # The name is made safe for manifests and labels; only this model is planned.
    assert data["plans"] and {p["model"] for p in data["plans"]} == {"acme/support-13b"}
    assert {p["precision"] for p in data["plans"]} <= {"bf16", "fp8"}
    assert chart.read_bytes()[:4] == b"\x89PNG"
    named = cli("plan", "--spec", str(spec), "--model-config", str(config), "--model-name",
                "my-bot", "--json", "--plans", "1")
    assert json.loads(named.out)["plans"][0]["model"] == "custom/my-bot"
    sweep = cli("whatif", "--spec", str(spec), "--model-config", str(config), "--vary", "rate",
                "--values", "1,2", "--json")
    assert sweep.code == 0, sweep.err
    assert {p["plan"]["model"] for p in json.loads(sweep.out)["points"] if p["plan"]} == {
        "acme/support-13b"}
    alone = cli("plan", "--spec", str(spec), "--model-name", "my-bot")
    assert alone.code == 2 and "--model-config" in alone.err
    config.write_text("{}", encoding="utf-8")
    broken = cli("plan", "--spec", str(spec), "--model-config", str(config))
    assert broken.code == 2 and "no model_type" in broken.err
