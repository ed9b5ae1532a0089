"""What the checkpoint a deployment serves holds: how its FP8 weights carry their scales.

A model's catalogue entry describes its own releases (``ModelArchitecture.fp8_weight_block``:
Qwen's ``-FP8`` checkpoints and DeepSeek V3's native weights scale each 128 × 128 block). A
deployment may serve another checkpoint: its 16-bit weights quantized as the engine loads them
(vLLM's and SGLang's ``--quantization fp8``, TensorRT-LLM's ModelOpt: one scale per tensor or
output channel), or a third party's FP8 checkpoint. Block-scaled FP8 matmuls run slower than
per-tensor ones (``core.latency.block_fp8_factor``), so the prediction follows the checkpoint.
"""

from __future__ import annotations

from predeploy.core.types import ModelArchitecture, Precision

#: Path prefixes of a checkpoint on local disk (``/models/Qwen3-32B-FP8``, ``./ckpt``).
LOCAL_PATH_PREFIXES = ("/", ".", "~")


def served_fp8_weight_block(
    model_id: str, arch: ModelArchitecture, precision: Precision, checkpoint: str | None
) -> int | None:
    """The FP8 weight block of the checkpoint a deployment serves (``None``: scaled per tensor
    or channel, or not FP8).

    The model's own FP8 release is assumed when no checkpoint is named. A named checkpoint
    keeps its block when it holds those weights: the model's native FP8 weights, or an FP8
    release from the model's own organisation (``Qwen/Qwen3-32B-FP8`` for ``Qwen/Qwen3-32B``,
    or a local copy named FP8). A 16-bit checkpoint quantized as it loads and third-party FP8
    checkpoints (``nvidia/...``, llm-compressor's ``-FP8-dynamic``) scale per tensor or per
    channel.
    """
    block = arch.fp8_weight_block
    native_fp8 = arch.native_precision == Precision.FP8
    if precision != Precision.FP8 or block is None or checkpoint is None or native_fp8:
        return block
    path = checkpoint.lower().rstrip("/")
    if "fp8" not in path.rsplit("/", 1)[-1]:
        return None
    local = path.startswith(LOCAL_PATH_PREFIXES) or "/" not in path
    return block if local or path.split("/", 1)[0] == model_id.split("/", 1)[0].lower() else None


def served_architecture(
    model_id: str, arch: ModelArchitecture, precision: Precision, checkpoint: str | None
) -> ModelArchitecture:
    """``arch`` as the checkpoint ``checkpoint`` serves it at ``precision``
    (:func:`served_fp8_weight_block`); ``arch`` itself where nothing changes."""
    block = served_fp8_weight_block(model_id, arch, precision, checkpoint)
    if block == arch.fp8_weight_block:
        return arch
    return arch.model_copy(update={"fp8_weight_block": block})


def planned_architecture(
    model_id: str, arch: ModelArchitecture, precision: Precision
) -> ModelArchitecture:
    """``arch`` as a plan serves it: the catalogue's checkpoint ``model_id``, quantized as
    vLLM loads it where ``precision`` is not the checkpoint's (the plan's ``--quantization``)."""
    return served_architecture(model_id, arch, precision, model_id)
