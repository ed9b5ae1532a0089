"""KV-cache bytes per token: the whole model's, and the per-GPU layout of one replica.

A token caches K and V in every attention layer (one compressed latent per layer under MLA);
linear-attention layers keep a fixed-size state instead, sliding-window layers keep at most the
window. Tensor parallelism splits KV heads (replicating them past one head per GPU), pipeline
parallelism splits the layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from predeploy.core.types import KvCacheDtype, ModelArchitecture, Precision

#: Bytes of one KV-cache element: ``auto`` keeps the model's 16-bit activation dtype (vLLM
#: ``CacheConfig.cache_dtype='auto'``), ``fp8`` stores e4m3/e5m2 (1 byte).
KV_ELEMENT_BYTES: dict[KvCacheDtype, float] = {KvCacheDtype.AUTO: 2.0, KvCacheDtype.FP8: 1.0}

#: Default decoupled RoPE key width of MLA models when the config does not say (DeepSeek V2/V3
#: ``qk_rope_head_dim`` = 64).
DEFAULT_MLA_ROPE_DIM = 64


def kv_element_bytes(kv_cache_dtype: KvCacheDtype, precision: Precision) -> float:
    """Bytes of one cached K or V element. ``precision`` does not change it under ``auto``:
    vLLM keeps the KV cache in the 16-bit activation dtype for fp8/int4 weights."""
    del precision
    return KV_ELEMENT_BYTES[kv_cache_dtype]


def _kv_elements_per_token_per_layer(model: ModelArchitecture) -> float:
    if model.mla_kv_lora_rank is not None:
        rope = model.mla_qk_rope_head_dim or DEFAULT_MLA_ROPE_DIM
        return float(model.mla_kv_lora_rank + rope)
    return 2.0 * model.num_kv_heads * model.head_dim


def kv_bytes_per_token(
    model: ModelArchitecture,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    precision: Precision = Precision.BF16,
) -> float:
    """KV-cache bytes one token occupies in all layers of the whole model (no TP split, no
    sliding-window cap).

    Standard/GQA attention: ``2 (K and V) × layers × kv_heads × head_dim × element bytes`` over
    the layers that attend (linear-attention layers keep a fixed state instead) —
    Llama-3.1-8B in bf16: 2 × 32 × 8 × 128 × 2 = 131,072 B. MLA (DeepSeek V2/V3) caches one
    compressed latent per layer: ``layers × (kv_lora_rank + qk_rope_head_dim) × bytes``.
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    per_layer = _kv_elements_per_token_per_layer(model) * elem
    return per_layer * (model.num_layers - model.linear_attention_layers)


@dataclass(frozen=True, slots=True)
class KvLayout:
    """KV bytes per token on one GPU, split into full-attention and sliding-window layers."""

    global_bytes_per_token: float
    window_bytes_per_token: float
    window_tokens: int | None

    def bytes_for_sequence(self, context_tokens: float) -> float:
        """Bytes one sequence of ``context_tokens`` holds: window layers keep at most the window."""
        window = (
            context_tokens
            if self.window_tokens is None
            else min(context_tokens, float(self.window_tokens))
        )
        return self.global_bytes_per_token * context_tokens + self.window_bytes_per_token * window

    def bytes_per_token_at(self, context_tokens: float) -> float:
        """Average bytes per cached token for sequences of ``context_tokens``."""
        return self.bytes_for_sequence(context_tokens) / max(context_tokens, 1.0)


def kv_layout(
    model: ModelArchitecture,
    tp: int,
    pp: int = 1,
    kv_cache_dtype: KvCacheDtype = KvCacheDtype.AUTO,
    precision: Precision = Precision.BF16,
    *,
    expert_parallel: bool = False,
) -> KvLayout:
    """Per-GPU KV bytes per token, averaged over the GPUs of a replica.

    KV heads are split ``tp`` ways; when ``tp > kv_heads`` each GPU keeps a replica of one head
    (vLLM replicates KV heads). MLA latents are not split by TP at all (every rank caches the
    full latent). With data-parallel attention (``expert_parallel`` on an MoE model) each GPU
    caches whole tokens of its own requests: ``1/tp`` of a token's KV per GPU on average, with
    no replication. Layers split ``pp`` ways.
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    if expert_parallel and model.is_moe:
        per_layer = _kv_elements_per_token_per_layer(model) * elem / tp
    elif model.mla_kv_lora_rank is not None:
        per_layer = _kv_elements_per_token_per_layer(model) * elem
    else:
        heads_per_gpu = max(model.num_kv_heads / tp, 1.0)
        per_layer = 2.0 * heads_per_gpu * model.head_dim * elem
    # Linear-attention layers (e.g. Gated DeltaNet) keep a fixed-size state, not a KV cache.
    layers = (model.num_layers - model.linear_attention_layers) / pp
    window_layers = model.sliding_window_layers / pp if model.sliding_window else 0.0
    return KvLayout(
        global_bytes_per_token=per_layer * (layers - window_layers),
        window_bytes_per_token=per_layer * window_layers,
        window_tokens=model.sliding_window if window_layers else None,
    )

