"""What would fit when a configuration does not (core.fit_advice)."""

from __future__ import annotations

from tests.perf_fixtures import deepseek_v3, h100, l4, llama_8b, llama_70b

from predeploy.core.fit_advice import FitChange, fitting_alternatives
from predeploy.core.types import (
    GpuSpec,
    KvCacheDtype,
    LoadSpec,
    ModelArchitecture,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.workload import prepare

SHIPPED = (Precision.BF16, Precision.FP8, Precision.INT8, Precision.INT4)


def _scenario(
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision = Precision.BF16,
    *,
    tp: int = 1,
    pp: int = 1,
    prompt_tokens: int = 512,
) -> ServingScenario:
    return ServingScenario(
        model_id="test/model",
        model=model,
        gpu=gpu,
        precision=precision,
        tp=tp,
        pp=pp,
        prompt_tokens=TokenDistribution.fixed(prompt_tokens),
        output_tokens=TokenDistribution.fixed(256),
        load=LoadSpec(kind="poisson", rate_rps=1.0),
    )


def test_a_fitting_configuration_needs_no_alternative() -> None:
    assert fitting_alternatives(_scenario(llama_8b(), h100()), SHIPPED, [l4()]) == []


def test_a_70b_in_bf16_on_one_l4_gets_wider_tp_smaller_formats_and_bigger_gpus() -> None:
    scenario = _scenario(llama_70b(), l4())
    assert not prepare(scenario).memory.fits
    alternatives = fitting_alternatives(scenario, SHIPPED, [l4(), h100()])
    by_change = {a.change: a for a in alternatives}
    # 141 GB of weights: four L4s hold 35 GB each, more than 22 GB usable; eight hold 17.6.
    assert by_change[FitChange.TENSOR_PARALLEL].label == "8x L4 (TP8, bf16)"
    precisions = [(a.precision, a.tp) for a in alternatives if a.change == FitChange.PRECISION]
    # FP8 (native on Ada) stands for INT8, same bytes; INT4 is not served by this L4 spec.
    assert precisions == [(Precision.FP8, 4)]
    others = [a for a in alternatives if a.change == FitChange.ACCELERATOR]
    assert [(a.gpu, a.tp) for a in others] == [("H100-SXM", 2)]
    assert all(a.memory.fits for a in alternatives)


def test_every_alternative_fits_when_predicted() -> None:
    scenario = _scenario(llama_70b(), l4())
    for alt in fitting_alternatives(scenario, SHIPPED, [h100()]):
        changed = scenario.model_copy(
            update={
                "gpu": h100() if alt.gpu == "H100-SXM" else l4(),
                "tp": alt.tp,
                "precision": alt.precision,
                "kv_cache_dtype": alt.kv_cache_dtype,
            }
        )
        assert prepare(changed).memory.fits, alt.label


def test_a_kv_bound_configuration_is_offered_an_fp8_cache() -> None:
    # 16 GB of 8B weights fit on an L4; one 60k-token sequence's 7.9 GB bf16 cache does not.
    scenario = _scenario(llama_8b(), l4(), prompt_tokens=60_000)
    assert "KV cache" in prepare(scenario).memory.reason
    alternatives = fitting_alternatives(scenario, SHIPPED)
    kv = [a for a in alternatives if a.change == FitChange.KV_CACHE_DTYPE]
    assert len(kv) == 1 and kv[0].tp == 1 and kv[0].kv_cache_dtype == KvCacheDtype.FP8
    assert kv[0].label == "1x L4 (TP1, bf16, fp8 KV)"
    # FP8 weights fit at the stated TP: no smaller format is offered after it.
    assert [(a.precision, a.tp) for a in alternatives if a.change == FitChange.PRECISION] == [
        (Precision.FP8, 1)
    ]


def test_nothing_is_offered_when_nothing_one_change_away_fits() -> None:
    # DeepSeek-V3's 671B parameters exceed eight L4s at FP8 and at every smaller format.
    scenario = _scenario(deepseek_v3(), l4(), Precision.FP8)
    assert fitting_alternatives(scenario, (Precision.FP8, Precision.FP4)) == []


def test_tensor_parallelism_stays_within_a_node_under_pipeline_parallelism() -> None:
    scenario = _scenario(llama_70b(), l4(), pp=2)
    wider = [
        a for a in fitting_alternatives(scenario, SHIPPED) if a.change == FitChange.TENSOR_PARALLEL
    ]
    assert [(a.tp, a.pp, a.label) for a in wider] == [(4, 2, "8x L4 (TP4 x PP2, bf16)")]
