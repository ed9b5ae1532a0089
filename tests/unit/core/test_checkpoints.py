"""What a served checkpoint holds: whether its FP8 weights are block-scaled."""

from __future__ import annotations

from tests.perf_fixtures import llama_31_8b_config

from predeploy.core.cases import architecture_from_model_config
from predeploy.core.checkpoints import served_architecture, served_fp8_weight_block
from predeploy.core.types import ModelArchitecture, Precision

RELEASE = architecture_from_model_config(llama_31_8b_config()).model_copy(
    update={"fp8_weight_block": 128}
)


def _block_scaled(arch: ModelArchitecture, checkpoint: str | None, *, model: str = "Qwen/Q") -> (
    int | None
):
    return served_fp8_weight_block(model, arch, Precision.FP8, checkpoint)


def test_the_served_checkpoint_decides_whether_fp8_weights_are_block_scaled() -> None:
    release = RELEASE
    # No checkpoint named: the model's own FP8 release is assumed.
    assert _block_scaled(release, None) == 128
    # The model's FP8 release, from its organisation or copied to a local path.
    assert _block_scaled(release, "Qwen/Q-FP8") == 128
    assert _block_scaled(release, "/workspace/Q-fp8/") == 128
    # A 16-bit checkpoint quantized as it loads, and third-party FP8 checkpoints: per tensor
    # or per channel.
    for checkpoint in ("Qwen/Q", "/workspace/Q", "nvidia/Q-FP8", "RedHatAI/Q-FP8-dynamic"):
        assert _block_scaled(release, checkpoint) is None, checkpoint
    # Natively FP8 weights are block-scaled whatever their copy is called.
    native = release.model_copy(update={"native_precision": Precision.FP8})
    assert _block_scaled(native, "/workspace/DeepSeek-R1-0528", model="deepseek-ai/D") == 128
    # Outside FP8 the block does not apply and is left as it is.
    assert served_fp8_weight_block("Qwen/Q", release, Precision.BF16, "Qwen/Q") == 128
    per_tensor = release.model_copy(update={"fp8_weight_block": None})
    assert _block_scaled(per_tensor, "Qwen/Q-FP8") is None



def test_the_served_architecture_changes_only_where_the_checkpoint_does() -> None:
    assert served_architecture("Qwen/Q", RELEASE, Precision.FP8, None) is RELEASE
    assert served_architecture("Qwen/Q", RELEASE, Precision.FP8, "Qwen/Q-FP8") is RELEASE
    quantized_as_loaded = served_architecture("Qwen/Q", RELEASE, Precision.FP8, "Qwen/Q")
    assert quantized_as_loaded.fp8_weight_block is None
    assert quantized_as_loaded.model_copy(update={"fp8_weight_block": 128}) == RELEASE
