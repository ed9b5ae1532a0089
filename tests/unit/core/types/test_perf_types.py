"""A serving scenario refuses an engine the accelerator cannot run."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from tests.perf_fixtures import h100, llama_8b

from predeploy.core.types import Engine, LoadSpec, Precision, ServingScenario, TokenDistribution


def _scenario(engine: Engine, vendor: str) -> ServingScenario:
    gpu = h100().model_copy(update={"vendor": vendor, "name": "X-1"})
    return ServingScenario(
        model_id="m",
        model=llama_8b(),
        gpu=gpu,
        precision=Precision.BF16,
        engine=engine,
        prompt_tokens=TokenDistribution.fixed(100),
        output_tokens=TokenDistribution.fixed(10),
        load=LoadSpec(kind="poisson", rate_rps=1.0),
    )


def test_tensorrt_llm_runs_on_nvidia_gpus_only() -> None:
    with pytest.raises(
        ValidationError, match="TensorRT-LLM runs on NVIDIA GPUs only: X-1 is an AMD"
    ):
        _scenario(Engine.TRTLLM, "amd")
    assert _scenario(Engine.TRTLLM, "nvidia").engine == Engine.TRTLLM
    assert _scenario(Engine.VLLM, "amd").gpu.vendor == "amd"
