"""Calibration cases → benchmark records: the shared file reproduces the seed; clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.kb import samples

from predeploy.core.benchmarks import case_from_record
from predeploy.core.types import BenchmarkClient, Harness
from predeploy.kb import seed_files
from predeploy.kb.importers.benchmark_file import read_benchmark_file
from predeploy.kb.importers.canonical import NameResolver
from predeploy.kb.importers.problems import ImportFileError

CASE: dict[str, Any] = {
    "id": "lab/llama-8b/h100x1/c8",
    "source": "our lab run 2026-01-05 (vllm bench serve)",
    "source_key": "lab",
    "source_url": None,
    "scenario": {
        "model": "meta-llama/Llama-3.1-8B-Instruct", "precision": "bf16", "gpu": "H100-SXM",
        "gpu_count": 1, "tp": 1, "engine": "vllm", "engine_version": "0.10.1",
        "input_tokens": 1000, "output_tokens": 200, "dataset": "fixed",
        "load": {"kind": "concurrency", "value": 8}, "gpu_label": "H100 80GB HBM3",
    },
    "expected": {"ttft_ms_p50": 45.0, "output_tokens_per_s": 1050.0},
    "conversions": {"ttft_ms_p50": "0.045 s x 1000"},
    "notes": ["warm cache"],
}
NAMES = NameResolver([samples.llama_8b()], [samples.h100()])


def _write(tmp_path: Path, lines: list[dict[str, Any]]) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def test_a_case_becomes_a_measured_record(tmp_path: Path) -> None:
    parsed = read_benchmark_file(_write(tmp_path, [CASE]), NAMES)
    assert parsed.cases == 1
    record = parsed.records[0]
    assert (record.id, record.gpu, record.tp) == (CASE["id"], "H100-SXM", 1)
    assert record.model == CASE["scenario"]["model"]
    assert record.metrics == CASE["expected"]
    assert record.provenance.kind.value == "measured"
    assert record.provenance.source == CASE["source"]
    assert record.provenance.notes == (
        "warm cache; gpu_label: H100 80GB HBM3; ttft_ms_p50 converted: 0.045 s x 1000"
    )


def test_cases_and_records_mix_in_one_file(tmp_path: Path) -> None:
    record = samples.benchmark("rec/1").model_dump(mode="json")
    parsed = read_benchmark_file(_write(tmp_path, [CASE, record]), NAMES)
    assert [r.id for r in parsed.records] == [CASE["id"], "rec/1"] and parsed.cases == 1


def test_the_shared_cases_reproduce_the_shipped_seed(shared_dir: Path) -> None:
    catalog = seed_files.seed_catalog()
    names = NameResolver(catalog.models(), catalog.gpus(), strict=False)
    parsed = read_benchmark_file(shared_dir / "calibration" / "perf_cases.jsonl", names)
    assert parsed.cases == len(parsed.records) == 1212
    assert sum(len(r.metrics) for r in parsed.records) == 4897
    seed = {r.id: r for r in seed_files.read_benchmarks()}
    for record in parsed.records:
        shipped = seed[record.id]
        canonical = shipped.model_copy(
            update={"model": names.model(shipped.model), "gpu": names.gpu(shipped.gpu)}
        )
        assert record == canonical, record.id


def _case(**changes: Any) -> dict[str, Any]:
    case = json.loads(json.dumps(CASE))
    for key, value in changes.items():
        target = case["scenario"] if key.startswith("scenario_") else case
        name = key.removeprefix("scenario_")
        if value is None:
            target.pop(name)
        else:
            target[name] = value
    return case


MALFORMED = [
    pytest.param(_case(expected={"ttft_ms_p50": "45 ms"}),
                 "cases.jsonl: line 2: expected.ttft_ms_p50: expected a number, got '45 ms'",
                 id="bad-unit-value"),
    pytest.param(_case(expected={"ttft_s_p50": 0.045}),
                 "cases.jsonl: line 2: metrics.ttft_s_p50: unknown metric", id="bad-unit-name"),
    pytest.param(_case(expected=None),
                 "cases.jsonl: line 2: expected: a calibration case needs its measured metrics",
                 id="no-expected"),
    pytest.param(_case(source=None), "cases.jsonl: line 2: source: a calibration case must name",
                 id="no-source"),
    pytest.param(_case(scenario_gpu_count=0),
                 "cases.jsonl: line 2: case 'lab/llama-8b/h100x1/c8': scenario.gpu_count: Input "
                 "should be greater than or equal to 1", id="bad-field"),
    pytest.param(_case(scenario_load=None),
                 "cases.jsonl: line 2: case 'lab/llama-8b/h100x1/c8': scenario.load: Field "
                 "required", id="missing-field"),
    pytest.param(_case(scenario_gpus=2),
                 "cases.jsonl: line 2: case 'lab/llama-8b/h100x1/c8': scenario.gpus: Extra "
                 "inputs are not permitted", id="wrong-field"),
]


@pytest.mark.parametrize(("case", "message"), MALFORMED)
def test_malformed_cases_name_file_line_and_field(
    tmp_path: Path, case: dict[str, Any], message: str
) -> None:
    good = {**json.loads(json.dumps(CASE)), "id": "first"}
    with pytest.raises(ImportFileError) as caught:
        read_benchmark_file(_write(tmp_path, [good, case]), NAMES)
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_stated_set_up_must_be_its_sources(tmp_path: Path) -> None:
    # A record knows its measurement set-up by its source: TensorRT-LLM 0.14's Triton table
    # keeps it through the knowledge base; a set-up no source map gives it is an error, not
    # silently dropped.
    triton = {
        **CASE,
        "source_key": "trtllm-online-serving-v0.14",
        "scenario": {**CASE["scenario"], "engine": "trtllm", "harness": "triton"},
    }
    record = read_benchmark_file(_write(tmp_path, [triton]), NAMES).records[0]
    assert case_from_record(record).scenario.harness == Harness.TRITON
    lab = {**CASE, "scenario": {**CASE["scenario"], "harness": "triton"}}
    with pytest.raises(ImportFileError) as caught:
        read_benchmark_file(_write(tmp_path, [lab]), NAMES)
    assert "scenario.harness" in str(caught.value)
    assert "source 'lab' is measured with 'default', not 'triton'" in str(caught.value)


def test_the_engine_command_line_becomes_a_field(tmp_path: Path) -> None:
    args = "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-num-batched-tokens 4096"
    case = {**CASE, "scenario": {**CASE["scenario"], "engine_args": args}}
    record = read_benchmark_file(_write(tmp_path, [case]), NAMES).records[0]
    assert record.engine_args == args
    assert "engine_args" not in (record.provenance.notes or "")


def test_the_benchmark_client_reaches_the_record_and_back(tmp_path: Path) -> None:
    scenario = {
        **CASE["scenario"], "client": "guidellm", "ignore_eos": True, "checkpoint": "o/m-FP8"
    }
    record = read_benchmark_file(_write(tmp_path, [{**CASE, "scenario": scenario}]), NAMES)
    stored = record.records[0]
    assert (stored.client, stored.ignore_eos) == (BenchmarkClient.GUIDELLM, True)
    assert stored.checkpoint == "o/m-FP8"
    case = case_from_record(stored)
    assert (case.scenario.client, case.scenario.ignore_eos) == (BenchmarkClient.GUIDELLM, True)
    assert case.scenario.checkpoint == "o/m-FP8"
    plain = read_benchmark_file(_write(tmp_path, [CASE]), NAMES).records[0]
    assert (plain.client, plain.ignore_eos, plain.checkpoint) == (None, None, None)


def test_an_amd_mlperf_case_gets_its_harness_settings_with_their_source(tmp_path: Path) -> None:
    scenario = {
        **CASE["scenario"], "gpu": "MI325X", "tp": None, "input_tokens": None,
        "dataset": "mlperf-llama2-70b", "load": {"kind": "request_rate", "value": 109.0},
        "mlperf_benchmark": "llama2-70b-99.9", "mlperf_scenario": "Server",
    }
    mi325x = samples.h100().model_copy(update={"name": "MI325X"})
    names = NameResolver([samples.llama_8b()], [mi325x])
    case = {**CASE, "scenario": scenario}
    record = read_benchmark_file(_write(tmp_path, [case]), names).records[0]
    assert record.engine_args is not None and "--num-scheduler-steps 9" in record.engine_args
    assert "engine_args: AMD's MLPerf harness configuration https://" in (
        record.provenance.notes or ""
    )
    stated = {**scenario, "engine_args": "vllm serve m --max-num-seqs 64"}
    own = read_benchmark_file(_write(tmp_path, [{**CASE, "scenario": stated}]), names).records[0]
    assert own.engine_args == "vllm serve m --max-num-seqs 64"


def test_a_trtllm_0_10_throughput_case_gets_the_published_method(tmp_path: Path) -> None:
    scenario = {
        **CASE["scenario"], "engine": "trtllm", "engine_version": "0.10.0",
        "load": {"kind": "max_throughput", "num_prompts": 2000},
    }
    record = read_benchmark_file(_write(tmp_path, [{**CASE, "scenario": scenario}]), NAMES)
    args = record.records[0].engine_args
    assert args is not None and "--scheduler_policy max_utilization" in args
    assert "performance overview (revision 'generated using version 0.10.0')" in (
        record.records[0].provenance.notes or ""
    )


def test_an_nvidia_mlperf_case_gets_its_systems_layout(tmp_path: Path) -> None:
    scenario = {
        **CASE["scenario"], "gpu": "B200", "engine": "trtllm", "tp": None, "pp": 1,
        "engine_version": "TensorRT 10.11, CUDA 12.9 (MLPerf Inference v5.1 closed)",
        "input_tokens": None, "dataset": "mlperf-llama3.1-405b", "load": {"kind": "max_throughput"},
        "mlperf_benchmark": "llama3.1-405b", "mlperf_scenario": "Offline",
    }
    b200 = samples.h100().model_copy(update={"name": "B200"})
    names = NameResolver([samples.llama_8b()], [b200])
    record = read_benchmark_file(_write(tmp_path, [{**CASE, "scenario": scenario}]), names)
    (only,) = record.records
    assert (only.tp, only.pp, only.engine_args) == (2, 2, None)
    notes = only.provenance.notes or ""
    assert "tp/pp: 2/2 as NVIDIA's MLPerf Inference v5.1 configuration https://" in notes
    assert notes.split("tp/pp: 2/2 as ", 1)[1].split(";")[0].endswith(
        "/Offline/llama3_1-405b.py states"
    )
