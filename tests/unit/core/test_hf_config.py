"""A Hugging Face config.json → ModelArchitecture (core.hf_config)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.perf_fixtures import llama_31_8b_config

from predeploy.core.errors import InputError
from predeploy.core.hf_config import (
    architecture_fields,
    architecture_from_hf_config,
    checkpoint_precision,
    count_params,
    model_card_from_hf_config,
    model_id_for,
    text_config,
)
from predeploy.core.memory import kv_bytes_per_token
from predeploy.core.roofline import step_shape
from predeploy.core.types import ModelArchitecture, Precision
from predeploy.kb.seed_files import seed_catalog

REPO = Path(__file__).resolve().parents[3]
SOURCES = yaml.safe_load((REPO / "tools" / "model_sources.yaml").read_text())["models"]
#: Catalog entries whose config.json keys are transcribed in the sources (the others come from
#: a wheel not shipped here) and whose parameter counts are computed, not the card's.
INLINE = [e for e in SOURCES if e.get("config") and not e.get("config_ref")
          and e.get("params") != "card"]

LLAMA_31_8B = llama_31_8b_config()


def test_there_are_transcribed_configs_to_check() -> None:
    assert len(INLINE) >= 30


@pytest.mark.parametrize("entry", INLINE, ids=[e["id"] for e in INLINE])
def test_a_transcribed_config_gives_the_catalog_architecture(entry: dict[str, Any]) -> None:
    """The code that reads a user's config.json is the code that built the catalog."""
    card = seed_catalog().model(entry["id"])
    config = text_config(entry["config"])
    total, active = count_params(config)
    fields = architecture_fields(config, entry.get("overrides", {}))
    fields.update(total_params_b=round(total / 1e9, 2), active_params_b=round(active / 1e9, 2),
                  native_precision=card.architecture.native_precision,
                  fp8_weight_block=(entry.get("fp8_weight_block") or {}).get("edge"))
    assert ModelArchitecture.model_validate(fields) == card.architecture
    # Given the window a real config.json states (the transcriptions keep it in the
    # overrides), the conventions infer the catalog's windowed layers without them.
    window = entry.get("overrides", {}).get("sliding_window")
    inferred = architecture_from_hf_config({**config, "sliding_window": window})
    assert inferred.total_params_b == card.architecture.total_params_b
    assert inferred.sliding_window_layers == card.architecture.sliding_window_layers


def test_llama_31_8b_from_its_config_json() -> None:
    arch = architecture_from_hf_config(LLAMA_31_8B)
    assert arch.total_params_b == 8.03 and arch.active_params_b == 8.03
    assert (arch.num_kv_heads, arch.head_dim, arch.attention_type) == (8, 128, "gqa")
    assert arch.native_precision == Precision.BF16 and arch.max_context_tokens == 131072


def test_a_multimodal_config_is_read_through_its_text_config() -> None:
    wrapped = {"model_type": "llava", "torch_dtype": "float16",
               "text_config": {k: v for k, v in LLAMA_31_8B.items() if k != "torch_dtype"}}
    arch = architecture_from_hf_config(wrapped)
    assert arch.total_params_b == 8.03 and arch.native_precision == Precision.FP16


#: The language-model keys of Qwen/Qwen3.5-9B's config.json (its ``text_config``; the vision
#: tower is not counted), 24 gated-DeltaNet and 8 full-attention layers.
QWEN35_9B_TEXT = {
    "model_type": "qwen3_5_text", "hidden_size": 4096, "intermediate_size": 12288,
    "num_hidden_layers": 32, "num_attention_heads": 16, "num_key_value_heads": 4,
    "head_dim": 256, "vocab_size": 248320, "max_position_embeddings": 262144,
    "tie_word_embeddings": False, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128,
    "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_value_head_dim": 128,
    "layer_types": ["linear_attention"] * 3 + ["full_attention"],
}
QWEN35_9B_TEXT["layer_types"] = QWEN35_9B_TEXT["layer_types"] * 8


def test_a_dense_qwen3_5_config_counts_its_deltanet_and_attention_layers() -> None:
    wrapped = {"model_type": "qwen3_5", "text_config": QWEN35_9B_TEXT}
    arch = architecture_from_hf_config(wrapped)
    assert arch.total_params_b == arch.active_params_b == 8.95
    assert (arch.attention_type, arch.linear_attention_layers) == ("hybrid", 24)
    assert not arch.is_moe and arch.sliding_window_layers == 0
    # Only the 8 full-attention layers keep a KV cache: 8 × 2 × 4 heads × 256 × 2 bytes.
    assert kv_bytes_per_token(arch) == 32768


def test_deltanet_layers_keep_a_state_per_sequence() -> None:
    """Per Gated DeltaNet layer and sequence: 32 value heads' 128 × 128 recurrent state (FP32
    where the config asks for it, as Qwen3.5's does; else the 16-bit dtype) and the
    convolution's last 3 inputs of its 2 × 16 × 128 + 32 × 128 channels (16-bit)."""
    conv = (2 * 16 * 128 + 32 * 128) * 3 * 2
    plain = architecture_from_hf_config({"model_type": "qwen3_5", "text_config": QWEN35_9B_TEXT})
    assert plain.linear_state_bytes == 32 * 128 * 128 * 2 + conv
    fp32 = {**QWEN35_9B_TEXT, "mamba_ssm_dtype": "float32"}
    arch = architecture_from_hf_config({"model_type": "qwen3_5", "text_config": fp32})
    assert arch.linear_state_bytes == 32 * 128 * 128 * 4 + conv
    assert seed_catalog().model("Qwen/Qwen3.5-9B").architecture.linear_state_bytes == (
        arch.linear_state_bytes
    )
    with pytest.raises(ValueError, match="linear_state_bytes"):
        ModelArchitecture.model_validate(
            {**arch.model_dump(), "linear_attention_layers": 0, "attention_type": "gqa"}
        )


#: Qwen/Qwen3-Next-80B-A3B-Instruct's config.json keys: the release states the interval of its
#: full-attention layers, not their list.
QWEN3_NEXT = {
    "model_type": "qwen3_next", "num_hidden_layers": 48, "hidden_size": 2048,
    "intermediate_size": 5120, "moe_intermediate_size": 512,
    "shared_expert_intermediate_size": 512, "num_experts": 512, "num_experts_per_tok": 10,
    "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
    "vocab_size": 151936, "max_position_embeddings": 262144, "tie_word_embeddings": False,
    "full_attention_interval": 4, "linear_num_key_heads": 16, "linear_num_value_heads": 32,
    "linear_key_head_dim": 128, "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4,
}


def test_qwen3_next_takes_its_layer_kinds_from_the_interval() -> None:
    """Every fourth of 48 layers attends fully; the 80B's parameters without its MTP layer
    (79.67 B, 3.87 B active), and a 16-bit DeltaNet state (no ``mamba_ssm_dtype``)."""
    arch = architecture_from_hf_config(QWEN3_NEXT)
    assert (arch.linear_attention_layers, arch.n_shared_experts) == (36, 1)
    assert (arch.total_params_b, arch.active_params_b) == (79.67, 3.87)
    assert arch.linear_state_bytes == 32 * 128 * 128 * 2 + (2 * 16 * 128 + 32 * 128) * 3 * 2
    # 12 full-attention layers × 2 KV heads × 256 × 2 (K and V) × 2 bytes.
    assert kv_bytes_per_token(arch) == 12 * 2 * 256 * 2 * 2
    # The catalog adds what the base config.json cannot say: its FP8 release's weight blocks.
    catalogued = seed_catalog().model("qwen3-next").architecture
    assert catalogued == arch.model_copy(update={"fp8_weight_block": 128})


@pytest.mark.parametrize(
    ("quantization", "precision"),
    [
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, Precision.FP8),
        ({"quant_method": "awq", "bits": 4, "group_size": 128}, Precision.INT4),
        ({"quant_method": "gptq", "bits": 8}, Precision.INT8),
        ({"quant_method": "mxfp4"}, Precision.FP4),
        ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, Precision.FP4),
        ({"quant_method": "compressed-tensors",
          "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float"}}}},
         Precision.FP8),
        ({"quant_method": "compressed-tensors",
          "config_groups": {"group_0": {"weights": {"num_bits": 4, "type": "int"}}}},
         Precision.INT4),
        ({"quant_method": "something-new"}, None),
        # Malformed or unsupported widths: no guess, the user states --precision.
        ({"quant_method": "gptq", "bits": "four"}, None),
        ({"quant_method": "gptq", "bits": 3}, None),
        ({"quant_method": "compressed-tensors", "config_groups": {"g": "x"}}, None),
    ],
)
def test_the_checkpoint_precision_follows_its_quantization_config(
    quantization: dict[str, Any], precision: Precision | None
) -> None:
    assert checkpoint_precision({**LLAMA_31_8B, "quantization_config": quantization}) == precision


@pytest.mark.parametrize(
    ("quantization", "block"),
    [
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, 128),
        ({"quant_method": "fp8", "activation_scheme": "dynamic"}, None),
        ({"quant_method": "fp8", "weight_block_size": [128, 64]}, None),
        ({"quant_method": "awq", "bits": 4, "group_size": 128}, None),
    ],
)
def test_an_fp8_checkpoints_weight_blocks_come_from_its_quantization_config(
    quantization: dict[str, Any], block: int | None
) -> None:
    config = {**LLAMA_31_8B, "quantization_config": quantization}
    assert architecture_from_hf_config(config).fp8_weight_block == block
    assert architecture_from_hf_config(LLAMA_31_8B).fp8_weight_block is None


def test_the_catalog_names_block_scaled_fp8_releases() -> None:
    catalog = seed_catalog()
    for model_id in ("deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-14B", "Qwen/Qwen3.5-9B"):
        assert catalog.model(model_id).architecture.fp8_weight_block == 128
    for model_id in ("meta-llama/Llama-3.1-70B-Instruct", "zai-org/GLM-4.5-Air"):
        assert catalog.model(model_id).architecture.fp8_weight_block is None


def test_sliding_windows_follow_the_architecture_conventions() -> None:
    mistral = {**LLAMA_31_8B, "model_type": "mistral", "sliding_window": 4096,
               "max_position_embeddings": 32768}
    assert architecture_from_hf_config(mistral).sliding_window_layers == 32
    qwen2 = {**mistral, "model_type": "qwen2", "use_sliding_window": False}
    assert architecture_from_hf_config(qwen2).sliding_window_layers == 0
    gemma2 = {**mistral, "model_type": "gemma2", "num_hidden_layers": 42}
    assert architecture_from_hf_config(gemma2).sliding_window_layers == 21


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"hidden_size": 4096}, "no model_type"),
        ({**LLAMA_31_8B, "model_type": "rwkv"}, "no parameter formula for model_type 'rwkv'"),
        ({k: v for k, v in LLAMA_31_8B.items() if k != "vocab_size"}, "lacks 'vocab_size'"),
        ({**LLAMA_31_8B, "num_key_value_heads": 5}, "inconsistent model"),
        ({**LLAMA_31_8B, "num_attention_heads": 0}, "wrong type or size"),
        ({**LLAMA_31_8B, "hidden_size": "big"}, "wrong type or size"),
    ],
)
def test_a_config_that_cannot_be_read_is_a_clear_error(
    config: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        architecture_from_hf_config(config)


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("acme/support-13b", "acme/support-13b"),
        ("support bot v2", "custom/support-bot-v2"),
        ("/models/acme/$(rm -rf)/x", "rm--rf/x"),
        ("acme/[bold]x[/]", "acme/bold-x"),
    ],
)
def test_a_users_model_name_becomes_a_safe_catalog_id(name: str, model_id: str) -> None:
    assert model_id_for(name) == model_id


def test_a_name_with_nothing_usable_is_an_error() -> None:
    with pytest.raises(InputError, match="no usable characters"):
        model_id_for("$$$")


def test_a_users_model_card_offers_its_checkpoint_precision() -> None:
    card = model_card_from_hf_config(LLAMA_31_8B, name="acme/bot", source="config.json at x")
    assert card.precisions == (Precision.BF16, Precision.FP8) and card.tasks == ()
    assert card.provenance.kind.value == "derived" and card.family == "llama"
    awq = {**LLAMA_31_8B, "quantization_config": {"quant_method": "awq", "bits": 4}}
    assert model_card_from_hf_config(awq, name="b", source="s").precisions == (Precision.INT4,)


#: DeepSeek-V3.2's config.json (deepseek-ai/DeepSeek-V3.2), the keys the architecture reads.
DEEPSEEK_V32: dict[str, Any] = {
    "model_type": "deepseek_v32", "hidden_size": 7168, "num_hidden_layers": 61,
    "num_attention_heads": 128, "num_key_value_heads": 128, "intermediate_size": 18432,
    "moe_intermediate_size": 2048, "n_routed_experts": 256, "num_experts_per_tok": 8,
    "n_shared_experts": 1, "first_k_dense_replace": 3, "q_lora_rank": 1536,
    "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128,
    "vocab_size": 129280, "max_position_embeddings": 163840, "tie_word_embeddings": False,
    "index_topk": 2048, "index_n_heads": 64, "index_head_dim": 128,
    "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]},
}


def test_a_sparse_attention_config_gives_the_catalog_indexer() -> None:
    arch = architecture_from_hf_config(DEEPSEEK_V32)
    card = seed_catalog().model("deepseek-ai/DeepSeek-V3.2").architecture
    sparse = ("sparse_attention_topk", "indexer_heads", "indexer_head_dim")
    assert [getattr(arch, f) for f in sparse] == [2048, 64, 128]
    assert [getattr(card, f) for f in sparse] == [2048, 64, 128]
    assert arch.total_params_b == pytest.approx(card.total_params_b, rel=2e-3)
    # Per token and layer: the bf16 latent (512 + 64) × 2 plus the FP8 indexer key, 128
    # bytes and one 4-byte scale.
    assert kv_bytes_per_token(arch) == 61 * (576 * 2 + 132)


def test_shared_indexer_layers_cache_no_indexer_keys() -> None:
    """GLM-5.2's ``indexer_types``: 21 "full" layers run the indexer, 57 "shared" ones reuse a
    preceding layer's selection, so only 21 layers cache indexer keys and score tokens."""
    types = ["full"] * 21 + ["shared"] * 40
    arch = architecture_from_hf_config({**DEEPSEEK_V32, "indexer_types": types})
    assert arch.indexer_layers == 21
    assert kv_bytes_per_token(arch) == 61 * 576 * 2 + 21 * 132
    everywhere = architecture_from_hf_config(DEEPSEEK_V32)
    assert everywhere.indexer_layers is None
    assert step_shape(arch, Precision.FP8, tp=8).index_flops_per_pair == pytest.approx(
        step_shape(everywhere, Precision.FP8, tp=8).index_flops_per_pair * 21 / 61
    )
    assert seed_catalog().model("zai-org/GLM-5.2").architecture.indexer_layers == 21


def test_indexer_layers_need_sparse_attention() -> None:
    dense = architecture_from_hf_config(DEEPSEEK_V32).model_copy(
        update={"sparse_attention_topk": None, "indexer_heads": None, "indexer_head_dim": None}
    )
    with pytest.raises(ValueError, match="indexer_layers"):
        ModelArchitecture.model_validate({**dense.model_dump(), "indexer_layers": 4})
    sparse = architecture_from_hf_config(DEEPSEEK_V32)
    with pytest.raises(ValueError, match="indexer_layers"):
        ModelArchitecture.model_validate({**sparse.model_dump(), "indexer_layers": 62})
