"""The shipped knowledge-base files load, validate and hold the facts the planner relies on."""

from __future__ import annotations

import csv
import json
import re
import shutil
import statistics
from collections import Counter
from pathlib import Path

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.efficiency import gpu_class
from predeploy.core.names import name_key
from predeploy.core.roofline import VENDOR_SUSTAINED_MATMUL_SHARE, switch_reduction_gain
from predeploy.core.types import FactKind, Precision, UseCase
from predeploy.kb.seed_files import (
    BENCHMARKS_DIR,
    DEFAULT_DATA_DIR,
    SeedCatalog,
    SeedDataError,
    read_benchmarks,
    read_deployment_templates,
    read_gpus,
    read_models,
    read_prices,
    read_slo_templates,
    seed_catalog,
    seed_files_sha256,
)


@pytest.fixture(scope="module")
def catalog() -> InMemoryCatalog:
    return seed_catalog()


def test_counts() -> None:
    assert len(read_models()) >= 69
    assert len(read_gpus()) >= 25
    assert len(read_prices()) >= 154
    assert len(read_deployment_templates()) >= 6
    assert {t.id for t in read_slo_templates()} == set(UseCase)
    assert len(read_slo_templates()) == 10


def test_every_gpu_has_a_price() -> None:
    priced = {p.gpu for p in read_prices()}
    missing = [g.name for g in read_gpus() if g.name not in priced]
    assert missing == []


def test_every_price_row_names_a_known_gpu() -> None:
    names = {g.name for g in read_gpus()}
    unknown = sorted({p.gpu for p in read_prices()} - names)
    assert unknown == []


def test_v100_price_rows_split_by_memory() -> None:
    by_instance = {p.instance_type: p.gpu for p in read_prices() if p.gpu.startswith("V100")}
    assert by_instance.pop("Standard_ND40rs_v2") == "V100-32GB"  # catalog label V100-32GB
    assert set(by_instance.values()) == {"V100"}  # the other rows say "V100 16 GB"


def test_benchmarks_empty_or_valid(tmp_path: Path) -> None:
    assert read_benchmarks(tmp_path) == []
    shipped = read_benchmarks()
    lines = sum(1 for path in (DEFAULT_DATA_DIR / BENCHMARKS_DIR).glob("*.jsonl")
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(shipped) == lines > 0  # every line read, none skipped
    assert all(r.metrics and r.provenance.kind is FactKind.MEASURED for r in shipped)


def test_the_files_digest_follows_the_seed_files_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    shipped = seed_files_sha256(data)
    assert shipped == seed_files_sha256() and len(shipped) == 64
    (data / "README.md").write_text("not a fact\n", encoding="utf-8")  # read by no reader
    (data / "perf_params.json").write_text("{}\n", encoding="utf-8")
    assert seed_files_sha256(data) == shipped
    for name in ("gpus.yaml", f"{BENCHMARKS_DIR}/public_serving.jsonl"):
        copy = tmp_path / name.replace("/", "_")
        shutil.copytree(data, copy)
        with (copy / name).open("a", encoding="utf-8") as handle:
            handle.write("\n")
        assert seed_files_sha256(copy) != shipped, name
    (data / BENCHMARKS_DIR / "extra.jsonl").write_text("", encoding="utf-8")
    assert seed_files_sha256(data) != shipped  # a new benchmark file counts too


def test_seed_catalog_is_cached() -> None:
    assert seed_catalog() is seed_catalog()


def test_seed_catalog_reads_benchmarks_on_first_use(tmp_path: Path) -> None:
    for item in DEFAULT_DATA_DIR.iterdir():
        if item.is_file():
            (tmp_path / item.name).symlink_to(item)
    (tmp_path / BENCHMARKS_DIR).mkdir()
    (tmp_path / BENCHMARKS_DIR / "broken.jsonl").write_text('{"id": "x"}\n{oops\n')
    catalog = SeedCatalog(tmp_path)  # models, GPUs, prices, templates: read now
    assert catalog.gpu("H100").name == "H100-SXM"
    with pytest.raises(SeedDataError, match=r"broken\.jsonl: entry 'x' \(#1\): field model"):
        catalog.benchmarks()


def test_seed_catalog_benchmarks_are_the_shipped_records(catalog: InMemoryCatalog) -> None:
    shipped = read_benchmarks()
    assert list(catalog.benchmarks()) == shipped
    h100 = catalog.benchmarks(gpu="H100-SXM")
    assert h100 and all(b.gpu == "H100-SXM" for b in h100)
    assert len(h100) == sum(b.gpu == "H100-SXM" for b in shipped)


def test_every_fact_has_provenance() -> None:
    for model in read_models():
        assert model.provenance.source
    for gpu in read_gpus():
        assert gpu.provenance.source
    for price in read_prices():
        assert price.provenance.source
    for template in read_slo_templates():
        assert template.provenance.kind is FactKind.ESTIMATED


def test_perf_case_models_resolve(shared_dir: Path, catalog: InMemoryCatalog) -> None:
    ids = set()
    with (shared_dir / "calibration" / "perf_cases.jsonl").open() as f:
        for line in f:
            ids.add(json.loads(line)["scenario"]["model"])
    assert len(ids) >= 24
    for model_id in sorted(ids):
        catalog.model(model_id)


def test_perf_case_gpus_in_hardware_list_resolve(
    shared_dir: Path, catalog: InMemoryCatalog
) -> None:
    names = {g.name for g in catalog.gpus()}
    with (shared_dir / "calibration" / "perf_cases.jsonl").open() as f:
        gpus = {json.loads(line)["scenario"]["gpu"] for line in f}
    for gpu in sorted(gpus & names):
        assert catalog.gpu(gpu).name == gpu


def test_every_perf_case_gpu_has_a_profile(shared_dir: Path, catalog: InMemoryCatalog) -> None:
    with (shared_dir / "calibration" / "perf_cases.jsonl").open() as f:
        gpus = {json.loads(line)["scenario"]["gpu"] for line in f}
    assert {"RTX-3090", "RTX-4090", "RTX-A6000", "RTX-6000-Ada"} <= gpus
    assert sorted(gpus - {g.name for g in catalog.gpus()}) == []


#: Rental rows read from the public catalog for GPUs the shared price file has no row for.
CATALOG_ONLY_GPUS = {
    "A40",
    "L40",
    "RTX-5090",
    "RTX-4000-Ada",
    "RTX-A4000",
    "RTX-A4500",
    "RTX-A5000",
}


def test_prices_transcribe_every_shared_row(shared_dir: Path) -> None:
    with (shared_dir / "calibration" / "prices.csv").open() as f:
        shared = [(r["provider"], r["instance_type"]) for r in csv.DictReader(f)]
    rental = [p for p in read_prices() if p.region_class != "on-prem"]
    transcribed = [p for p in rental if p.gpu not in CATALOG_ONLY_GPUS]
    assert len(transcribed) == len(shared) == 150
    assert {(p.provider, p.instance_type) for p in transcribed} == set(shared)
    # The others are skypilot-catalog rows, each naming its file and commit.
    for p in rental:
        if p.gpu in CATALOG_ONLY_GPUS:
            source = p.provenance.source
            assert re.search(r"skypilot-catalog catalogs/v7/\w+/vms\.csv @[0-9a-f]{40}", source)


def test_intent_dev_model_ids_exist(shared_dir: Path, catalog: InMemoryCatalog) -> None:
    with (shared_dir / "intent" / "dev_cases.jsonl").open() as f:
        expected = [json.loads(line)["expect"].get("model") for line in f]
    for model_id in filter(None, expected):
        assert catalog.model(model_id).id == model_id


def test_llama_31_8b_architecture(catalog: InMemoryCatalog) -> None:
    arch = catalog.model("meta-llama/Llama-3.1-8B-Instruct").architecture
    assert (arch.num_layers, arch.num_kv_heads, arch.head_dim) == (32, 8, 128)
    kv_bytes_per_token_bf16 = 2 * arch.num_layers * arch.num_kv_heads * arch.head_dim * 2
    assert kv_bytes_per_token_bf16 == 131_072
    assert arch.total_params_b == pytest.approx(8.03, abs=0.01)


def test_h100_sxm_spec(catalog: InMemoryCatalog) -> None:
    gpu = catalog.gpu("H100-SXM")
    assert gpu.memory_gb == 80
    assert gpu.memory_bandwidth_gb_s == 3350
    assert gpu.bf16_tflops == 989
    assert gpu.interconnect_gb_s == 450  # NVLink 4, per direction


def test_china_market_parts_keep_their_siblings_silicon(catalog: InMemoryCatalog) -> None:
    # H800 and A800: the H100 SXM's and A100 80GB's memory and compute, NVLink cut to 400 GB/s
    # both ways; the H20: Hopper with a seventh of the H100's tensor rate and more bandwidth.
    for part, sibling in (("H800", "H100-SXM"), ("A800", "A100-80GB")):
        cut, full = catalog.gpu(part), catalog.gpu(sibling)
        assert (cut.memory_gb, cut.memory_bandwidth_gb_s, cut.bf16_tflops) == (
            full.memory_gb,
            full.memory_bandwidth_gb_s,
            full.bf16_tflops,
        )
        assert cut.interconnect_gb_s == 200 < full.interconnect_gb_s
        assert cut.supported_precisions == full.supported_precisions
    h20 = catalog.gpu("H20")
    assert (h20.memory_gb, h20.memory_bandwidth_gb_s, h20.bf16_tflops, h20.fp8_tflops) == (
        96,
        4000,
        148,
        296,
    )
    assert h20.architecture == "hopper" and h20.interconnect == "nvlink"


def test_ascend_910b_is_the_910b3(catalog: InMemoryCatalog) -> None:
    # 20 AI cores x 1.8 GHz x 8,192 FLOP/clk of Cube (matrix) rate; 64 GB at 1.6 TB/s; no FP8;
    # an HCCS full mesh of 8, whose links count as a module's (not PCIe) for fall-backs.
    npu = catalog.gpu("Ascend-910B")
    assert (npu.memory_gb, npu.memory_bandwidth_gb_s, npu.bf16_tflops) == (64, 1600, 294.9)
    assert npu.bf16_tflops == pytest.approx(20 * 1.8e9 * 8192 / 1e12, rel=1e-3)
    assert npu.fp8_tflops is None and not npu.serves(Precision.FP8)
    assert npu.serves(Precision.INT8) and npu.vendor == "huawei"
    assert gpu_class(npu) == "davinci-sxm" and npu.gpus_per_node == 8
    # The 910B2's 24 cores and the 910B4's 32 GB at 800 GB/s (the same peak table).
    b2, b4 = catalog.gpu("Ascend 910B2"), catalog.gpu("910B4")
    assert b2.bf16_tflops == pytest.approx(npu.bf16_tflops * 24 / 20, rel=1e-3)
    assert (b4.memory_gb, b4.memory_bandwidth_gb_s, b4.bf16_tflops) == (32, 800, 245.8)


def test_l40_is_not_the_l40s(catalog: InMemoryCatalog) -> None:
    l40, l40s = catalog.gpu("L40"), catalog.gpu("L40S")
    assert l40.name == "L40" and l40s.name == "L40S"
    assert l40.memory_gb == l40s.memory_gb == 48
    assert l40.bf16_tflops == pytest.approx(l40s.bf16_tflops / 2, rel=0.01)
    assert catalog.gpu("nvidia l40 48gb").name == "L40"


def test_rtx_5090_spec(catalog: InMemoryCatalog) -> None:
    gpu = catalog.gpu("GeForce RTX 5090")
    assert (gpu.memory_gb, gpu.memory_bandwidth_gb_s, gpu.bf16_tflops, gpu.fp4_tflops) == (
        32,
        1792,
        209.5,
        1676,
    )
    assert gpu.serves(Precision.FP4) and gpu.interconnect == "pcie"


def test_vendor_sustained_share_references_are_the_catalogue_medians() -> None:
    # A GPU's sustained matmul share counts relative to its vendor's median measured share
    # (core.roofline): the reference constants must follow the shares gpus.yaml records, and
    # every vendor with a measured share needs one, or its shares would be ignored.
    shares: dict[str, list[float]] = {}
    for gpu in read_gpus():
        if gpu.sustained_matmul_share is not None:
            shares.setdefault(gpu.vendor, []).append(gpu.sustained_matmul_share)
    assert set(shares) == set(VENDOR_SUSTAINED_MATMUL_SHARE)
    for vendor, values in shares.items():
        assert VENDOR_SUSTAINED_MATMUL_SHARE[vendor] == pytest.approx(
            statistics.median(values), abs=0.005
        ), vendor


def test_architecture_spot_checks(catalog: InMemoryCatalog) -> None:
    v3 = catalog.model("deepseek-ai/DeepSeek-V3").architecture
    assert v3.attention_type == "mla" and v3.mla_kv_lora_rank == 512
    assert v3.mla_qk_rope_head_dim == 64 and v3.num_dense_layers == 3
    assert v3.native_precision is Precision.FP8
    assert v3.total_params_b == pytest.approx(671, rel=0.01)
    oss = catalog.model("openai/gpt-oss-120b").architecture
    assert oss.native_precision is Precision.FP4
    assert (oss.sliding_window, oss.sliding_window_layers) == (128, 18)
    gemma = catalog.model("google/gemma-3-27b-it").architecture
    assert (gemma.sliding_window, gemma.sliding_window_layers) == (1024, 52)
    mixtral = catalog.model("mixtral").architecture
    assert (mixtral.num_experts, mixtral.experts_per_token) == (8, 2)
    assert mixtral.active_params_b == pytest.approx(12.9, abs=0.1)
    qwen35 = catalog.model("Qwen/Qwen3.5-397B-A17B").architecture
    assert qwen35.linear_attention_layers == 45 and qwen35.attention_type == "hybrid"


def test_hybrid_and_nas_architectures(catalog: InMemoryCatalog) -> None:
    granite = catalog.model("ibm-granite/granite-4.0-h-small").architecture
    # 36 Mamba-2 layers hold no per-token KV: only 4 of 40 layers cache K/V.
    assert (granite.num_layers, granite.linear_attention_layers) == (40, 36)
    assert (granite.num_experts, granite.experts_per_token, granite.n_shared_experts) == (72, 10, 1)
    assert granite.total_params_b == pytest.approx(32, rel=0.02)
    assert granite.active_params_b == pytest.approx(9, rel=0.05)
    nemotron = catalog.model("nemotron super 49b").architecture
    assert (nemotron.num_layers, nemotron.linear_attention_layers) == (80, 31)
    assert nemotron.num_kv_heads == 8 and nemotron.intermediate_size == 28672
    assert nemotron.total_params_b == pytest.approx(49.9, abs=0.1)
    coder_lite = catalog.model("deepseek coder v2 lite").architecture
    assert coder_lite.attention_type == "mla" and coder_lite.num_dense_layers == 1
    assert coder_lite.total_params_b == pytest.approx(16, rel=0.03)
    gemma_1b = catalog.model("google/gemma-3-1b-it").architecture
    assert (gemma_1b.sliding_window, gemma_1b.sliding_window_layers) == (512, 22)
    assert gemma_1b.total_params_b * 1e9 == pytest.approx(999_885_952, rel=1e-3)  # keras-hub


def test_code_models_have_quality_for_code_tasks(catalog: InMemoryCatalog) -> None:
    for model_id in ("Qwen/Qwen2.5-Coder-32B-Instruct", "Qwen/Qwen3-Coder-30B-A3B-Instruct"):
        model = catalog.model(model_id)
        tasks = {q.task for q in model.quality if q.scale == "aa-derived-v1"}
        assert "code_completion" in tasks, model_id
    card = [q for q in catalog.model("qwen2.5 coder 32b").quality
            if q.scale.startswith("model-card:")]
    assert card  # vendor scores from ../shared/quality/model_card_scores.csv


def test_b300_spec_and_estimated_price(catalog: InMemoryCatalog) -> None:
    gpu = catalog.gpu("B300")
    assert (gpu.memory_gb, gpu.memory_bandwidth_gb_s, gpu.bf16_tflops) == (288, 8000, 2250)
    assert gpu.interconnect_gb_s == 900  # NVLink 5, per direction
    assert not gpu.serves(Precision.INT8)  # Blackwell Ultra cuts INT8; sources conflict
    quotes = [p for p in read_prices() if p.gpu == "B300"]
    assert quotes and all(q.provenance.kind is FactKind.ESTIMATED for q in quotes)


def test_mi355x_rates_follow_their_derivation_and_gb300_has_no_int8(
    catalog: InMemoryCatalog,
) -> None:
    # 256 CUs x 8,192 dense FP8 FLOPs per CU per clock x 2.4 GHz (gpus.yaml provenance).
    gpu = catalog.gpu("MI355X")
    assert gpu.fp8_tflops == pytest.approx(256 * 8192 * 2.4 / 1e3, abs=0.1)
    assert gpu.bf16_tflops == pytest.approx(gpu.fp8_tflops / 2, abs=0.1)
    assert (gpu.memory_gb, gpu.memory_bandwidth_gb_s) == (288, 8000)
    assert gpu.serves(Precision.FP4) and gpu.sustained_matmul_share is None
    gb300 = catalog.gpu("GB300")
    assert (gb300.memory_gb, gb300.fp4_tflops, gb300.gpus_per_node) == (279, 15000, 4)
    assert not gb300.serves(Precision.INT8)
    assert switch_reduction_gain(gb300, 8) > 1.0  # NVLink SHARP, as GB200 and B300


def test_rtx_4090_records_fp32_accumulate_rates(catalog: InMemoryCatalog) -> None:
    gpu = catalog.gpu("rtx 4090")
    assert (gpu.memory_gb, gpu.memory_bandwidth_gb_s) == (24, 1008)
    # Ada whitepaper Appendix A: FP16/BF16 with FP32 accumulate 165.2 (FP16-accumulate 330.3);
    # FP8 with FP32 accumulate 330.3 (FP16-accumulate 660.6) - vLLM accumulates in FP32.
    assert (gpu.bf16_tflops, gpu.fp16_tflops, gpu.fp8_tflops) == (165.2, 165.2, 330.3)
    assert gpu.fp16_accumulate_tflops == 330.3  # what llama.cpp's FP16 GEMMs run at
    assert gpu.interconnect == "pcie" and gpu.interconnect_gb_s == 32  # no NVLink
    quotes = [p for p in read_prices() if p.gpu == "RTX-4090"]
    assert quotes and all(q.provenance.kind is FactKind.ESTIMATED for q in quotes)


def test_only_geforce_cards_state_a_separate_fp16_accumulate_rate(
    catalog: InMemoryCatalog,
) -> None:
    # GeForce halves the FP32-accumulate rate (GA102, Ada and RTX Blackwell whitepapers,
    # Appendix A), and so does the DGX Spark's GeForce-class GB10 (sm_121; measured BF16
    # matmuls about 60 TFLOPS); the data-center and workstation parts run both at one rate
    # and leave the field unset.
    separate = {g.name: g for g in catalog.gpus() if g.fp16_accumulate_tflops is not None}
    assert set(separate) == {
        "DGX-Spark",
        "RTX-3070",
        "RTX-3080",
        "RTX-3080-Ti",
        "RTX-3090",
        "RTX-4070-Ti",
        "RTX-4080",
        "RTX-4090",
        "RTX-5090",
    }
    for gpu in separate.values():
        assert gpu.fp16_accumulate_tflops == pytest.approx(2 * gpu.fp16_tflops, rel=1e-3)


def test_dgx_spark_rates_follow_its_one_published_figure(catalog: InMemoryCatalog) -> None:
    # NVIDIA states 1 PFLOP of sparse FP4 only: dense FP4 500, and the RTX Blackwell ratios
    # (FP4 = 4 x FP8 = 8 x BF16 with FP32 accumulation) give the rest; 128 GB at 273 GB/s.
    spark = catalog.gpu("DGX Spark")
    assert (spark.memory_gb, spark.memory_bandwidth_gb_s, spark.fp4_tflops) == (128, 273, 500)
    assert spark.fp4_tflops == 4 * (spark.fp8_tflops or 0) == 8 * spark.bf16_tflops
    assert spark.provenance.kind == "derived" and spark.gpus_per_node == 1
    assert catalog.gpu("GB10").name == "DGX-Spark"


def test_v100_and_t4_serve_bf16_checkpoints_as_fp16(catalog: InMemoryCatalog) -> None:
    v100 = catalog.gpu("v100")
    assert (v100.memory_gb, v100.memory_bandwidth_gb_s, v100.fp16_tflops) == (16, 900, 125)
    assert catalog.gpu("V100 32GB").memory_gb == 32
    t4 = catalog.gpu("t4")
    assert (t4.memory_gb, t4.fp16_tflops, t4.int8_tops) == (16, 65, 130)
    for gpu in catalog.gpus():
        if gpu.architecture in ("volta", "turing", "apple-silicon"):
            assert not gpu.serves(Precision.BF16) and gpu.half_precision is Precision.FP16
            assert gpu.bf16_tflops == gpu.fp16_tflops  # the rate a BF16 model runs at as FP16
            assert gpu.fp8_tflops is None
        else:
            assert gpu.half_precision is Precision.BF16
    assert t4.serves(Precision.INT8) and not v100.serves(Precision.INT8)  # Turing has W8A8


def test_apple_silicon_runs_fp16_at_its_fp32_rate(catalog: InMemoryCatalog) -> None:
    # No matrix units before M5: every rate is the FP32 rate; bandwidth is Apple's figure
    # (M1's derived), the M2 Ultra's 27.2 TFLOPS Apple's own.
    apple = [g for g in catalog.gpus() if g.vendor == "apple"]
    assert len(apple) == 6
    for gpu in apple:
        assert gpu.fp16_tflops == gpu.bf16_tflops == gpu.int8_tops and gpu.gpus_per_node == 1
    ultra = catalog.gpu("M2 Ultra")
    assert (ultra.memory_gb, ultra.memory_bandwidth_gb_s, ultra.fp16_tflops) == (192, 800, 27.2)


def test_no_fp8_on_ampere_and_fp4_on_blackwell_and_cdna4(catalog: InMemoryCatalog) -> None:
    for gpu in catalog.gpus():
        if gpu.architecture == "ampere":
            assert Precision.FP8 not in gpu.supported_precisions
            assert gpu.fp8_tflops is None
        if Precision.FP4 in gpu.supported_precisions:  # NVFP4/MXFP4 tensor cores
            assert gpu.architecture in ("blackwell", "cdna4") and gpu.fp4_tflops
    assert catalog.gpu("A100").serves(Precision.FP8)  # weight-only (FP8 Marlin)


@pytest.mark.parametrize(
    ("typed", "model_id"),
    [
        ("llama 3.1 70b", "meta-llama/Llama-3.1-70B-Instruct"),
        ("Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct"),
        ("llama 70b", "meta-llama/Llama-3.3-70B-Instruct"),
        ("mistral", "mistralai/Mistral-7B-Instruct-v0.3"),
        ("mixtral", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
        ("qwen3 32b", "Qwen/Qwen3-32B"),
        ("gpt-oss-20b", "openai/gpt-oss-20b"),
        ("deepseek r1", "deepseek-ai/DeepSeek-R1"),
        ("meta-llama/Llama-2-70b-hf", "meta-llama/Llama-2-70b-chat-hf"),
        ("qwen coder", "Qwen/Qwen2.5-Coder-32B-Instruct"),
        ("qwen2.5 coder 32b", "Qwen/Qwen2.5-Coder-32B-Instruct"),
        ("qwen2.5-coder:7b", "Qwen/Qwen2.5-Coder-7B-Instruct"),
        ("qwen3 coder", "Qwen/Qwen3-Coder-480B-A35B-Instruct"),
        ("qwen3-coder:30b", "Qwen/Qwen3-Coder-30B-A3B-Instruct"),
        ("codestral", "mistralai/Codestral-22B-v0.1"),
        ("mistral small", "mistralai/Mistral-Small-24B-Instruct-2501"),
        ("glm 4.6", "zai-org/GLM-4.6"),
        ("granite 4 small", "ibm-granite/granite-4.0-h-small"),
    ],
)
def test_model_aliases(catalog: InMemoryCatalog, typed: str, model_id: str) -> None:
    assert catalog.model(typed).id == model_id


@pytest.mark.parametrize(
    ("typed", "name"),
    [("A100", "A100-80GB"), ("h100s", "H100-SXM"), ("L40S", "L40S"), ("l4", "L4"),
     ("nvidia a100 80gb", "A100-80GB"), ("h200 sxm", "H200"), ("mi300", "MI300X"),
     ("hgx b300", "B300"), ("blackwell ultra", "B300"), ("3090", "RTX-3090"),
     ("RTX 4090", "RTX-4090"), ("NVIDIA GeForce RTX 4090", "RTX-4090"), ("a6000", "RTX-A6000"),
     ("NVIDIA RTX A6000", "RTX-A6000"), ("rtx 6000 ada", "RTX-6000-Ada"),
     ("NVIDIA RTX 6000 Ada Generation", "RTX-6000-Ada"), ("rtx pro 6000", "RTX-PRO-6000"),
     ("t4", "T4"), ("Tesla T4", "T4"), ("v100", "V100"), ("Tesla V100-SXM2-32GB", "V100-32GB"),
     ("a10", "A10"), ("NVIDIA A10G", "A10G"), ("gb300 nvl72", "GB300"),
     ("Instinct MI355X", "MI355X"), ("h20s", "H20"), ("NVIDIA H800 80GB HBM3", "H800"),
     ("A800-SXM4-80GB", "A800-80GB"), ("l40", "L40"), ("NVIDIA A40", "A40"),
     ("RTX 5090", "RTX-5090"), ("4080 16GB", "RTX-4080"), ("3080 Ti 12GB", "RTX-3080-Ti"),
     ("RTX 4000 Ada 20GB", "RTX-4000-Ada"), ("3070 8GB", "RTX-3070"),
     ("4070 Ti 12GB", "RTX-4070-Ti"), ("RTX A5000", "RTX-A5000"), ("a4000", "RTX-A4000"),
     ("Ascend 910B", "Ascend-910B"), ("910B", "Ascend-910B"), ("Ascend910B3", "Ascend-910B")],
)
def test_gpu_aliases(catalog: InMemoryCatalog, typed: str, name: str) -> None:
    assert catalog.gpu(typed).name == name


def test_did_you_mean_on_typo(catalog: InMemoryCatalog) -> None:
    from predeploy.core.errors import UnknownNameError

    with pytest.raises(UnknownNameError) as err:
        catalog.model("lama 3.1 8b")
    assert "did you mean" in str(err.value)
    assert "meta-llama/Llama-3.1-8B-Instruct" in str(err.value)  # canonical ids, not aliases
    with pytest.raises(UnknownNameError) as gpu_err:
        catalog.gpu("H1000")
    assert "did you mean" in str(gpu_err.value)


def test_names_do_not_collide() -> None:
    keys: Counter[str] = Counter()
    for model in read_models():
        own = {name_key(model.id), name_key(model.id.split("/", 1)[1]), name_key(model.name),
               *(name_key(a) for a in model.aliases)}
        keys.update(own)
    assert [k for k, n in keys.items() if n > 1] == []
    gpu_keys: Counter[str] = Counter()
    for gpu in read_gpus():
        gpu_keys.update({name_key(gpu.name), name_key(gpu.label),
                         *(name_key(a) for a in gpu.aliases)})
    assert [k for k, n in gpu_keys.items() if n > 1] == []


def test_quality_sources_never_share_a_scale() -> None:
    for model in read_models():
        seen: Counter[tuple[str, str]] = Counter((q.task, q.scale) for q in model.quality)
        assert [k for k, n in seen.items() if n > 1] == [], model.id
        for score in model.quality:
            if score.scale == "aa-derived-v1":
                assert score.provenance.kind is FactKind.DERIVED
                assert score.task != "general"
            if score.scale.startswith("aa:"):
                assert score.score > 0  # 0.00 % means "not run" and is never recorded


def test_slo_templates_cover_mandatory_percentiles() -> None:
    for template in read_slo_templates():
        slo = template.slo
        for metric in (slo.ttft_ms, slo.itl_ms, slo.tpot_ms):
            assert None not in (metric.p50, metric.p90, metric.p99), template.id
        assert None not in (slo.e2e_ms.p50, slo.e2e_ms.p95, slo.e2e_ms.p99), template.id
        assert {"ttft_ms", "itl_ms", "tpot_ms", "e2e_ms"} <= set(template.rationale)


def test_alert_thresholds_sit_on_vllm_bucket_edges() -> None:
    ttft_edges_ms = {1, 5, 10, 20, 40, 60, 80, 100, 250, 500, 750, 1000, 2500, 5000, 7500,
                     10000, 20000, 40000, 80000, 160000}
    itl_edges_ms = {10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000}
    for template in read_slo_templates():
        assert template.slo.ttft_ms.p99 in ttft_edges_ms, template.id
        assert template.slo.ttft_ms.p90 in ttft_edges_ms, template.id
        assert template.slo.itl_ms.p99 in itl_edges_ms, template.id
        assert template.slo.tpot_ms.p99 in itl_edges_ms, template.id


def test_deployment_templates_use_standard_mode_and_vllm_metrics() -> None:
    for template in read_deployment_templates():
        assert template.kserve_deployment_mode == "Standard"
        assert template.autoscaling.metric.startswith("vllm:")
        assert all(flag.startswith("--") for flag in template.vllm_args)


def test_models_with_quality_and_tasks(catalog: InMemoryCatalog) -> None:
    with_scores = [m for m in catalog.models() if m.quality]
    assert len(with_scores) >= 55
    base_only = catalog.model("EleutherAI/gpt-j-6b")
    assert base_only.tasks == ()


def _aiconfigurator_records() -> list[dict[str, object]]:
    path = DEFAULT_DATA_DIR / BENCHMARKS_DIR / "aiconfigurator_silicon.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_no_aiconfigurator_run_is_filed_twice() -> None:
    # The CSV lists many runs under two ids (a dated file and a database dump); one run is
    # one record, or the fit would weigh it twice.
    fields = ["model", "gpu", "gpu_count", "engine", "precision", "input_tokens"]
    fields += ["output_tokens", "load", "metrics"]
    runs = Counter(
        json.dumps({k: r[k] for k in fields}, sort_keys=True) for r in _aiconfigurator_records()
    )
    assert max(runs.values()) == 1


def test_tp_k_ep_k_runs_keep_their_k_gpus() -> None:
    # AIConfigurator's dump codes `--tp 8 --ep 8` as tp_size 64 with moe_tp 8, moe_ep 8; the
    # seed records the 8 GPUs its id names and says it recoded the row.
    records = {str(r["id"]).rsplit("/", 1)[1]: r for r in _aiconfigurator_records()}
    recoded = [r for r in records.values() if "recoded from" in str(r["provenance"])]
    assert len(recoded) > 200
    for run_id, record in records.items():
        for k in (4, 8):
            if f"_tp{k}_ep{k}_" in run_id:
                assert record["gpu_count"] == record["tp"] == k, run_id
                # ... and that its experts are spread over the k GPUs (an engine flag).
                spread = r"--(ep[_-]size|enable-expert-parallel|enable_attention_dp)"
                assert re.search(spread, str(record["engine_args"])), run_id
