"""Weight bytes: parameters split by role, bytes per weight by precision, the share per GPU.

A checkpoint stores each parameter at its precision's bytes (``BYTES_PER_WEIGHT``, scales
included), except the embedding table and LM head, which stay in 16 bits, and, in four-bit MoE
checkpoints, the non-expert linear layers. Tensor parallelism splits every linear layer (and the
vocabulary) ``tp`` ways, pipeline parallelism the layers ``pp`` ways; wide expert parallelism
keeps every non-expert weight on every GPU and spreads the experts.
"""

from __future__ import annotations

from dataclasses import dataclass

from predeploy.core.kv_cache import DEFAULT_MLA_ROPE_DIM
from predeploy.core.types import Engine, GpuSpec, ModelArchitecture, Precision

#: Bytes per weight element for each stored precision, including quantization scales.
#: bf16/fp16: 2 B. fp8/int8: 1 B plus per-channel or 128×128-block scales (< 0.1 %, ignored).
#: int4: AWQ/GPTQ with group size 128 stores a 16-bit scale and a 4-bit zero per 128 weights:
#: (128 × 4 + 20) / 128 = 4.16 bits (AutoAWQ / GPTQ formats). fp4: MXFP4 stores one E8M0 scale
#: per 32 weights: 4 + 8/32 = 4.25 bits (OCP Microscaling spec v1.0; gpt-oss checkpoints). NVFP4
#: (one E4M3 scale per 16, NVIDIA ModelOpt) is 4.5 bits, 6 % more; we take the MXFP4 figure
#: because natively-FP4 checkpoints use it.
BYTES_PER_WEIGHT: dict[Precision, float] = {
    Precision.BF16: 2.0,
    Precision.FP16: 2.0,
    Precision.FP8: 1.0,
    Precision.INT8: 1.0,
    Precision.INT4: (128 * 4 + 20) / 128 / 8,
    Precision.FP4: 4.25 / 8,
}

#: Bytes vLLM holds per checkpoint byte of routed experts for four-bit MoE checkpoints on
#: NVIDIA GPUs that serve FP4 weight-only (no FP4 tensor cores: Ampere, Ada, Hopper; vLLM 0.11's
#: Marlin/Triton MXFP4 MoE kernels, whose weight layout is larger; why is not documented, a
#: padded layout being the likely cause). Measured from vLLM's startup line
#: "Model loading took X GiB memory", less the 16-bit layers, over the checkpoint's expert bytes:
#: gpt-oss-20b on A100-80GB, 13.72 GiB against a 12.8 GiB checkpoint (experts 9.455 GiB →
#: ×1.097; myoceane.fr post 10289, "vLLM 部署地端模型系統訊息記錄 A100", 2026-04-18);
#: gpt-oss-120b on one 80 GB GPU, vLLM 0.11.2, 65.9651 GiB against 60.8 GiB (experts
#: 56.73 GiB → ×1.092; blog.huikang.dev, "vLLM logs", 2025-12-28; the same figure in
#: ovg-project/kvcached#187). Their mean. Not known for FP4 tensor-core GPUs (Blackwell) or
#: for other engines: 1 there.
VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR = 1.094

#: Embedding table and LM head stay in 16 bits under fp8/int/fp4 quantization (vLLM's fp8 and
#: AWQ/GPTQ methods, and NVIDIA ModelOpt checkpoints, quantize only the transformer linear layers).
UNQUANTIZED_BYTES_PER_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class ParamBreakdown:
    """Parameter counts (not billions: plain counts) split by what they do.

    ``experts`` counts all routed experts of all MoE layers; ``one_expert`` is one routed expert
    summed over the MoE layers. ``linear`` is everything that passes through a matmul for
    every token except routed experts: attention, dense MLPs, shared experts, routers.
    """

    embedding: float
    lm_head: float
    linear: float
    experts: float
    one_expert: float

    @property
    def total(self) -> float:
        return self.embedding + self.lm_head + self.linear + self.experts


def param_breakdown(model: ModelArchitecture) -> ParamBreakdown:
    """Split ``total_params_b`` into embeddings, LM head, dense linear layers and experts.

    Routed experts: one expert across the MoE layers has ``3 × hidden × moe_intermediate ×
    moe_layers`` parameters (gate, up, down) when ``moe_intermediate_size`` is known; otherwise
    ``(total − active) / (num_experts − experts_per_token)`` (the inactive experts are exactly
    the difference between total and active parameters).
    """
    total = model.total_params_b * 1e9
    embedding = float(model.vocab_size * model.hidden_size)
    lm_head = 0.0 if model.tie_word_embeddings else embedding
    body = max(total - embedding - lm_head, 0.5 * total)
    experts = one_expert = 0.0
    if model.is_moe:
        moe_layers = max(model.num_layers - model.num_dense_layers, 1)
        if model.moe_intermediate_size is not None:
            one_expert = 3.0 * model.hidden_size * model.moe_intermediate_size * moe_layers
        idle = model.num_experts - model.experts_per_token
        if (one_expert == 0.0 or one_expert * model.num_experts > body) and idle > 0:
            one_expert = (model.total_params_b - model.active_params_b) * 1e9 / idle
        room = max(body - _attention_params(model), 0.5 * body)
        experts = min(one_expert * model.num_experts, room)
        one_expert = experts / model.num_experts
    return ParamBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        linear=body - experts,
        experts=experts,
        one_expert=one_expert,
    )


def _attention_params(model: ModelArchitecture) -> float:
    """Attention projection parameters of all layers (a lower bound for MLA: o_proj and the
    KV down/up projections only; GQA/MHA: q, k, v, o)."""
    if model.mla_kv_lora_rank is not None:
        rank = model.mla_kv_lora_rank
        rope = model.mla_qk_rope_head_dim or DEFAULT_MLA_ROPE_DIM
        heads_dim = model.num_attention_heads * model.head_dim
        per_layer = heads_dim * model.hidden_size + model.hidden_size * (rank + rope)
        return float(model.num_layers * (per_layer + rank * 2 * heads_dim))
    q_and_o = 2 * model.num_attention_heads * model.head_dim
    k_and_v = 2 * model.num_kv_heads * model.head_dim
    return float(model.num_layers * model.hidden_size * (q_and_o + k_and_v))


def linear_bytes_per_weight(model: ModelArchitecture, precision: Precision) -> float:
    """Bytes per weight of the non-expert linear layers.

    Four-bit MoE checkpoints (gpt-oss MXFP4, NVFP4 DeepSeek/Qwen MoE) quantize only the routed
    experts; attention and shared layers stay in 16 bits (gpt-oss ``quantization_config``
    excludes attention; ModelOpt NVFP4 MoE recipes exclude attention).
    """
    if model.is_moe and precision in (Precision.FP4, Precision.INT4):
        return UNQUANTIZED_BYTES_PER_WEIGHT
    return BYTES_PER_WEIGHT[precision]


def expert_load_factor(
    model: ModelArchitecture, precision: Precision, engine: Engine, gpu: GpuSpec
) -> float:
    """Bytes ``engine`` holds on ``gpu`` per checkpoint byte of routed experts:
    :data:`VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR` for vLLM serving a four-bit MoE checkpoint
    weight-only on an NVIDIA GPU, else 1 (the checkpoint's bytes)."""
    if (
        engine == Engine.VLLM
        and model.is_moe
        and precision == Precision.FP4
        and gpu.vendor == "nvidia"
        and Precision.FP4 in gpu.weight_only_precisions
    ):
        return VLLM_WEIGHT_ONLY_FP4_EXPERT_FACTOR
    return 1.0


def weight_bytes(
    model: ModelArchitecture, precision: Precision, expert_factor: float = 1.0
) -> float:
    """All weight bytes of the model at ``precision`` (before any split); ``expert_factor``:
    :func:`expert_load_factor`, the bytes held per checkpoint byte of routed experts."""
    parts = param_breakdown(model)
    return (
        (parts.embedding + parts.lm_head) * UNQUANTIZED_BYTES_PER_WEIGHT
        + parts.linear * linear_bytes_per_weight(model, precision)
        + parts.experts * BYTES_PER_WEIGHT[precision] * expert_factor
    )


def host_embedding_bytes(model: ModelArchitecture) -> float:
    """Bytes of the input embedding table an engine that keeps it in host memory leaves off the
    GPU: the whole table when the LM head is a separate matrix; none when they are tied (the
    GPU holds the tied matrix as the LM head)."""
    if model.tie_word_embeddings:
        return 0.0
    return param_breakdown(model).embedding * UNQUANTIZED_BYTES_PER_WEIGHT


def weight_bytes_per_gpu(
    model: ModelArchitecture,
    precision: Precision,
    tp: int,
    pp: int = 1,
    *,
    expert_parallel: bool = False,
    expert_factor: float = 1.0,
    host_embedding: bool = False,
) -> float:
    """Weight bytes on each GPU: linear layers and the vocabulary are split ``tp`` ways and the
    layers ``pp`` ways (vLLM ``VocabParallelEmbedding``/``ParallelLMHead``, column/row parallel
    linears; experts split by TP or EP hold the same bytes per GPU on average). With
    ``expert_parallel`` (attention data-parallel, experts spread over the ``tp`` GPUs) every GPU
    holds all non-expert weights and ``1/tp`` of the experts. ``expert_factor``: as for
    :func:`weight_bytes`. ``host_embedding``: the engine keeps the input embedding table in host
    memory (:func:`host_embedding_bytes`; llama.cpp)."""
    total = weight_bytes(model, precision, expert_factor)
    if host_embedding:
        total -= host_embedding_bytes(model)
    if not (expert_parallel and model.is_moe):
        return total / (tp * pp)
    parts = param_breakdown(model)
    experts = parts.experts * BYTES_PER_WEIGHT[precision] * expert_factor
    return (total - experts + experts / tp) / pp

