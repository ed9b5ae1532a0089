"""Serving scenarios of the bundled catalog's models and GPUs, for the benchmark scripts."""

from __future__ import annotations

from predeploy.core.types import Engine, LoadSpec, ServingScenario, TokenDistribution
from predeploy.kb.seed_files import seed_catalog


def catalog_scenario(
    model: str,
    gpu: str,
    precision: str,
    tp: int,
    prompt: TokenDistribution,
    output: TokenDistribution,
    load: LoadSpec,
    engine: Engine = Engine.VLLM,
) -> ServingScenario:
    """``model`` (a catalog id) on ``tp`` of ``gpu`` (a catalog name) at ``precision``."""
    catalog = seed_catalog()
    card = catalog.model(model)
    return ServingScenario(
        model_id=card.id,
        model=card.architecture,
        gpu=catalog.gpu(gpu),
        precision=precision,  # type: ignore[arg-type]
        tp=tp,
        engine=engine,
        prompt_tokens=prompt,
        output_tokens=output,
        load=load,
    )
