"""The transcribed never-fitted measurements of bench/data are well-formed and predictable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.script_loading import load_script

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.calibration_problem import MISLABELLED
from predeploy.core.perf import predict
from predeploy.core.types import Harness
from predeploy.services.perf import (
    cases_from_lines,
    default_catalog,
    load_parameters,
    predict_cases,
    read_benchmark_records,
)

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"
TRTLLM_CASES = DATA / "unseen_trtllm_cases.jsonl"
SERVING_CASES = DATA / "unseen_serving_cases.jsonl"
GPUSTACK_CASES = DATA / "unseen_gpustack_cases.jsonl"
GUIDELLM_CASES = DATA / "unseen_gpustack_guidellm_cases.jsonl"
NIM_CASES = DATA / "unseen_nim_cases.jsonl"
VULTR_CASES = DATA / "unseen_vultr_cases.jsonl"
H20_CASES = DATA / "unseen_h20_cases.jsonl"
LLAMACPP_CASES = DATA / "unseen_llamacpp_cases.jsonl"
ASCEND_CASES = DATA / "unseen_ascend_cases.jsonl"
GUIDELLM_LATER_CASES = DATA / "unseen_gpustack_guidellm_later_cases.jsonl"
SPARK_CASES = DATA / "unseen_dgx_spark_cases.jsonl"
APPLE_CASES = DATA / "unseen_llamacpp_apple_cases.jsonl"
QUANTIZATION_CASES = DATA / "unseen_gpustack_quantization_cases.jsonl"
H100_CONCLUSION_CASES = DATA / "unseen_gpustack_h100_conclusion_cases.jsonl"
#: Every file of never-fitted cases.
ALL_CASES = (
    TRTLLM_CASES,
    SERVING_CASES,
    GPUSTACK_CASES,
    GUIDELLM_CASES,
    NIM_CASES,
    VULTR_CASES,
    H20_CASES,
    LLAMACPP_CASES,
    ASCEND_CASES,
    GUIDELLM_LATER_CASES,
    SPARK_CASES,
    APPLE_CASES,
    QUANTIZATION_CASES,
    H100_CONCLUSION_CASES,
)
GPUSTACK_PAGES = "https://github.com/gpustack/gpustack/blob/"
COMMIT = "258c7540c03517def55d9a5aadfa9288af474e1b"


def _lines(path: Path) -> list[str]:
    return [t for t in path.read_text().splitlines() if t.strip()]


def test_every_trtllm_case_parses_with_its_provenance() -> None:
    cases = cases_from_lines(_lines(TRTLLM_CASES))
    assert len(cases) == 445
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert COMMIT in case.source and case.source_url and COMMIT in case.source_url
        assert case.notes and case.expected
        assert all(v > 0 for v in case.expected.values())


def test_the_triton_served_table_states_its_front_end() -> None:
    # TensorRT-LLM 0.14's online-serving table ran behind Triton's tensorrtllm backend (its
    # engine label says so): predicted with the base set-up's front end, not trtllm-serve's.
    cases = cases_from_lines(_lines(TRTLLM_CASES))
    online = [c for c in cases if c.source_key == "trtllm-online-serving-v0.14"]
    assert len(online) == 72
    for case in online:
        assert "Triton" in (case.scenario.engine_label or "")
        assert case.scenario.harness == Harness.TRITON
    assert all(c.scenario.harness == Harness.DEFAULT for c in cases if c not in online)
    scenario = scenario_from_case(online[0], default_catalog())
    prediction = predict(scenario, load_parameters())
    assert "triton front end" in prediction.metrics.provenance.parameter_source


def test_every_serving_case_parses_with_its_provenance() -> None:
    cases = cases_from_lines(_lines(SERVING_CASES))
    assert len(cases) == 132
    assert len({c.id for c in cases}) == len(cases)
    assert len({c.source_key for c in cases}) == 16
    for case in cases:
        assert case.source and (case.source_url or "").startswith("https://")
        assert case.notes and case.expected
        assert all(v > 0 for v in case.expected.values())
        # Loads a plan is sized for: open loops and fixed concurrencies, never bursts.
        assert case.scenario.load.kind in ("request_rate", "concurrency")


def test_every_gpustack_case_names_its_page_and_commit() -> None:
    cases = cases_from_lines(_lines(GPUSTACK_CASES))
    assert len(cases) == 101
    assert len({c.id for c in cases}) == len(cases)
    for case in cases:
        url = case.source_url or ""
        assert case.source_key == "gpustack-performance-lab-later"
        assert url.startswith(GPUSTACK_PAGES) and "/docs/performance-lab/" in url
        commit = url.removeprefix(GPUSTACK_PAGES).split("/")[0]
        assert len(commit) == 40 and commit[:12] in case.source
        assert case.notes and case.expected
        assert all(v > 0 for v in case.expected.values())


#: The benchmark client a case's notes name (its command line or "client: ..."), as
#: :class:`~predeploy.core.types.BenchmarkClient` spells it.
CLIENT_IN_NOTES = (
    ("guidellm", "gpustack-benchmark"),
    ("sglang.bench_serving", "sglang-bench"),
    ("sglang bench_serving", "sglang-bench"),
    ("vllm bench serve", "vllm-bench"),
    ("benchmark_serving", "vllm-bench"),
)


@pytest.mark.parametrize("path", ALL_CASES, ids=lambda p: p.name)
def test_a_case_names_the_client_its_notes_describe(path: Path) -> None:
    """The client (which chooses a dataset's output lengths) is the one the first note that
    names a client describes; a case whose notes name none states none."""
    for case in cases_from_lines(_lines(path)):
        named = None
        for note in (n.lower() for n in case.notes):
            named = next((client for key, client in CLIENT_IN_NOTES if key in note), None)
            if named:
                break
        stated = case.scenario.client.value if case.scenario.client else None
        assert stated == named, case.id
        if named == "gpustack-benchmark":
            assert case.source_key == "gpustack-performance-lab-guidellm"


def test_the_guidellm_cases_carry_their_model_config_and_no_client_tpot() -> None:
    """Qwen3.5-9B is not in the catalog: each case brings its config.json. The runner's TPOT
    and ITL (below one decode step) are left out."""
    cases = cases_from_lines(_lines(GUIDELLM_CASES))
    assert len(cases) == 28 and len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.source_key == "gpustack-performance-lab-guidellm"
        assert (case.source_url or "").startswith(GPUSTACK_PAGES)
        arch = case.scenario.architecture
        assert arch is not None and arch.linear_attention_layers == 24
        assert case.expected and all(v > 0 for v in case.expected.values())
        assert not any(m.startswith(("tpot", "itl")) for m in case.expected)


@pytest.mark.parametrize(
    ("path", "source_key", "count"),
    [(NIM_CASES, "nim-benchmarking-perf", 10), (VULTR_CASES, "vultr-b200-cookbook", 8)],
    ids=["nim", "vultr"],
)
def test_every_concurrency_sweep_case_parses_with_its_provenance(
    path: Path, source_key: str, count: int
) -> None:
    """NVIDIA's NIM and Vultr's B200 cookbook sweeps: fixed concurrencies of fixed lengths,
    each with its page and the statistic it assumed for unnamed columns."""
    cases = cases_from_lines(_lines(path))
    assert len(cases) == count and len({c.id for c in cases}) == count
    for case in cases:
        assert case.source_key == source_key
        assert (case.source_url or "").startswith("https://docs.")
        assert case.scenario.load.kind == "concurrency" and case.scenario.dataset == "fixed"
        assert case.notes and case.expected and all(v > 0 for v in case.expected.values())
        assert set(case.conversions or {}) <= set(case.expected)


def test_the_vultr_bursts_of_fifty_prompts_are_left_out() -> None:
    """Nemotron Super's rows above 50 clients ran about 50 prompts (a burst) yet measure a
    TTFT no B200 can prefill 50 × 2,048 tokens in: not transcribed."""
    cases = cases_from_lines(_lines(VULTR_CASES))
    nemotron = [c for c in cases if "Nemotron" in c.scenario.model]
    assert nemotron and all(c.scenario.load.value < 64 for c in nemotron)


@pytest.mark.parametrize(
    "path", [GPUSTACK_CASES, GUIDELLM_CASES, GUIDELLM_LATER_CASES, ASCEND_CASES],
    ids=lambda p: p.stem,
)
def test_the_gpustack_pages_are_not_the_fitted_ones(path: Path) -> None:
    """Other pages of the lab than the fitted ones, and no run equal to a fitted run."""
    records = read_benchmark_records()
    fitted_pages = {_page(r.provenance.url or "") for r in records if "gpustack" in r.source_key}
    fitted_runs = {tuple(sorted(r.metrics.items())) for r in records}
    cases = cases_from_lines(_lines(path))
    assert fitted_pages and not {_page(c.source_url or "") for c in cases} & fitted_pages
    assert not {tuple(sorted(c.expected.items())) for c in cases} & fitted_runs


def test_the_h20_cases_run_on_a_gpu_the_fit_never_saw() -> None:
    """DeepSeek on 8x H20: no fitted record is on an H20, so each prediction says it rests on
    fall-back parameters; the blog's early-2025 runs are scored with that era's group."""
    unseen = load_script("perf_unseen", DATA.parent / "perf_unseen.py")
    cases = cases_from_lines(_lines(H20_CASES))
    assert len(cases) == 17 and len({c.id for c in cases}) == len(cases)
    assert all(r.gpu != "H20" for r in read_benchmark_records())
    blog = {c.source_key for c in cases} - {"sglang-pr-7631-h20"}
    assert blog == {"tanjunchen-blog-h20-vllm", "tanjunchen-blog-h20-sglang"}
    assert blog <= unseen.EARLY_DEEPSEEK_SOURCES
    assert H20_CASES in unseen.DEFAULT_CASES
    for case in cases:
        assert case.scenario.gpu == "H20" and case.scenario.gpu_count == 8
        assert (case.source_url or "").startswith("https://github.com/")
        assert case.notes and case.expected and all(v > 0 for v in case.expected.values())
    prediction = predict(scenario_from_case(cases[0], default_catalog()), load_parameters())
    assert prediction.metrics.provenance.parameters == "fallback"
    assert "hopper-sxm class effect" in prediction.metrics.provenance.parameter_source


def test_the_ascend_cases_run_on_an_npu_the_fit_never_saw() -> None:
    """Qwen3 on one or two Ascend 910B NPUs (vLLM-Ascend, and MindIE as engine ``other``): no
    fitted record is on it, so each prediction rests on fall-back parameters; every case fits
    in memory (MindIE's 30B-A3B runs are read as two NPUs: BF16 weights fill one)."""
    cases = cases_from_lines(_lines(ASCEND_CASES))
    assert len(cases) == 22 and len({c.id for c in cases}) == len(cases)
    assert all(r.gpu != "Ascend-910B" for r in read_benchmark_records())
    assert {c.scenario.engine.value for c in cases} == {"vllm", "other"}
    catalog, params = default_catalog(), load_parameters()
    for case in cases:
        assert case.scenario.gpu == "Ascend-910B"
        assert case.source_key == "gpustack-performance-lab-910b"
        prediction = predict(scenario_from_case(case, catalog), params)
        assert prediction.memory.fits
        assert prediction.metrics.provenance.parameters == "fallback"


def test_the_later_guidellm_pages_name_catalogued_models() -> None:
    """Qwen3.5-35B-A3B and GLM-5.2 come from the catalog (no config.json in the case); the
    runner's TPOT and ITL are left out as on the earlier pages."""
    cases = cases_from_lines(_lines(GUIDELLM_LATER_CASES))
    assert len(cases) == 58 and len({c.id for c in cases}) == len(cases)
    catalog = default_catalog()
    for case in cases:
        assert case.source_key == "gpustack-performance-lab-guidellm"
        assert not any(m.startswith(("tpot", "itl")) for m in case.expected)
        if case.scenario.architecture is None:
            assert catalog.model(case.scenario.model).id == case.scenario.model


def test_the_dgx_spark_cases_are_single_stream_llama_cpp_on_an_unfitted_gpu() -> None:
    """llama.cpp on a DGX Spark (ggerganov's benchmark page, a copy of an earlier build's,
    and one user's logs): one sequence at a time, the micro-batch each run states."""
    cases = cases_from_lines(_lines(SPARK_CASES))
    assert len(cases) == 141 and len({c.id for c in cases}) == len(cases)
    assert all(r.gpu != "DGX-Spark" for r in read_benchmark_records())
    catalog = default_catalog()
    for case in cases:
        assert case.scenario.gpu == "DGX-Spark" and case.scenario.engine.value == "llama.cpp"
        assert case.scenario.load.kind == "concurrency" and case.scenario.load.value == 1
        # Each run's micro-batch as its command states it (1 where only the decode is timed).
        micro_batch = int((case.scenario.engine_args or "").split(" -ub ")[1].split()[0])
        settings = scenario_from_case(case, catalog).engine_settings
        assert settings is not None and settings.max_num_batched_tokens == micro_batch


def test_the_apple_cases_are_the_readmes_metal_rows() -> None:
    """The same README's Apple Silicon rows (llama.cpp on Metal): every chip in the catalogue,
    none fitted, and no dated build's CUDA-only prompt dequantization applied."""
    cases = cases_from_lines(_lines(APPLE_CASES))
    assert len(cases) == 95 and len({c.id for c in cases}) == len(cases)
    catalog = default_catalog()
    fitted = {r.gpu for r in read_benchmark_records()}
    for case in cases:
        assert catalog.gpu(case.scenario.gpu).vendor == "apple"
        assert case.scenario.gpu not in fitted and case.scenario.engine.value == "llama.cpp"
        settings = scenario_from_case(case, catalog).engine_settings
        assert settings is None or not settings.dequantized_prefill


def test_the_llamacpp_cases_are_the_readme_rows_the_calibration_set_left_out() -> None:
    """The same README as the fitted llama.cpp cases, single-GPU rows on GPUs without a
    fitted case; the 4080's F16 runs at 8,192 tokens ran out of memory and are left out."""
    cases = cases_from_lines(_lines(LLAMACPP_CASES))
    assert len(cases) == 50 and len({c.id for c in cases}) == len(cases)
    fitted = [r for r in read_benchmark_records() if r.source_key == "llamacpp-gpu-benchmarks"]
    assert fitted and {c.source_url for c in cases} == {r.provenance.url for r in fitted}
    assert not {c.scenario.gpu for c in cases} & {r.gpu for r in fitted}
    for case in cases:
        assert case.scenario.engine.value == "llama.cpp" and case.scenario.gpu_count == 1
        assert set(case.expected) <= {
            "decode_tokens_per_s_single_stream",
            "prefill_tokens_per_s_single_stream",
        }
    f16_4080 = [c for c in cases if c.scenario.gpu == "RTX-4080" and "f16" in c.id]
    assert (
        f16_4080
        and max((c.scenario.input_tokens or 0) + (c.scenario.output_tokens or 0) for c in f16_4080)
        == 4096
    )


def _page(url: str) -> str:
    return url.split("/docs/performance-lab/")[-1]


def test_the_cases_are_not_in_the_fitted_records() -> None:
    fitted = {r.source_key for r in read_benchmark_records()}
    sources = {c.source_key for c in cases_from_lines(_lines(TRTLLM_CASES))}
    assert sources == {"trtllm-perf-overview-v0.17", "trtllm-online-serving-v0.14"}
    serving = {c.source_key for c in cases_from_lines(_lines(SERVING_CASES))}
    others = {
        c.source_key
        for p in ALL_CASES
        if p not in (TRTLLM_CASES, SERVING_CASES)
        for c in cases_from_lines(_lines(p))
    }
    assert not (sources | serving | others) & fitted


@pytest.mark.parametrize("path", ALL_CASES, ids=lambda p: p.stem)
def test_every_case_is_predicted(path: Path) -> None:
    objects = [json.loads(t) for t in _lines(path)]
    rows = predict_cases(objects, default_catalog(), load_parameters())
    assert all(not r.get("error") and r["metrics"] for r in rows)


def test_the_quantization_page_cases_name_their_page_and_method() -> None:
    """GPUStack's quantization reference page: 17 rows of Qwen3-8B on vLLM 0.9.2, each with its
    page at a commit and the method it measured; no token totals stated (ShareGPT's apply)."""
    cases = cases_from_lines(_lines(QUANTIZATION_CASES))
    assert len(cases) == 17 and len({c.id for c in cases}) == len(cases)
    for case in cases:
        assert case.source_key == "gpustack-performance-lab-quantization"
        url = case.source_url or ""
        assert url.startswith(GPUSTACK_PAGES) and url.endswith(
            "references/the-impact-of-quantization-on-vllm-inference-performance.md"
        )
        assert url.removeprefix(GPUSTACK_PAGES)[:12] in case.source
        scenario = case.scenario
        assert scenario.model == "Qwen/Qwen3-8B" and scenario.engine_version == "v0.9.2"
        assert scenario.input_tokens is None and scenario.dataset == "sharegpt"
        assert scenario.precision_label and case.notes
        assert set(case.expected) == {"total_tokens_per_s", "ttft_ms_mean", "tpot_ms_mean"}


def test_the_h100_conclusion_cases_are_the_table_the_copied_blocks_contradict() -> None:
    """GLM-4.5-Air on 4x H100 (vLLM 0.11.0): the page's conclusion table, one case per prompt
    length; the fitted records' H100 runs of the same lengths are its detail blocks, the A100
    page's runs repeated, and are left out of the fit as mislabelled."""
    cases = cases_from_lines(_lines(H100_CONCLUSION_CASES))
    assert len(cases) == 4 and len({c.id for c in cases}) == 4
    copies = {
        (r.input_tokens, r.output_tokens): r.metrics["total_tokens_per_s"]
        for r in read_benchmark_records()
        if r.id in MISLABELLED and r.engine == "vllm" and "glm-4.5-air" in r.id
    }
    assert len(copies) == 4
    for case in cases:
        assert case.source_key.startswith("gpustack-performance-lab")
        assert (case.source_url or "").endswith("docs/performance-lab/glm-4.5-air/h100.md")
        scenario = case.scenario
        assert (scenario.gpu, scenario.tp, scenario.engine_version) == ("H100-SXM", 4, "v0.11.0")
        assert set(case.expected) == {"total_tokens_per_s", "tpot_ms_mean"}
        copied = next(v for (i, o), v in copies.items() if abs(i - scenario.input_tokens) <= 1)
        # The H100 table's totals are not the A100 page's repeated ones.
        assert case.expected["total_tokens_per_s"] > 1.1 * copied
