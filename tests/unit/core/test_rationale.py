"""What a plan says about serving weights in another precision than the checkpoint's."""

from __future__ import annotations

from predeploy.core.rationale import precision_note
from predeploy.core.types import Precision


def test_fp16_for_a_bf16_checkpoint_is_a_dtype_not_a_quantization() -> None:
    note = precision_note(Precision.FP16, Precision.BF16, None)
    assert "--dtype float16" in note and "the same memory and speed" in note


def test_methods_that_load_prequantized_weights_ask_for_such_a_checkpoint() -> None:
    fp8 = precision_note(Precision.FP8, Precision.BF16, "fp8")
    assert "less memory" in fp8 and "checkpoint of this model" not in fp8
    for precision, method in ((Precision.INT4, "gptq"), (Precision.FP4, "modelopt_fp4")):
        note = precision_note(precision, Precision.BF16, method)
        assert f"serve a {method} checkpoint of this model" in note
        assert "quality loss is not measured" in note
