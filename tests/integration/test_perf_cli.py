"""The ``predeploy predict`` and ``perf`` commands end to end."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.perf_fixtures import support_13b_config
from typer.testing import CliRunner

from predeploy.cli import app
from predeploy.core.types import Engine, Harness
from predeploy.core.types.accuracy import AccuracyBand, AccuracyTable, PerfAccuracy
from predeploy.services import perf_accuracy
from predeploy.services.perf import default_catalog, load_parameters

RUNNER = CliRunner()

CASE = {
    "id": "synthetic/1",
    "scenario": {
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "precision": "bf16",
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "engine": "vllm",
        "input_tokens": 1000,
        "output_tokens": 200,
        "dataset": "fixed",
        "load": {"kind": "request_rate", "value": 4.0, "arrival": "poisson"},
    },
}


def test_predict_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    out = tmp_path / "out.jsonl"
    unknown = {**CASE, "id": "synthetic/2", "scenario": {**CASE["scenario"], "gpu": "TPU-v9"}}
    src.write_text(json.dumps(CASE) + "\n" + json.dumps(unknown) + "\n")
    result = RUNNER.invoke(app, ["predict", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["id"] == "synthetic/1" and rows[0]["fits"] is True
    assert rows[0]["metrics"]["ttft_ms_p99"] > rows[0]["metrics"]["ttft_ms_p50"] > 0
    assert rows[1]["metrics"] == {} and rows[1]["fits"] is None and "GPU" in rows[1]["error"]


def test_predict_one_scenario_json() -> None:
    result = RUNNER.invoke(
        app,
        [
            "predict",
            "--model",
            "meta-llama/Llama-3.1-8B-Instruct",
            "--gpu",
            "H100-SXM",
            "--input-tokens",
            "512",
            "--output-tokens",
            "128",
            "--qps",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["memory"]["fits"] is True
    assert data["metrics"]["provenance"]["method"] == "analytic"
    assert data["metrics"]["requests_per_s"] > 1.9


def test_predict_one_scenario_table() -> None:
    result = RUNNER.invoke(
        app,
        [
            "predict",
            "--model",
            "meta-llama/Llama-3.1-8B-Instruct",
            "--gpu",
            "L4",
            "--concurrency",
            "8",
            "--precision",
            "fp8",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ttft_ms" in result.output and "memory:" in result.output
    assert "of fitted front-end time per request" in " ".join(result.output.split())


def test_a_kv_bound_batch_says_the_cache_is_full() -> None:
    """Long dispersed answers at many clients fill the KV cache: the summary says so next to
    the batch it holds (and a light load shows how little of it is used)."""
    base = ["predict", "--model", "Qwen/Qwen3-30B-A3B", "--gpu", "A100-80GB"]
    lengths = ["--input-tokens", "1000", "--output-tokens", "3000", "--output-stdev", "3600"]
    full = RUNNER.invoke(app, [*base, *lengths, "--concurrency", "512"])
    assert full.exit_code == 0, full.output
    # Whole contexts fill it, the room left short of the next one's (99-100 %).
    assert re.search(r"\(KV cache (99|100) % full\)", " ".join(full.output.split()))
    light = RUNNER.invoke(app, [*base, "--input-tokens", "512", "--output-tokens", "128",
                                "--qps", "0.5"])
    assert light.exit_code == 0, light.output
    assert "(KV cache 0 % full)" in " ".join(light.output.split())


def test_predict_takes_a_stated_front_end_time() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--concurrency", "1", "--json"]
    fitted = json.loads(RUNNER.invoke(app, args).output)
    result = RUNNER.invoke(app, [*args, "--front-end-ms", "5"])
    assert result.exit_code == 0, result.output
    stated = json.loads(result.output)
    assert stated["metrics"]["provenance"]["front_end_ms"] == pytest.approx(5.0)
    assert stated["metrics"]["ttft_ms"]["p50"] < fitted["metrics"]["ttft_ms"]["p50"]
    table = RUNNER.invoke(app, [*args[:-1], "--front-end-ms", "5"])
    assert "5 ms of stated front-end time" in " ".join(table.output.split())
    bad = RUNNER.invoke(app, [*args, "--front-end-ms", "-1"])
    assert bad.exit_code != 0


def test_predict_behind_triton_takes_the_base_front_end() -> None:
    # TensorRT-LLM's fitted front end is trtllm-serve's; behind Triton's C++ server a request
    # takes the base set-up's time instead (the API server's rate says which was used).
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--engine", "trtllm", "--input-tokens", "467", "--output-tokens", "16",
            "--burst", "500", "--json"]
    own = json.loads(RUNNER.invoke(app, args).output)
    result = RUNNER.invoke(app, [*args, "--server", "triton"])
    assert result.exit_code == 0, result.output
    triton = json.loads(result.output)
    params, gpu = load_parameters(), default_catalog().gpu("H100-SXM")
    for got, harness in ((own, Harness.DEFAULT), (triton, Harness.TRITON)):
        eff, _ = params.for_gpu(gpu, Engine.TRTLLM, harness)
        assert got["api_server_rps"] == pytest.approx(1.0 / eff.frontend_s_per_request)
    assert "triton front end" in triton["metrics"]["provenance"]["parameter_source"]
    bad = RUNNER.invoke(app, [*args, "--server", "nginx"])
    assert bad.exit_code != 0 and "valid: engine, triton" in str(bad.exception)


def test_predict_states_the_scheduler_it_assumed() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM"]
    trtllm = RUNNER.invoke(app, [*args, "--qps", "2", "--engine", "trtllm", "--json"])
    assert trtllm.exit_code == 0, trtllm.output
    scheduler = json.loads(trtllm.output)["scheduler"]
    assert scheduler["overlap_scheduling"] is True and scheduler["reserve_full_context"] is True
    written = RUNNER.invoke(app, [*args, "--qps", "2", "--engine", "TensorRT-LLM", "--json"])
    assert json.loads(written.output)["scheduler"] == scheduler  # the same engine
    shown = RUNNER.invoke(app, [*args, "--qps", "2", "--engine", "sglang"])
    text = " ".join(shown.output.split())  # the console wraps long lines
    assert "scheduler: up to 2,048 sequences" in text
    assert "separate prefill batches" in text and "one step late" in text
    engine_args = "vllm serve m --async-scheduling"
    vllm = RUNNER.invoke(app, [*args, "--qps", "2", "--engine-args", engine_args])
    assert "chunked prefill; replies one step late" in " ".join(vllm.output.split())


def test_an_overloaded_scenario_says_so() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM"]
    over = RUNNER.invoke(app, [*args, "--qps", "500"])
    assert over.exit_code == 0, over.output
    assert "overloaded" in over.output and "queue without bound" in over.output
    fine = RUNNER.invoke(app, [*args, "--qps", "2"])
    assert fine.exit_code == 0 and "overloaded" not in fine.output


def test_a_configuration_that_does_not_fit_gets_what_would_fit_instead_of_latency() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-70B-Instruct", "--gpu", "L4",
            "--qps", "1"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "does not fit" in result.output and "ttft_ms" not in result.output
    assert "8x L4 (TP8, bf16)" in result.output and "4x L4 (TP4, fp8)" in result.output
    as_json = RUNNER.invoke(app, [*args, "--json"])
    assert as_json.exit_code == 1
    data = json.loads(as_json.output)
    assert data["fits"] is False and data["memory"]["fits"] is False
    assert all(a["memory"]["fits"] for a in data["alternatives"])
    assert {a["change"] for a in data["alternatives"]} >= {"tensor_parallel", "precision"}
    # The simulation has nothing to run either: the same answer, no traceback.
    simulated = RUNNER.invoke(app, [*args, "--mode", "simulate"])
    assert simulated.exit_code == 1 and "does not fit" in simulated.output


def test_an_fp8_kv_cache_is_offered_and_can_be_asked_for() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "L4",
            "--input-tokens", "60000", "--qps", "0.01"]
    short = RUNNER.invoke(app, args)
    assert short.exit_code == 1 and "1x L4 (TP1, bf16, fp8 KV)" in short.output
    fp8 = RUNNER.invoke(app, [*args, "--kv-cache-dtype", "fp8"])
    assert fp8.exit_code == 0, fp8.output
    assert "fp8 KV" in " ".join(fp8.output.split()) and "ttft_ms" in fp8.output
    bad = RUNNER.invoke(app, [*args, "--kv-cache-dtype", "fp9"])
    assert bad.exit_code != 0 and "valid: auto, fp8" in str(bad.exception)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--tp", "3"], "TP 3 does not divide"),
        (["--tp", "16"], "spans more than one node of 8 H100-SXM"),
        (["--pp", "64"], "PP 64 exceeds"),
        (["--input-tokens", "200000"], "context window of 131,072 tokens"),
        (["--precision", "fp9"], "valid: bf16, fp16, fp8, int8, int4, fp4"),
        (["--engine", "tgi"], "unknown engine 'tgi'"),
    ],
)
def test_a_layout_the_engines_cannot_serve_is_a_clear_error(
    extra: list[str], message: str
) -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM"]
    result = RUNNER.invoke(app, [*args, *extra])
    assert result.exit_code != 0 and message in str(result.exception)


def test_a_one_token_answer_has_no_gaps_to_show() -> None:
    result = RUNNER.invoke(
        app,
        ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
         "--concurrency", "1", "--output-tokens", "1", "--mode", "simulate"],
    )
    assert result.exit_code == 0, result.output
    assert "│ tpot_ms │    – │" in result.output


def test_a_simulated_fixed_length_closed_loop_is_shown_with_its_lock_step_caveat() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--concurrency", "8", "--input-tokens", "256", "--output-tokens", "64"]
    simulated = RUNNER.invoke(app, [*args, "--mode", "simulate"])
    assert simulated.exit_code == 0, simulated.output
    assert "lock step" in " ".join(simulated.output.split())
    analytic = RUNNER.invoke(app, args)
    assert analytic.exit_code == 0 and "lock step" not in " ".join(analytic.output.split())


#: A private 13B model's config.json: Llama layout, AWQ 4-bit weights.
CUSTOM_CONFIG = support_13b_config(
    quantization_config={"quant_method": "awq", "bits": 4, "group_size": 128}
)


def test_a_model_outside_the_catalog_is_predicted_from_its_config_json(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CUSTOM_CONFIG))
    args = ["predict", "--model-config", str(config), "--gpu", "L4", "--qps", "1", "--json"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["memory"]["fits"] is True and data["metrics"]["requests_per_s"] > 0.9
    # 13.0B parameters at AWQ's 4.16 bits (embeddings and LM head in 16 bits): about 7 GB.
    assert 5e9 < data["memory"]["weight_bytes_per_gpu"] < 8e9
    table = RUNNER.invoke(app, [*args[:-1], "--model", "my-bot"])
    assert "my-bot on 1x L4 (TP1, int4" in " ".join(table.output.split())
    bf16 = RUNNER.invoke(app, [*args, "--precision", "bf16"])
    assert json.loads(bf16.output)["memory"]["weight_bytes_per_gpu"] > 20e9
    # A model folder stands for its config.json; without _name_or_path the folder names it.
    folder = tmp_path / "support-bot-v2"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({k: v for k, v in CUSTOM_CONFIG.items() if k != "_name_or_path"}))
    by_folder = RUNNER.invoke(app, ["predict", "--model-config", str(folder), "--gpu", "L4",
                                    "--qps", "1"])
    assert by_folder.exit_code == 0, by_folder.output
    assert "custom/support-bot-v2 on 1x L4" in " ".join(by_folder.output.split())


def test_a_config_json_that_cannot_be_used_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    base = ["predict", "--model-config", str(config), "--gpu", "L4"]
    odd = {**CUSTOM_CONFIG, "quantization_config": {"quant_method": "hqq"}}
    config.write_text(json.dumps(odd))
    unknown = RUNNER.invoke(app, base)
    assert unknown.exit_code != 0 and "'hqq'" in str(unknown.exception)
    assert RUNNER.invoke(app, [*base, "--precision", "int4"]).exit_code == 0
    config.write_text(json.dumps({**CUSTOM_CONFIG, "model_type": "rwkv"}))
    assert "no parameter formula" in str(RUNNER.invoke(app, base).exception)
    config.write_text("{not json")
    assert "is not JSON" in str(RUNNER.invoke(app, base).exception)


def test_length_spreads_bursty_arrivals_and_bursts_can_be_stated() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "1200", "--output-tokens", "200", "--json"]
    fixed = json.loads(RUNNER.invoke(app, [*args, "--qps", "8"]).output)["metrics"]
    spread = json.loads(RUNNER.invoke(app, [*args, "--qps", "8", "--input-stdev", "900",
                                            "--output-stdev", "150"]).output)["metrics"]
    bursty = json.loads(RUNNER.invoke(app, [*args, "--qps", "8", "--input-stdev", "900",
                                            "--output-stdev", "150", "--arrival-cv", "2"]
                                      ).output)["metrics"]
    # Varied lengths widen the E2E spread; clustered arrivals queue longer.
    assert spread["e2e_ms"]["p99"] / spread["e2e_ms"]["p50"] > (
        fixed["e2e_ms"]["p99"] / fixed["e2e_ms"]["p50"])
    assert bursty["ttft_ms"]["p99"] > spread["ttft_ms"]["p99"]
    burst = RUNNER.invoke(app, [*args[:-1], "--burst", "500"])
    assert burst.exit_code == 0 and "a burst of 500 prompts" in " ".join(burst.output.split())
    both = RUNNER.invoke(app, [*args, "--burst", "5", "--qps", "3"])
    assert both.exit_code != 0 and "give one load, not qps and burst" in str(both.exception)
    lone_cv = RUNNER.invoke(app, [*args, "--arrival-cv", "3"])
    assert lone_cv.exit_code != 0 and "give it with qps" in str(lone_cv.exception)


def test_a_run_of_stated_length_is_predicted_as_the_benchmark_runs_it() -> None:
    """``--num-prompts``: 50 prompts at 512 clients are a burst of 50 (not 512 in flight); a
    short finite open loop reports its requests over the whole run, below the offered rate."""
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "2048", "--output-tokens", "512", "--json"]

    def metrics(*extra: str) -> dict[str, Any]:
        result = RUNNER.invoke(app, [*args, *extra])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output)["metrics"])

    closed = metrics("--concurrency", "512", "--num-prompts", "50")
    assert closed == metrics("--burst", "50") != metrics("--concurrency", "512")
    short = metrics("--qps", "2", "--num-prompts", "20")["requests_per_s"]
    assert short < 0.9 * metrics("--qps", "2")["requests_per_s"]
    # The simulation runs those 20 requests, not an open-ended run scaled to them.
    simulated = metrics("--qps", "2", "--num-prompts", "20", "--mode", "simulate")
    assert simulated["requests_per_s"] == pytest.approx(short, rel=0.25)
    table = RUNNER.invoke(app, [*args[:-1], "--concurrency", "8", "--num-prompts", "80"])
    assert "a run of 80 prompts" in " ".join(table.output.split())
    both = RUNNER.invoke(app, [*args, "--burst", "5", "--num-prompts", "5"])
    assert both.exit_code != 0 and "give burst, not num_prompts" in str(both.exception)


def test_an_overloaded_run_says_whether_its_queue_is_in_the_figures() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "4000", "--output-tokens", "200", "--qps", "40"]
    open_ended = " ".join(RUNNER.invoke(app, args).output.split())
    assert "overloaded:" in open_ended and "the queue left out" in open_ended
    # Said once: the banner, not again as a note.
    assert "note: the offered load is" not in open_ended
    stated = " ".join(RUNNER.invoke(app, [*args, "--num-prompts", "300"]).output.split())
    assert "overloaded:" in stated and "its 300 prompts, the queue included" in stated


def test_an_overloaded_simulation_says_its_figures_include_the_queue() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "L4",
            "--input-tokens", "1000", "--output-tokens", "300", "--qps", "2", "--mode", "simulate"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "overloaded:" in text and "include the queue of the simulated run" in text
    assert "the queue left out" not in text
    # The note keeps the simulated run's length.
    assert "note: the offered load is" in text and "a run of 2,000 requests" in text


def test_observed_lengths_are_sampled_as_they_are(tmp_path: Path) -> None:
    lengths = tmp_path / "prompts.txt"
    lengths.write_text("\n".join(["200"] * 90 + ["6000"] * 10))  # a long tail: p99 is 6,000
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--qps", "4", "--output-tokens", "200", "--json"]
    observed = json.loads(RUNNER.invoke(app, [*args, "--input-lengths", str(lengths)]).output)
    mean = json.loads(RUNNER.invoke(app, [*args, "--input-tokens", "780"]).output)
    # Same mean prompt (780 tokens); the observed tail makes the slowest first tokens slower.
    assert observed["metrics"]["ttft_ms"]["p99"] > 2 * mean["metrics"]["ttft_ms"]["p99"]
    as_json = tmp_path / "outputs.json"
    as_json.write_text("[100, 300, 200]")
    both = RUNNER.invoke(app, [*args, "--input-lengths", str(lengths),
                               "--output-lengths", str(as_json)])
    assert both.exit_code == 0, both.output
    lengths.write_text("12, x, 5")
    bad = RUNNER.invoke(app, [*args, "--input-lengths", str(lengths)])
    assert bad.exit_code != 0 and "'x' is not a token length" in str(bad.exception)
    lengths.write_text("")
    empty = RUNNER.invoke(app, [*args, "--input-lengths", str(lengths)])
    assert "holds no token lengths" in str(empty.exception)


def test_slo_targets_are_checked_and_the_load_curve_drawn(tmp_path: Path) -> None:
    chart = tmp_path / "load.png"
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "L4", "--qps",
            "1", "--input-tokens", "1000", "--slo", "ttft_ms.p90=800,itl_ms.p90=60"]
    result = RUNNER.invoke(app, [*args, "--load-curve", str(chart)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "SLO ttft_ms.p90 ≤ 800 ms: predicted" in text and "SLO itl_ms.p90 ≤ 60 ms" in text
    assert f"load curve written to {chart}: saturates at" in text
    assert chart.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    assert set(data["slo_checks"]) == {"ttft_ms.p90", "itl_ms.p90"}
    assert data["slo_checks"]["itl_ms.p90"]["met"] is False  # one L4 decodes 8B at ~70 ms+
    no_rate = RUNNER.invoke(app, [*args[:5], "--load-curve", str(chart)])
    assert no_rate.exit_code != 0 and "give --qps" in no_rate.output
    bad = RUNNER.invoke(app, [*args[:7], "--slo", "ttft_ms.p91=3"])
    assert bad.exit_code != 0 and "unknown SLO target" in str(bad.exception)


def test_stated_engine_arguments_are_used_and_checked() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--qps", "2", "--json"]
    base = json.loads(RUNNER.invoke(app, args).output)
    stated = RUNNER.invoke(app, [*args, "--engine-args",
                                 "vllm serve m --max-num-seqs 8 --speculative-config '{}'"])
    assert stated.exit_code == 0, stated.output
    data = json.loads(stated.output)
    assert data["saturation_rps"] < base["saturation_rps"]  # eight running sequences at most
    assert data["metrics"]["provenance"]["unmodelled_settings"] == ["--speculative-*"]
    bad = RUNNER.invoke(app, [*args, "--engine-args", "vllm serve m --max-num-seqs many"])
    assert bad.exit_code != 0 and "--max-num-seqs 'many'" in str(bad.exception)


def test_vllm_data_parallel_ranks_sharing_their_experts_are_one_group() -> None:
    """`-dp 8 --enable-expert-parallel` at TP1: eight GPUs, attention data-parallel, the
    experts spread over all eight (it fits where eight single-GPU copies could not)."""
    args = ["predict", "--model", "deepseek-ai/DeepSeek-V3.2", "--gpu", "H200", "--tp", "1",
            "--precision", "fp8", "--concurrency", "64", "--engine-args",
            "vllm serve deepseek-ai/DeepSeek-V3.2 -dp 8 --enable-expert-parallel"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "8x H200 (TP1×DP8 EP, fp8" in " ".join(result.output.split())


def test_predict_needs_input_and_output_together(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["predict", "--input", str(tmp_path / "x.jsonl")])
    assert result.exit_code == 2


def test_validate_names_the_splits_it_knows() -> None:
    result = RUNNER.invoke(app, ["perf", "validate", "--split", "model"])
    assert result.exit_code != 0
    message = result.output + str(result.exception or "")
    assert "unknown split 'model'" in message and "config" in message


def test_a_prediction_is_shown_with_its_held_out_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    band = AccuracyBand(
        family="ttft", statistic="p99", values=40, median_ape=0.37, within_25=0.35,
        ratio_low=0.5, ratio_high=1.25,
    )
    tables = tuple(
        AccuracyTable(basis=b, split=f"{b} split", date=dt.date(2026, 11, 30), measurements=40,
                      bands=(band,))
        for b in ("fitted", "fallback")
    )
    bands = tmp_path / "bands.json"
    bands.write_text(PerfAccuracy(source="test", tables=tables).model_dump_json())
    monkeypatch.setattr(perf_accuracy, "ACCURACY_FILE", bands)
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "L4", "--qps", "1"]
    shown = RUNNER.invoke(app, args)
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())
    assert "Held-out error of analytic predictions (fallback parameters: fallback split" in words
    assert "±37 %" in words and "0.8–2×" in words
    data = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    assert data["metrics"]["provenance"]["accuracy"]["basis"] == "fallback"
    monkeypatch.setattr(perf_accuracy, "ACCURACY_FILE", tmp_path / "absent.json")
    bare = RUNNER.invoke(app, args)
    assert bare.exit_code == 0 and "Held-out error" not in bare.output


def test_perf_accuracy_shows_the_shipped_bands(tmp_path: Path) -> None:
    shown = RUNNER.invoke(app, ["perf", "accuracy"])
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())
    assert "fitted parameters" in words and "fallback parameters" in words
    data = json.loads(RUNNER.invoke(app, ["perf", "accuracy", "--json"]).output)
    assert {t["basis"] for t in data["tables"]} == {"fitted", "fallback"}
    missing = RUNNER.invoke(app, ["perf", "accuracy", "--file", str(tmp_path / "none.json")])
    assert missing.exit_code != 0 and "accuracy file not found" in str(missing.exception)


def test_fit_reports_what_each_measurement_set_up_shifts(tmp_path: Path) -> None:
    out = tmp_path / "params.json"
    args = ["perf", "fit", "--output", str(out), "--iterations", "1"]
    doc = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    assert doc["scenarios"] > 1000 and out.exists()
    # AIConfigurator's rows pay their own front-end time, AMD's MLPerf harness (its own vLLM
    # build) its own time per layer of an eager or prefill step, vLLM 0.11.0's chat front end
    # its own time per request; predictions assume the default set-up, the reference of the
    # factors.
    factors = doc["set_up_factors"]
    assert {key: set(shifts) for key, shifts in factors.items()} == {
        "aiconfigurator/sglang": {"request_overhead_s"},
        "aiconfigurator/trtllm": {"request_overhead_s"},
        "aiconfigurator/vllm": {"request_overhead_s"},
        "mlperf-amd/vllm": {"prefill_layer_overhead_s"},
        "vllm-0.11.0-chat/vllm": {"frontend_s_per_request"},
    }
    # MLPerf's TTFTs are validated but not fitted, and the output says why.
    assert "near their systems' capacity" in doc["groups_left_out"]["mlperf-inference-v5.1 ttft"]
    shown = RUNNER.invoke(app, args)
    assert shown.exit_code == 0
    words = " ".join(shown.output.split())
    assert "measurement set-ups against the default" in words
    assert "mlperf-inference-v5.1 ttft values left out of the fit (still validated)" in words


def test_a_shared_system_prompt_is_served_from_the_prefix_cache() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "3000", "--output-tokens", "200", "--qps", "4"]
    plain = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    result = RUNNER.invoke(app, [*args, "--shared-prefix-tokens", "2500", "--json"])
    assert result.exit_code == 0, result.output
    shared = json.loads(result.output)
    assert shared["metrics"]["ttft_ms"]["p50"] < plain["metrics"]["ttft_ms"]["p50"]
    assert shared["saturation_rps"] > plain["saturation_rps"]
    table = " ".join(RUNNER.invoke(app, [*args, "--shared-prefix-tokens", "2500"]).output.split())
    assert "3000 (2,500 shared)→200 tokens" in table
    assert "served from the prefix cache: 2,496 tokens per request" in table
    bad = RUNNER.invoke(app, [*args, "--shared-prefix-tokens", "3000"])
    assert bad.exit_code != 0 and "must be shorter than the prompts" in str(bad.exception)


def test_many_distinct_system_prompts_are_found_less_often() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "3000", "--output-tokens", "200", "--qps", "4",
            "--shared-prefix-tokens", "2500"]
    one = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    result = RUNNER.invoke(app, [*args, "--prefix-count", "5000", "--json"])
    assert result.exit_code == 0, result.output
    many = json.loads(result.output)
    assert many["metrics"]["ttft_ms"]["p50"] > one["metrics"]["ttft_ms"]["p50"]
    table = " ".join(RUNNER.invoke(app, [*args, "--prefix-count", "5000"]).output.split())
    assert "3000 (2,500 shared, one of 5,000 prefixes)→200 tokens" in table
    assert re.search(r"5,000 distinct prefixes of 2,496 tokens .*by \d+% of its requests", table)
    bad = RUNNER.invoke(app, [*args[:-2], "--prefix-count", "5"])
    assert bad.exit_code != 0 and "needs shared_prefix_tokens" in str(bad.exception)
    # A few tenants making most of the traffic keep their prompts cached.
    skewed = RUNNER.invoke(app, [*args, "--prefix-count", "5000", "--prefix-popularity", "1",
                                 "--json"])
    assert skewed.exit_code == 0, skewed.output
    popular = json.loads(skewed.output)
    assert popular["saturation_rps"] > many["saturation_rps"]
    words = " ".join(RUNNER.invoke(app, [*args, "--prefix-count", "5000",
                                         "--prefix-popularity", "1"]).output.split())
    assert "Zipf's law (exponent 1: the most requested takes 11% of them)" in words
    assert "(2,500 shared, one of 5,000 prefixes, Zipf 1)" in words


def test_the_router_decides_whether_a_turn_finds_its_history() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "3000", "--output-tokens", "200", "--qps", "8", "--replicas", "4",
            "--shared-prefix-tokens", "500", "--history-tokens", "1500"]
    spread = RUNNER.invoke(app, [*args, "--json"])
    aware = RUNNER.invoke(app, [*args, "--routing", "prefix-aware", "--json"])
    assert spread.exit_code == 0 and aware.exit_code == 0, spread.output + aware.output
    at_random, by_prefix = json.loads(spread.output), json.loads(aware.output)
    assert at_random["metrics"]["ttft_ms"]["p50"] > by_prefix["metrics"]["ttft_ms"]["p50"]
    table = " ".join(RUNNER.invoke(app, args).output.split())
    assert "routed at random over 4 replicas" in table
    # Over 8-turn conversations a replica that served a recent turn holds most of it.
    turns = json.loads(RUNNER.invoke(app, [*args, "--conversation-turns", "8", "--json"]).output)
    assert by_prefix["metrics"]["ttft_ms"]["p50"] < turns["metrics"]["ttft_ms"]["p50"]
    assert turns["metrics"]["ttft_ms"]["p50"] < at_random["metrics"]["ttft_ms"]["p50"]
    bad = RUNNER.invoke(app, [*args, "--routing", "sticky"])
    assert bad.exit_code != 0 and "unknown routing 'sticky'" in str(bad.exception)


def test_a_conversations_earlier_turns_are_served_from_the_prefix_cache() -> None:
    args = ["predict", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "H100-SXM",
            "--input-tokens", "3000", "--output-tokens", "200", "--qps", "4",
            "--shared-prefix-tokens", "500"]
    single = json.loads(RUNNER.invoke(app, [*args, "--json"]).output)
    result = RUNNER.invoke(app, [*args, "--history-tokens", "1500", "--json"])
    assert result.exit_code == 0, result.output
    chat = json.loads(result.output)
    assert chat["metrics"]["ttft_ms"]["p50"] < single["metrics"]["ttft_ms"]["p50"]
    table = " ".join(RUNNER.invoke(app, [*args, "--history-tokens", "1500"]).output.split())
    assert "3000 (500 shared, 1,500 history)→200 tokens" in table
    assert "conversation history: 1,504 tokens of each request's own context" in table
    bad = RUNNER.invoke(app, [*args, "--history-tokens", "2500"])
    assert bad.exit_code != 0 and "history_tokens" in str(bad.exception)
    paused = RUNNER.invoke(app, [*args, "--history-tokens", "1500", "--think-time-s", "1e6"])
    assert paused.exit_code == 0, paused.output
    words = " ".join(paused.output.split())
    assert re.search(r"found in the prefix cache by \d+% of requests", words)
