"""A Hugging Face ``config.json`` → :class:`ModelArchitecture`: dimensions and parameter counts.

For a model outside the catalog (a private fine-tune, a new release) the performance engine
needs only its ``config.json``: ``predeploy predict --model-config config.json`` and the
catalog builder (``tools/build_models.py``) both use :func:`architecture_from_hf_config`.

Parameter counts (:func:`count_params`) come from per-architecture formulas: every weight
matrix, bias and norm vector of the language model (vision towers and multi-token-prediction
modules are not counted). ``active`` = total minus the routed experts a token does not use, so
it includes the embedding table and LM head. A multimodal config's ``text_config`` is the
language model's. The weight precision a checkpoint ships in follows its
``quantization_config`` (FP8, AWQ/GPTQ 4/8-bit, MXFP4/NVFP4, compressed-tensors), else
``torch_dtype``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from predeploy.core.errors import InputError
from predeploy.core.types import FactKind, ModelArchitecture, ModelCard, Precision, Provenance

Config = dict[str, Any]

#: DeciLM / Nemotron-NAS FFN width rule: ``ffn_mult`` x hidden x 2/3 rounded up to a multiple of
#: 256 (vLLM / SGLang ``nemotron_nas.py`` ``_ffn_mult_to_intermediate_size``).
NAS_FFN_ROUND = 256


def _g(c: Config, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if c.get(key) is not None:
            return c[key]
    return default


class Dims:
    """The config dimensions the formulas use, with Hugging Face key aliases resolved."""

    def __init__(self, c: Config) -> None:
        self.c = c
        self.type = c.get("model_type", "")
        self.layers = int(_g(c, "num_hidden_layers", "n_layer", "num_layers"))
        self.hidden = int(_g(c, "hidden_size", "n_embd"))
        self.heads = int(_g(c, "num_attention_heads", "n_head"))
        self.kv_heads = int(_g(c, "num_key_value_heads", "num_kv_heads", default=self.heads))
        self.head_dim = int(_g(c, "head_dim", default=self.hidden // self.heads))
        default_inter = c.get("moe_intermediate_size") or 4 * self.hidden
        self.inter = int(_g(c, "intermediate_size", "ffn_hidden_size", "n_inner",
                            default=default_inter))
        self.vocab = int(c["vocab_size"])
        self.experts = int(_g(c, "n_routed_experts", "num_local_experts", "num_experts",
                              default=0))
        self.top_k = int(_g(c, "num_experts_per_tok", "experts_per_token", default=0))
        self.moe_inter = int(_g(c, "moe_intermediate_size", default=self.inter))
        self.tied = bool(c.get("tie_word_embeddings", False))


def _norms(d: Dims, per_layer: int) -> int:
    return d.layers * per_layer * d.hidden + d.hidden


def _gqa_attention(d: Dims, qkv_bias: bool = False, o_bias: bool = False,
                   qk_norm: bool = False) -> int:
    q = d.hidden * d.heads * d.head_dim
    kv = 2 * d.hidden * d.kv_heads * d.head_dim
    o = d.heads * d.head_dim * d.hidden
    bias = (d.heads + 2 * d.kv_heads) * d.head_dim if qkv_bias else 0
    bias += d.hidden if o_bias else 0
    return q + kv + o + bias + (2 * d.head_dim if qk_norm else 0)


def _mla_attention(c: Config, d: Dims) -> int:
    nope, rope = int(c["qk_nope_head_dim"]), int(c["qk_rope_head_dim"])
    v_dim, kv_rank = int(c["v_head_dim"]), int(c["kv_lora_rank"])
    q_rank = int(c.get("q_lora_rank") or 0)
    if q_rank:
        q = d.hidden * q_rank + q_rank + q_rank * d.heads * (nope + rope)
    else:
        q = d.hidden * d.heads * (nope + rope)
    kv = d.hidden * (kv_rank + rope) + kv_rank + kv_rank * d.heads * (nope + v_dim)
    o = d.heads * v_dim * d.hidden
    indexer = 0
    if c.get("index_n_heads"):  # DeepSeek Sparse Attention lightning indexer (V3.2, GLM-5)
        n_idx, d_idx = int(c["index_n_heads"]), int(c["index_head_dim"])
        indexer = q_rank * n_idx * d_idx + d.hidden * d_idx + 2 * d_idx + d.hidden * n_idx
    return q + kv + o + indexer


def _gated_mlp(hidden: int, inter: int) -> int:
    return 3 * hidden * inter


def _embeddings(d: Dims) -> int:
    return d.vocab * d.hidden * (1 if d.tied else 2)


#: ``model_type`` values :func:`count_params` has a formula for (the text model's, after a
#: multimodal config's ``text_config`` is merged in).
MODEL_TYPES = frozenset({
    "llama", "mistral", "granite", "phi3", "qwen2", "qwen3", "gemma2", "gemma3_text", "falcon",
    "gptj", "mixtral", "qwen3_moe", "minimax_m2", "gpt_oss", "llama4_text", "deepseek_v2",
    "deepseek_v3", "deepseek_v32", "kimi_k2", "glm_moe_dsa", "glm4_moe", "qwen3_5_text",
    "qwen3_5_moe_text", "qwen3_next", "granitemoehybrid", "nemotron-nas",
})


#: Qwen3.5's text models and Qwen3-Next, their MoE forerunner: DeltaNet and full-attention
#: layers, no sliding window.
QWEN3_5_TYPES = frozenset({"qwen3_5_text", "qwen3_5_moe_text", "qwen3_next"})
#: Of those, the ones whose MLPs are routed experts plus one shared expert.
QWEN3_5_MOE_TYPES = frozenset({"qwen3_5_moe_text", "qwen3_next"})


def count_params(c: Config) -> tuple[int, int]:
    """(total, active) parameters of the language model described by ``c``."""
    d = Dims(c)
    t = d.type
    if t in {"llama", "mistral", "granite", "phi3", "qwen2", "qwen3", "gemma2", "gemma3_text"}:
        qkv_bias = t == "qwen2"
        qk_norm = t in {"qwen3", "gemma3_text"}
        norms = 4 if t.startswith("gemma") else 2
        per_layer = _gqa_attention(d, qkv_bias=qkv_bias, qk_norm=qk_norm) + _gated_mlp(
            d.hidden, d.inter)
        total = d.layers * per_layer + _norms(d, norms) + _embeddings(d)
        return total, total
    if t == "falcon":  # parallel attention + MLP, non-gated GELU MLP, LayerNorms with bias
        per_layer = (d.hidden * (d.heads + 2 * d.kv_heads) * d.head_dim + d.hidden * d.hidden
                     + 2 * d.hidden * d.inter + 2 * 2 * d.hidden)
        total = d.layers * per_layer + 2 * d.hidden + _embeddings(d)
        return total, total
    if t == "gptj":  # q,k,v,o without bias; MLP fc_in/fc_out with bias; LM head with bias
        per_layer = 4 * d.hidden * d.hidden + 2 * d.hidden * d.inter + d.inter + d.hidden
        per_layer += 2 * d.hidden
        total = d.layers * per_layer + 2 * d.hidden + _embeddings(d) + d.vocab
        return total, total
    if t in {"mixtral", "qwen3_moe", "minimax_m2"}:
        qk_norm = t == "qwen3_moe"
        attn = _gqa_attention(d, qk_norm=qk_norm)
        if t == "minimax_m2":  # per-layer q/k RMSNorm over all heads
            attn += (d.heads + d.kv_heads) * d.head_dim
        expert = _gated_mlp(d.hidden, d.moe_inter)
        router = d.hidden * d.experts + (d.experts if t == "minimax_m2" else 0)
        total = d.layers * (attn + d.experts * expert + router) + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    if t == "gpt_oss":  # biases everywhere, attention sinks, MoE experts with biases
        attn = _gqa_attention(d, qkv_bias=True, o_bias=True) + d.heads
        expert = 3 * d.hidden * d.moe_inter + 2 * d.moe_inter + d.hidden
        router = d.hidden * d.experts + d.experts
        total = d.layers * (attn + d.experts * expert + router) + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    if t == "llama4_text":
        attn = _gqa_attention(d)
        step = int(c.get("interleave_moe_layer_step", 1))
        moe_layers = sum(1 for i in range(d.layers) if (i + 1) % step == 0)
        dense_layers = d.layers - moe_layers
        expert = _gated_mlp(d.hidden, d.inter)
        moe = d.experts * expert + expert + d.hidden * d.experts  # routed + 1 shared + router
        dense = _gated_mlp(d.hidden, int(c["intermediate_size_mlp"]))
        total = (d.layers * attn + moe_layers * moe + dense_layers * dense + _norms(d, 2)
                 + _embeddings(d))
        active = total - moe_layers * (d.experts - d.top_k) * expert
        return total, active
    if t in {"deepseek_v2", "deepseek_v3", "deepseek_v32", "kimi_k2", "glm_moe_dsa", "glm4_moe"}:
        if t == "glm4_moe":
            attn = _gqa_attention(d, qkv_bias=True, qk_norm=bool(c.get("use_qk_norm")))
        else:
            attn = _mla_attention(c, d) + 2 * 0
        dense_n = int(c.get("first_k_dense_replace", 0))
        moe_n = d.layers - dense_n
        expert = _gated_mlp(d.hidden, d.moe_inter)
        shared = int(c.get("n_shared_experts", 0)) * expert
        router = d.hidden * d.experts  # gate
        if t != "deepseek_v2":  # V2 routes greedily without the e_score_correction_bias
            router += d.experts
        total = (d.layers * attn + dense_n * _gated_mlp(d.hidden, d.inter)
                 + moe_n * (d.experts * expert + shared + router) + _norms(d, 2)
                 + _embeddings(d))
        active = total - moe_n * (d.experts - d.top_k) * expert
        return total, active
    if t == "qwen3_5_text":  # dense Qwen3.5: the MoE variant's attention, a gated MLP
        total = (_qwen3_5_attention(c, d) + d.layers * _gated_mlp(d.hidden, d.inter)
                 + _norms(d, 2) + _embeddings(d))
        return total, total
    if t in QWEN3_5_MOE_TYPES:
        expert = _gated_mlp(d.hidden, d.moe_inter)
        shared = _gated_mlp(d.hidden, int(c["shared_expert_intermediate_size"])) + d.hidden
        moe = d.experts * expert + shared + d.hidden * d.experts
        total = _qwen3_5_attention(c, d) + d.layers * moe + _norms(d, 2) + _embeddings(d)
        active = total - d.layers * (d.experts - d.top_k) * expert
        return total, active
    if t == "granitemoehybrid":
        return _granite_hybrid(c, d)
    if t == "nemotron-nas":
        return _nemotron_nas(c, d)
    raise InputError(
        f"no parameter formula for model_type {t!r}; known: {', '.join(sorted(MODEL_TYPES))}"
    )


#: Bytes of a linear-attention layer's convolution state element (the model's 16-bit dtype:
#: vLLM's ``mamba_cache_dtype`` ``auto``) and of its recurrent state's, unless the config asks
#: for FP32 (``mamba_ssm_dtype: float32``, as Qwen3.5's does: vLLM takes it for
#: ``--mamba-ssm-cache-dtype auto``, ``ModelConfig`` rewrite for Qwen3.5; SGLang's
#: ``--mamba-ssm-dtype`` defaults to float32 for every such model).
STATE_ELEMENT_BYTES = 2
FP32_STATE_ELEMENT_BYTES = 4


def _ssm_element_bytes(c: Config) -> int:
    fp32 = str(c.get("mamba_ssm_dtype", "")).lower() in ("float32", "fp32")
    return FP32_STATE_ELEMENT_BYTES if fp32 else STATE_ELEMENT_BYTES


def delta_net_state_bytes(c: Config) -> int:
    """Per sequence and Gated DeltaNet layer: the recurrent state, one ``key dim × value dim``
    matrix per value head, and the causal convolution's last ``kernel − 1`` inputs of its
    q/k/v channels (vLLM ``MambaStateShapeCalculator.gated_delta_net_state_shape``)."""
    nk, dk = int(c["linear_num_key_heads"]), int(c["linear_key_head_dim"])
    nv, dv = int(c["linear_num_value_heads"]), int(c["linear_value_head_dim"])
    conv_channels = 2 * nk * dk + nv * dv
    conv = conv_channels * (int(c["linear_conv_kernel_dim"]) - 1) * STATE_ELEMENT_BYTES
    return nv * dk * dv * _ssm_element_bytes(c) + conv


def mamba2_state_bytes(c: Config, d: Dims) -> int:
    """Per sequence and Mamba-2 layer: the SSM state, ``inner width × state size``, and the
    convolution's last ``kernel − 1`` inputs of its ``inner + 2 × groups × state`` channels
    (vLLM ``MambaStateShapeCalculator.mamba2_state_shape``)."""
    d_inner = int(c["mamba_expand"]) * d.hidden
    d_state, groups = int(c["mamba_d_state"]), int(c["mamba_n_groups"])
    conv_channels = d_inner + 2 * groups * d_state
    conv = conv_channels * (int(c["mamba_d_conv"]) - 1) * STATE_ELEMENT_BYTES
    return d_inner * d_state * _ssm_element_bytes(c) + conv


def _qwen3_5_attention(c: Config, d: Dims) -> int:
    """Qwen3.5's token mixers over all layers: gated DeltaNet (linear attention: q/k/v, the
    z and the a/b gates, the causal convolution, the decay, a gated norm, the output) or gated
    full attention (q doubled for its output gate, q/k norms), as ``layer_types`` lists them."""
    nk, dk = int(c["linear_num_key_heads"]), int(c["linear_key_head_dim"])
    nv, dv = int(c["linear_num_value_heads"]), int(c["linear_value_head_dim"])
    kernel = int(c["linear_conv_kernel_dim"])
    linear = (d.hidden * (2 * nk * dk + 2 * nv * dv) + d.hidden * 2 * nv
              + (2 * nk * dk + nv * dv) * kernel + 2 * nv + dv + nv * dv * d.hidden)
    full = (d.hidden * d.heads * d.head_dim * 2 + 2 * d.hidden * d.kv_heads * d.head_dim
            + d.heads * d.head_dim * d.hidden + 2 * d.head_dim)
    return sum(linear if k == "linear_attention" else full for k in c["layer_types"])


def granite_layer_counts(c: Config) -> tuple[int, int]:
    """(mamba, attention) layer counts of a Granite 4.0 hybrid config.

    From ``layer_types`` when transcribed in full, else from ``layer_type_counts`` (a tally of it).
    """
    kinds = c.get("layer_types")
    counts = ({k: kinds.count(k) for k in set(kinds)} if kinds
              else dict(c["layer_type_counts"]))
    return int(counts.get("mamba", 0)), int(counts.get("attention", 0))


def _granite_hybrid(c: Config, d: Dims) -> tuple[int, int]:
    """Granite 4.0 (``GraniteMoeHybridForCausalLM``): Mamba-2 or GQA mixer, then MoE + shared MLP.

    Mamba-2 mixer (transformers ``GraniteMoeHybridMambaLayer``): in_proj hidden x (2 d_inner +
    2 groups d_state + heads), depthwise conv over d_inner + 2 groups d_state channels (kernel
    ``mamba_d_conv``, bias), dt_bias / A_log / D per head, gated RMSNorm over d_inner, out_proj
    d_inner x hidden. Every layer also has the routed experts (3 x hidden x intermediate each, a
    bias-free router) and the shared MLP (3 x hidden x shared_intermediate_size).
    """
    n_mamba, n_attn = granite_layer_counts(c)
    if n_mamba + n_attn != d.layers:
        raise InputError("layer_types do not add up to num_hidden_layers")
    d_inner = int(c["mamba_expand"]) * d.hidden
    m_heads, groups = int(c["mamba_n_heads"]), int(c["mamba_n_groups"])
    d_state, kernel = int(c["mamba_d_state"]), int(c["mamba_d_conv"])
    conv_dim = d_inner + 2 * groups * d_state
    mamba = (d.hidden * (d_inner + conv_dim + m_heads) + conv_dim * kernel
             + (conv_dim if c.get("mamba_conv_bias", True) else 0) + 3 * m_heads + d_inner
             + d_inner * d.hidden + (d.hidden if c.get("mamba_proj_bias") else 0))
    expert = _gated_mlp(d.hidden, d.moe_inter)
    moe = d.experts * expert + d.hidden * d.experts if d.experts else 0
    shared = _gated_mlp(d.hidden, int(c.get("shared_intermediate_size") or 0))
    total = (n_mamba * mamba + n_attn * _gqa_attention(d) + d.layers * (moe + shared)
             + _norms(d, 2) + _embeddings(d))
    active = total - d.layers * (d.experts - d.top_k) * expert
    return total, active


def nas_blocks(c: Config) -> list[tuple[int, int]]:
    """Per layer of a Nemotron-NAS (DeciLM) config: (kv heads or 0 if no attention, FFN width).

    ``n_heads_in_group`` query heads share one KV head; a ``no_op`` attention block has no
    attention at all (no KV cache); ``replace_with_linear`` blocks are not supported here.
    """
    heads, hidden = int(c["num_attention_heads"]), int(c["hidden_size"])
    out: list[tuple[int, int]] = []
    for block in c["block_configs"]:
        attn, ffn = block["attention"], block["ffn"]
        if attn.get("replace_with_linear") or ffn.get("replace_with_linear"):
            raise InputError("nemotron-nas: replace_with_linear blocks are not supported")
        kv = 0 if attn["no_op"] else heads // int(attn["n_heads_in_group"])
        width = 0
        if not ffn["no_op"]:
            width = int(2 * float(ffn["ffn_mult"]) * hidden / 3)
            width += -width % NAS_FFN_ROUND
        out.append((kv, width))
    return out


def _nemotron_nas(c: Config, d: Dims) -> tuple[int, int]:
    """Nemotron-NAS: Llama blocks with per-layer GQA group size / no-op attention and FFN width.

    Each present attention has its own input RMSNorm and each present FFN its post-attention
    RMSNorm (vLLM ``DeciLMDecoderLayer``); no biases; untied embeddings.
    """
    total = _embeddings(d) + d.hidden  # + final norm
    head_dim = d.hidden // d.heads
    for kv, width in nas_blocks(c):
        if kv:
            total += 2 * d.hidden * d.heads * head_dim + 2 * d.hidden * kv * head_dim + d.hidden
        if width:
            total += _gated_mlp(d.hidden, width) + d.hidden
    return total, total


def text_config(raw: Mapping[str, Any]) -> Config:
    """The language model's config: a multimodal config's ``text_config`` over its top level
    (which keeps ``quantization_config`` and ``torch_dtype``)."""
    text = raw.get("text_config")
    c = {**raw, **text} if isinstance(text, Mapping) else dict(raw)
    interval = c.get("full_attention_interval")
    if c.get("model_type") in QWEN3_5_TYPES and "layer_types" not in c and interval:
        # Qwen3-Next's release config states only the interval: every ``interval``-th layer
        # attends fully, the others are DeltaNet (the layer_types later re-saves spell out).
        c["layer_types"] = [
            "full_attention" if (i + 1) % int(interval) == 0 else "linear_attention"
            for i in range(int(c["num_hidden_layers"]))
        ]
    return c


def architecture_fields(c: Config, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The :class:`ModelArchitecture` fields of config ``c`` except the parameter counts and
    the precision."""
    d = Dims(c)
    t = d.type
    arch: dict[str, Any] = {
        "num_layers": d.layers,
        "hidden_size": d.hidden,
        "num_attention_heads": d.heads,
        "num_kv_heads": d.kv_heads,
        "head_dim": d.head_dim,
        "intermediate_size": d.inter,
        "vocab_size": d.vocab,
        "max_context_tokens": int(_g(c, "max_position_embeddings", "n_positions")),
        "tie_word_embeddings": d.tied,
    }
    if d.kv_heads == d.heads:
        arch["attention_type"] = "mha"
    elif d.kv_heads == 1:
        arch["attention_type"] = "mqa"
    else:
        arch["attention_type"] = "gqa"
    if d.experts:
        arch.update(num_experts=d.experts, experts_per_token=d.top_k,
                    moe_intermediate_size=d.moe_inter)
    if c.get("kv_lora_rank"):
        arch.update(attention_type="mla", mla_kv_lora_rank=int(c["kv_lora_rank"]),
                    mla_qk_rope_head_dim=int(c["qk_rope_head_dim"]),
                    head_dim=int(c["qk_nope_head_dim"]) + int(c["qk_rope_head_dim"]))
    if c.get("n_shared_experts"):
        arch["n_shared_experts"] = int(c["n_shared_experts"])
    if c.get("first_k_dense_replace"):
        arch["num_dense_layers"] = int(c["first_k_dense_replace"])
    if t == "llama4_text":
        step = int(c.get("interleave_moe_layer_step", 1))
        arch["n_shared_experts"] = 1
        arch["num_dense_layers"] = d.layers - sum(
            1 for i in range(d.layers) if (i + 1) % step == 0)
    if t in QWEN3_5_MOE_TYPES:
        arch["n_shared_experts"] = 1
    if t in QWEN3_5_TYPES:
        arch["attention_type"] = "hybrid"
        arch["linear_attention_layers"] = sum(
            1 for k in c["layer_types"] if k == "linear_attention")
        arch["linear_state_bytes"] = delta_net_state_bytes(c)
    if t == "granitemoehybrid":  # Mamba-2 layers keep a fixed-size state, no per-token KV
        arch.update(attention_type="hybrid", linear_attention_layers=granite_layer_counts(c)[0],
                    linear_state_bytes=mamba2_state_bytes(c, d))
        if d.experts and c.get("shared_intermediate_size"):
            arch["n_shared_experts"] = 1
    if t == "nemotron-nas":  # no-op attention layers hold no KV cache at all
        blocks = nas_blocks(c)
        kv_heads = {kv for kv, _ in blocks if kv}
        if len(kv_heads) != 1:
            raise InputError("nemotron-nas: mixed KV head counts are not representable")
        arch.update(num_kv_heads=kv_heads.pop(), intermediate_size=max(w for _, w in blocks),
                    attention_type="hybrid",
                    linear_attention_layers=sum(1 for kv, _ in blocks if not kv))
    if c.get("index_topk") and c.get("index_n_heads"):  # DeepSeek Sparse Attention
        arch.update(sparse_attention_topk=int(c["index_topk"]),
                    indexer_heads=int(c["index_n_heads"]),
                    indexer_head_dim=int(c["index_head_dim"]))
        if c.get("indexer_types"):  # GLM-5.2: "shared" layers reuse a "full" layer's top-k
            arch["indexer_layers"] = sum(1 for k in c["indexer_types"] if k == "full")
    arch.update(_windowed_layers(c, d))
    arch.update(overrides or {})
    return arch


def _windowed_layers(c: Config, d: Dims) -> dict[str, int]:
    """``sliding_window`` and ``sliding_window_layers`` of config ``c`` (none when every layer
    attends globally). ``layer_types`` names the sliding layers when present; otherwise the
    architecture's convention: Gemma 2 alternates (half the layers), Gemma 3 keeps one global
    layer per ``sliding_window_pattern`` (6), Llama 4's chunked attention skips every fourth
    layer (``attention_chunk_size`` as the window), and other models with a window shorter
    than their context (Mistral 7B v0.1, Phi-3) apply it to every layer unless
    ``use_sliding_window`` is false (Qwen2)."""
    t = d.type
    if t == "llama4_text" and c.get("attention_chunk_size"):
        return {"sliding_window": int(c["attention_chunk_size"]),
                "sliding_window_layers": d.layers - d.layers // 4}
    window = int(c.get("sliding_window") or 0)
    context = int(_g(c, "max_position_embeddings", "n_positions", default=0) or 0)
    if not window or t in QWEN3_5_TYPES | {"granitemoehybrid"}:
        return {}
    layer_types = c.get("layer_types")
    if layer_types:
        return {"sliding_window": window,
                "sliding_window_layers": sum(1 for k in layer_types if "sliding" in k)}
    if c.get("use_sliding_window") is False or (context and window >= context):
        return {}
    if t == "gemma2":
        layers = d.layers // 2
    elif t == "gemma3_text":
        layers = d.layers - d.layers // int(c.get("sliding_window_pattern") or 6)
    else:
        layers = d.layers
    return {"sliding_window": window, "sliding_window_layers": layers}


#: ``quantization_config.quant_method`` values whose weights are 8-bit floats.
FP8_METHODS = frozenset({"fp8", "fbgemm_fp8"})
#: Integer weight-only methods: the bit width picks INT4 or INT8.
INTEGER_METHODS = frozenset({"awq", "gptq", "awq_marlin", "gptq_marlin", "bitsandbytes"})


def fp8_weight_block(c: Mapping[str, Any]) -> int | None:
    """The edge of the square blocks an FP8 checkpoint scales its weights by
    (``quantization_config.weight_block_size``, e.g. ``[128, 128]``); None for any other
    checkpoint or a block that is not square."""
    q = c.get("quantization_config")
    if not isinstance(q, Mapping) or checkpoint_precision(c) != Precision.FP8:
        return None
    block = q.get("weight_block_size")
    if not isinstance(block, (list, tuple)) or len(block) != 2 or block[0] != block[1]:
        return None
    edge = block[0]
    return edge if isinstance(edge, int) and edge > 0 else None


def checkpoint_precision(c: Mapping[str, Any]) -> Precision | None:
    """The weight precision a checkpoint ships in: its ``quantization_config`` (``None`` for a
    method not recognised), else ``torch_dtype`` (FP16 for float16, BF16 otherwise)."""
    q = c.get("quantization_config")
    if not isinstance(q, Mapping):
        dtype = str(c.get("torch_dtype") or c.get("dtype") or "bfloat16")
        return Precision.FP16 if dtype in ("float16", "torch.float16") else Precision.BF16
    method = str(q.get("quant_method", "")).lower()
    if method in FP8_METHODS:
        return Precision.FP8
    if method == "mxfp4":
        return Precision.FP4
    if method in INTEGER_METHODS:
        if q.get("load_in_4bit"):
            return Precision.INT4
        return _BY_BITS["int"].get(_bits(q.get("bits") or q.get("w_bit") or 4))
    if method == "modelopt":
        algo = str(q.get("quant_algo", "")).upper()
        return {"FP8": Precision.FP8, "NVFP4": Precision.FP4, "W4A16_AWQ": Precision.INT4,
                "W4A8_AWQ": Precision.INT4}.get(algo)
    if method == "compressed-tensors":
        groups = q.get("config_groups")
        for group in groups.values() if isinstance(groups, Mapping) else ():
            weights = group.get("weights") if isinstance(group, Mapping) else None
            if not isinstance(weights, Mapping):
                continue
            kind = "float" if weights.get("type") == "float" else "int"
            return _BY_BITS[kind].get(_bits(weights.get("num_bits")))
    return None


#: Weight precision by number format and bit width (quantization configs).
_BY_BITS: dict[str, dict[int, Precision]] = {
    "int": {8: Precision.INT8, 4: Precision.INT4},
    "float": {8: Precision.FP8, 4: Precision.FP4},
}


def _bits(value: Any) -> int:
    """A config's bit width (0, matching no format, when it is not a whole number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def architecture_from_hf_config(raw: Mapping[str, Any]) -> ModelArchitecture:
    """The :class:`ModelArchitecture` of a Hugging Face ``config.json`` (parameter counts by
    :func:`count_params`, rounded to 0.01 B as the catalog's; the checkpoint's precision as
    its native one, BF16 when its quantization method is not recognised)."""
    c = text_config(raw)
    if not c.get("model_type"):
        raise InputError("config.json has no model_type")
    try:
        total, active = count_params(c)
        fields = architecture_fields(c)
    except KeyError as exc:
        raise InputError(
            f"config.json (model_type {c['model_type']!r}) lacks {exc.args[0]!r}"
        ) from None
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise InputError(f"config.json has a value of the wrong type or size: {exc}") from None
    fields.update(
        total_params_b=round(total / 1e9, 2),
        active_params_b=round(active / 1e9, 2),
        native_precision=checkpoint_precision(raw) or Precision.BF16,
        fp8_weight_block=fp8_weight_block(raw),
    )
    try:
        return ModelArchitecture.model_validate(fields)
    except ValueError as exc:
        raise InputError(f"config.json describes an inconsistent model: {exc}") from None


#: Characters a catalog model id keeps besides ``/``; anything else becomes ``-``.
_UNSAFE_ID = re.compile(r"[^\w.\-/]+")


def model_id_for(name: str) -> str:
    """A catalog-style ``owner/name`` id for a user's model name (the id reaches manifests and
    labels): characters outside letters, digits and ``_ . -`` become ``-``; a path keeps its
    last two parts; ``custom/`` is the owner when there is none."""
    parts = [p.strip("-.")[:100] for p in _UNSAFE_ID.sub("-", name).split("/")]
    parts = [p for p in parts if p]
    if not parts:
        raise InputError(f"model name {name!r} has no usable characters")
    owner, model = (["custom", *parts])[-2:]
    return f"{owner}/{model}"


def model_card_from_hf_config(raw: Mapping[str, Any], *, name: str, source: str) -> ModelCard:
    """A catalog card for a model known only by its ``config.json`` (``source``: where it was
    read). Its precisions: the checkpoint's, plus FP8 quantized on the fly (vLLM
    ``--quantization fp8``) for a 16-bit checkpoint; its tasks and quality are unknown, so the
    planner plans it only when it is named."""
    arch = architecture_from_hf_config(raw)
    native = arch.native_precision
    precisions = (native, Precision.FP8) if native in (Precision.BF16, Precision.FP16) else (
        native,
    )
    model_id = model_id_for(name)
    return ModelCard(
        id=model_id,
        name=model_id.split("/", 1)[1],
        family=str(text_config(raw).get("model_type")),
        license="unknown (the user's model)",
        tasks=(),
        architecture=arch,
        precisions=precisions,
        provenance=Provenance(
            source=source,
            kind=FactKind.DERIVED,
            notes="architecture and parameter counts computed from the config.json by "
            "predeploy.core.hf_config",
        ),
    )
