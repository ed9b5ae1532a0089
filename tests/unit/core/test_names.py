"""Name canonicalization: aliases resolve; suggestions are canonical names."""

from __future__ import annotations

import pytest
from tests.planning_facts import LLAMA_8B, LLAMA_70B

from predeploy.core.errors import UnknownNameError
from predeploy.core.names import name_key, resolve_gpu, resolve_model
from predeploy.core.types import FactKind, GpuSpec, Precision, Provenance
from predeploy.kb.seed_files import seed_catalog

SPEC = Provenance(source="test datasheet", kind=FactKind.PUBLISHED_SPEC)


def _gpu(name: str, aliases: tuple[str, ...]) -> GpuSpec:
    return GpuSpec(
        name=name, label=name, vendor="nvidia", memory_gb=80, memory_bandwidth_gb_s=3350,
        bf16_tflops=989, fp16_tflops=989, interconnect="nvlink", interconnect_gb_s=450,
        gpus_per_node=8, supported_precisions=(Precision.BF16,), architecture="hopper",
        aliases=aliases, provenance=SPEC,
    )


GPUS = (_gpu("H100-SXM", ("h100", "h100 sxm")), _gpu("L40S", ("l40s",)))


def test_name_key_drops_vendor_words_and_punctuation() -> None:
    assert name_key("NVIDIA A100-80GB") == "a10080gb"
    assert name_key("H100 GPUs") == "h100"


def test_resolve_gpu_aliases_plurals_and_s_suffix() -> None:
    assert resolve_gpu("h100s", GPUS).name == "H100-SXM"
    assert resolve_gpu("NVIDIA H100 SXM", GPUS).name == "H100-SXM"
    assert resolve_gpu("L40S", GPUS).name == "L40S"  # not the plural of "L40"


def test_datasheet_labels_resolve_without_their_form_factor_and_memory_words() -> None:
    gpus = (*GPUS, _gpu("H100-NVL", ("h100 nvl",)).model_copy(update={"memory_gb": 94}))
    assert resolve_gpu("H100 SXM5 80GB HBM3", gpus).name == "H100-SXM"
    assert resolve_gpu("NVIDIA H100 (HGX, 8 GPUs)", gpus).name == "H100-SXM"
    # A family with a memory size picks the GPU of that size; another size names none.
    assert resolve_gpu("H100 NVL 94GB", gpus).name == "H100-NVL"
    assert resolve_gpu("L40S 80 GB", gpus).name == "L40S"  # every fixture GPU has 80 GB
    with pytest.raises(UnknownNameError):
        resolve_gpu("H100 40GB", gpus)


def test_suggestions_name_canonical_gpus_not_aliases() -> None:
    with pytest.raises(UnknownNameError) as err:
        resolve_gpu("H10", GPUS)
    assert err.value.suggestions[0] == "H100-SXM"
    assert "h100" not in err.value.suggestions


def test_model_suggestions_are_catalog_ids() -> None:
    with pytest.raises(UnknownNameError) as err:
        resolve_model("Llama-3.1-8B-Instruc", (LLAMA_8B, LLAMA_70B))
    assert err.value.suggestions[0] == LLAMA_8B.id
    assert all("/" in s for s in err.value.suggestions)


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen/Qwen3-235B-A22B"),
        ("Qwen/Qwen3-30B-A3B-FP8", "Qwen/Qwen3-30B-A3B"),
        ("deepseek-ai/DeepSeek-V3.2-Exp", "deepseek-ai/DeepSeek-V3.2"),
        ("deepseek-ai/DeepSeek-V3-0324", "deepseek-ai/DeepSeek-V3"),
        ("moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2-Instruct"),
        ("nvidia/Llama-3.1-8B-Instruct-FP8", "meta-llama/Llama-3.1-8B-Instruct"),
        ("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8", "meta-llama/Llama-3.1-8B-Instruct"),
        ("Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4", "Qwen/Qwen2.5-7B-Instruct"),
        ("deepseek-ai/DeepSeek-R1-0528", "deepseek-ai/DeepSeek-R1-0528"),
    ],
)
def test_a_checkpoint_of_a_catalogued_architecture_resolves_to_it(name: str, model: str) -> None:
    """Quantized and later checkpoints take their base model's id (the shared calibration
    convention); a catalogued name is never stripped."""
    assert seed_catalog().model(name).id == model


@pytest.mark.parametrize(
    "name", ["meta-llama/Llama-3.2-11B-Vision-Instruct", "MiniMaxAI/MiniMax-M2", "foo/Bar-FP8"]
)
def test_a_different_architecture_stays_unknown(name: str) -> None:
    with pytest.raises(UnknownNameError):
        seed_catalog().model(name)
