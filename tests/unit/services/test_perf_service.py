"""The predict contract on synthetic cases (no ../shared needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
from tests.perf_fixtures import h100, llama_8b

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.efficiency import EfficiencyParams, ParameterSet
from predeploy.core.errors import InputError
from predeploy.core.types import Routing
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.perf import (
    fit_parameters,
    parse_routing,
    predict_cases,
    predict_file,
    read_benchmark_records,
    scenario_from_request,
)

MODEL_CONFIG = {
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "total_params_b": 8.03,
    "max_position_embeddings": 131072,
}


def case(case_id: str, load: dict[str, object], **scenario: object) -> dict[str, object]:
    sc: dict[str, object] = {
        "model": "example/unknown-8b",
        "model_config": MODEL_CONFIG,
        "precision": "bf16",
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "engine": "vllm",
        "input_tokens": 1000,
        "output_tokens": 200,
        "dataset": "fixed",
        "load": load,
    }
    sc.update(scenario)
    return {"id": case_id, "scenario": sc, "expected": {"output_tokens_per_s": 1.0}}


CATALOG = InMemoryCatalog(gpus=[h100()])


def test_one_line_per_case_in_order_with_errors() -> None:
    objects = [
        case("a", {"kind": "request_rate", "value": 2.0, "arrival": "poisson"}),
        case("b", {"kind": "max_throughput"}),
        case("c", {"kind": "burst", "num_prompts": 300}),
        case("d", {"kind": "concurrency", "value": 8}, gpu="NoSuchGPU"),
        case("e", {"kind": "static_batch", "value": 4}),
        None,
        case("g", {"kind": "max_throughput"}, input_tokens=None, dataset="other"),
        case("h", {"kind": "concurrency", "value": 4}, model_config=None),
    ]
    out = predict_cases(objects, CATALOG, ParameterSet())
    assert [r["id"] for r in out] == ["a", "b", "c", "d", "e", None, "g", "h"]
    assert out[0]["fits"] is True and "ttft_ms_p99" in out[0]["metrics"]
    assert set(out[1]["metrics"]) == {"output_tokens_per_s", "total_tokens_per_s", "requests_per_s"}
    for bad, word in ((3, "GPU"), (5, "JSON"), (6, "input_tokens"), (7, "model_config")):
        assert out[bad]["metrics"] == {} and out[bad]["fits"] is None
        assert word in out[bad]["error"]
    assert "decode_tokens_per_s_single_stream" not in out[4]["metrics"]


def test_catalog_model_without_config(tmp_path: Path) -> None:
    from predeploy.core.types import FactKind, ModelCard, Provenance, UseCase

    card = ModelCard(
        id="meta-llama/Llama-3.1-8B-Instruct",
        name="Llama 3.1 8B",
        family="llama",
        license="llama3.1",
        tasks=(UseCase.CHATBOT,),
        architecture=llama_8b(),
        provenance=Provenance(source="test", kind=FactKind.PUBLISHED_SPEC),
    )
    catalog = InMemoryCatalog(models=[card], gpus=[h100()])
    obj = case("x", {"kind": "concurrency", "value": 1}, model=card.id, model_config=None)
    (row,) = predict_cases([obj], catalog, ParameterSet())
    assert row["fits"] is True
    assert row["metrics"]["decode_tokens_per_s_single_stream"] > 0


def test_predict_file_is_deterministic_and_ignores_expected(tmp_path: Path) -> None:
    cases = [
        case("a", {"kind": "request_rate", "value": 3.0}),
        case("b", {"kind": "burst", "num_prompts": 50}),
    ]
    src = tmp_path / "cases.jsonl"
    src.write_text("".join(json.dumps(c) + "\n" for c in cases))
    stripped = tmp_path / "stripped.jsonl"
    stripped.write_text(
        "".join(json.dumps({k: v for k, v in c.items() if k != "expected"}) + "\n" for c in cases)
    )
    outs = []
    for i, path in enumerate((src, src, stripped)):
        target = tmp_path / f"out{i}.jsonl"
        assert predict_file(path, target, catalog=CATALOG, params=ParameterSet()) == (2, 0, 0)
        outs.append(target.read_text())
    assert outs[0] == outs[1] == outs[2]


def test_fields_the_case_format_lacks_are_ignored_and_named(tmp_path: Path) -> None:
    cases = [
        case("a", {"kind": "request_rate", "value": 3.0, "cv": 2.0}),
        case("b", {"kind": "burst", "num_prompts": 50}),
    ]
    cases[0]["scenario"]["duration_s"] = 120
    src, target = tmp_path / "cases.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(c) + "\n" for c in cases))
    assert predict_file(src, target, catalog=CATALOG, params=ParameterSet()) == (2, 0, 1)
    first, second = (json.loads(line) for line in target.read_text().splitlines())
    assert first["metrics"] and first["warnings"] == [
        "scenario.duration_s ignored: not a field of the case format",
        "scenario.load.cv ignored: not a field of the case format",
    ]
    assert "warnings" not in second


def test_missing_input_file_is_a_clear_error(tmp_path: Path) -> None:
    from predeploy.core.errors import InputError

    with pytest.raises(InputError, match="cannot read"):
        predict_file(
            tmp_path / "nope.jsonl", tmp_path / "out.jsonl", catalog=CATALOG, params=ParameterSet()
        )


def test_contract_on_shared_cases(shared_dir: Path, tmp_path: Path) -> None:
    """A sample of the real calibration cases through the shipped catalog and parameters."""
    lines = (shared_dir / "calibration" / "perf_cases.jsonl").read_text().splitlines()
    sample = lines[::40]
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(sample) + "\n")
    out = tmp_path / "preds.jsonl"
    cases, _errors, warned = predict_file(src, out)
    assert warned == 0  # every field of the shared cases is one the format defines
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert cases == len(sample) == len(rows)
    assert [r["id"] for r in rows] == [json.loads(line)["id"] for line in sample]
    predicted = [r for r in rows if r["metrics"]]
    assert len(predicted) >= 0.9 * len(rows)
    for row, line in zip(rows, sample, strict=True):
        case = json.loads(line)
        if row["metrics"]:
            assert row["fits"] is not None
            # Everything the case measured is among what we predict for its load.
            assert set(case["expected"]) <= set(row["metrics"]), case["id"]
        else:
            assert row["fits"] is None and row["error"]


def test_fit_gives_aiconfigurators_set_up_its_own_front_end(tmp_path: Path) -> None:
    # A few shipped records of each kind: AIConfigurator's rows are measured through their
    # own set-up, whose front-end time the fit keeps apart from the default one (as it does
    # vLLM 0.11.0's chat front end, GPUStack's 0.11.0 pages among the public records).
    records = [r for r in read_benchmark_records() if r.gpu == "H100-SXM" and r.engine == "vllm"]
    aic = [r for r in records if r.source_key == "aiconfigurator-silicon"][:40]
    public = [r for r in records if r.source_key != "aiconfigurator-silicon"][:40]
    assert aic and public
    out = tmp_path / "params.json"
    params, report, _ = fit_parameters(records=aic + public, output=out, max_iterations=2)
    assert report.scenarios == len(aic) + len(public)
    harnesses = [e.key for e in params.effects if e.level == "harness"]
    assert "aiconfigurator/vllm" in harnesses
    assert set(harnesses) <= {"aiconfigurator/vllm", "vllm-0.11.0-chat/vllm"}
    assert ParameterSet.model_validate_json(out.read_text()) == params


def test_a_case_s_source_names_its_client_s_endpoint() -> None:
    # GPUStack's pages post chat completions: on vLLM 0.11.0 its API server parses the chat
    # template for every request before any reaches the engine (core.vllm_chat), so a burst's
    # first tokens wait for the whole burst. The same scenario from another source, or with a
    # source key that is not text, is read with the default set-up.
    burst = case("b", {"kind": "burst", "num_prompts": 500}, engine_version="v0.11.0",
                 input_tokens=128, output_tokens=4, dataset="random")
    lab = {**burst, "source_key": "gpustack-performance-lab"}
    odd = {**burst, "source_key": 7}
    params = ParameterSet(base=EfficiencyParams(frontend_s_per_request=0.02))
    rows = predict_cases([lab, burst, odd], CATALOG, params)
    gated, plain, ignored = (row["metrics"]["ttft_ms_p50"] for row in rows)
    assert gated > 1.6 * plain and ignored == plain


def test_a_command_line_s_checkpoint_prices_its_fp8_weights() -> None:
    catalog = seed_catalog()

    def block(engine_args: str | None) -> int | None:
        scenario = scenario_from_request(
            catalog, model="Qwen/Qwen3-32B", gpu="H100-SXM", precision="fp8",
            engine_args=engine_args,
        )
        return scenario.model.fp8_weight_block

    # Qwen's own FP8 release scales its weights per 128 x 128 block; vLLM's on-the-fly
    # quantization of the BF16 checkpoint per tensor.
    assert block(None) == block("vllm serve Qwen/Qwen3-32B-FP8") == 128
    assert block("vllm serve Qwen/Qwen3-32B --quantization fp8") is None


def test_a_command_line_s_checkpoint_decides_tensorrt_llm_s_default_kv_cache() -> None:
    catalog = seed_catalog()

    def kv(engine_args: str | None) -> str:
        scenario = scenario_from_request(
            catalog, model="Qwen/Qwen3-32B", gpu="H100-SXM", precision="fp8",
            engine="trtllm", engine_args=engine_args,
        )
        return scenario.kv_cache_dtype.value

    # NVIDIA's ModelOpt FP8 checkpoints (and the unnamed ones of its own tables) come with an
    # FP8 KV cache; Qwen's block-FP8 release keeps a 16-bit one.
    assert kv(None) == kv("trtllm-serve nvidia/Qwen3-32B-FP8") == "fp8"
    assert kv("trtllm-serve Qwen/Qwen3-32B-FP8") == "auto"


@pytest.mark.parametrize(
    ("typed", "routing"),
    [("random", Routing.RANDOM), ("prefix-aware", Routing.PREFIX_AWARE),
     ("Prefix_Aware", Routing.PREFIX_AWARE)],
)
def test_a_router_is_named_as_typed(typed: str, routing: Routing) -> None:
    assert parse_routing(typed) == routing


def test_an_unknown_router_names_the_valid_ones() -> None:
    with pytest.raises(InputError, match="valid: random, prefix_aware"):
        parse_routing("round-robin")
