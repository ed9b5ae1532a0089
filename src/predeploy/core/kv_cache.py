"""KV-cache bytes per token: the whole model's, and the per-GPU layout of one replica.

A token caches K and V in every attention layer (one compressed latent per layer under MLA);
linear-attention layers keep a fixed-size state instead, sliding-window layers keep at most the
window; DeepSeek Sparse Attention adds its indexer's FP8 key per token and layer. Tensor
parallelism splits KV heads (replicating them past one head per GPU), pipeline parallelism
splits the layers.
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


#: DeepSeek Sparse Attention's indexer caches each token's key in FP8 with one FP32 scale per
#: block of this many elements (vLLM's and SGLang's DeepSeek V3.2 indexer cache: 128 FP8 bytes
#: + 4 scale bytes = 132 bytes per token and layer for ``index_head_dim`` 128).
INDEXER_KEY_SCALE_BLOCK = 128
INDEXER_KEY_SCALE_BYTES = 4.0


def indexer_key_bytes(model: ModelArchitecture) -> float:
    """Bytes of one token's indexer key in one layer (0 without sparse attention); always
    FP8 with block scales, whatever the KV-cache dtype."""
    if model.indexer_head_dim is None:
        return 0.0
    blocks = -(-model.indexer_head_dim // INDEXER_KEY_SCALE_BLOCK)
    return float(model.indexer_head_dim) + blocks * INDEXER_KEY_SCALE_BYTES


def indexed_layer_share(model: ModelArchitecture) -> float:
    """Share of the attention layers that run the sparse-attention indexer and cache its keys
    (1 unless the model reuses some layers' selections, :attr:`ModelArchitecture.
    indexer_layers`)."""
    attention_layers = model.num_layers - model.linear_attention_layers
    if model.indexer_layers is None or attention_layers <= 0:
        return 1.0
    return model.indexer_layers / attention_layers


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
    compressed latent per layer: ``layers × (kv_lora_rank + qk_rope_head_dim) × bytes``, plus
    the sparse-attention indexer's key where there is one (:func:`indexer_key_bytes`).
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    per_layer = (
        _kv_elements_per_token_per_layer(model) * elem
        + indexer_key_bytes(model) * indexed_layer_share(model)
    )
    return per_layer * (model.num_layers - model.linear_attention_layers)


@dataclass(frozen=True, slots=True)
class KvLayout:
    """KV bytes per token on one GPU, split into full-attention and sliding-window layers, and
    the sparse-attention indexer's keys (every context token, like full attention), plus the
    fixed-size state of linear-attention layers (per sequence, whatever its length)."""

    global_bytes_per_token: float
    window_bytes_per_token: float
    window_tokens: int | None
    index_bytes_per_token: float = 0.0
    state_bytes_per_sequence: float = 0.0

    def bytes_for_sequence(self, context_tokens: float) -> float:
        """Bytes one sequence of ``context_tokens`` holds: window layers keep at most the
        window, linear-attention layers their state."""
        window = (
            context_tokens
            if self.window_tokens is None
            else min(context_tokens, float(self.window_tokens))
        )
        return (
            self.full_bytes_per_token * context_tokens
            + self.window_bytes_per_token * window
            + self.state_bytes_per_sequence
        )

    @property
    def full_bytes_per_token(self) -> float:
        """Bytes every context token keeps: full-attention layers and indexer keys."""
        return self.global_bytes_per_token + self.index_bytes_per_token

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
    no replication. Layers split ``pp`` ways. The sparse-attention indexer's keys are cached
    like the MLA latent (whole on every rank, ``1/tp`` under data-parallel attention).
    """
    elem = kv_element_bytes(kv_cache_dtype, precision)
    data_parallel = expert_parallel and model.is_moe
    index_per_layer = (
        indexer_key_bytes(model) * indexed_layer_share(model) / (tp if data_parallel else 1)
    )
    if data_parallel:
        per_layer = _kv_elements_per_token_per_layer(model) * elem / tp
    elif model.mla_kv_lora_rank is not None:
        per_layer = _kv_elements_per_token_per_layer(model) * elem
    else:
        heads_per_gpu = max(model.num_kv_heads / tp, 1.0)
        per_layer = 2.0 * heads_per_gpu * model.head_dim * elem
    # Linear-attention layers (e.g. Gated DeltaNet) keep a fixed-size state, not a KV cache;
    # its heads split over the tensor-parallel GPUs (whole sequences per GPU under
    # data-parallel attention: the same share on average).
    layers = (model.num_layers - model.linear_attention_layers) / pp
    window_layers = model.sliding_window_layers / pp if model.sliding_window else 0.0
    state = model.linear_state_bytes * model.linear_attention_layers / pp / tp
    return KvLayout(
        global_bytes_per_token=per_layer * (layers - window_layers),
        window_bytes_per_token=per_layer * window_layers,
        window_tokens=model.sliding_window if window_layers else None,
        index_bytes_per_token=index_per_layer * layers,
        state_bytes_per_sequence=state,
    )

