"""Calibration: the fit recovers known parameters and is reproducible."""

from __future__ import annotations

import math

import pytest
from tests.perf_fixtures import h100, l4, llama_8b, llama_70b, mixtral

from predeploy.core.calibration import calibrate, fit
from predeploy.core.calibration_problem import (
    EXCLUDED_FROM_FIT,
    MISLABELLED,
    Measurement,
    build_problem,
    contradictory_copies,
    metric_family,
)
from predeploy.core.efficiency import EfficiencyParams, ParameterEffect, ParameterSet
from predeploy.core.perf import predict_many
from predeploy.core.types import (
    Harness,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)

TRUE = EfficiencyParams(
    bandwidth_efficiency=0.7,
    compute_efficiency=0.5,
    step_overhead_s=1.5e-3,
    request_overhead_s=0.02,
)


def _scenarios() -> list[ServingScenario]:
    out = []
    for model, gpu, tp, precision in (
        (llama_8b(), h100(), 1, Precision.BF16),
        (llama_8b(), l4(), 1, Precision.FP8),
        (llama_70b(), h100(), 4, Precision.FP8),
        (mixtral(), h100(), 2, Precision.BF16),
    ):
        for load in (
            LoadSpec(kind="concurrency", concurrency=1),
            LoadSpec(kind="concurrency", concurrency=32),
            LoadSpec(kind="max_throughput"),
            LoadSpec(kind="poisson", rate_rps=1.0),
        ):
            for prompt, output in ((256, 256), (2048, 128)):
                out.append(
                    ServingScenario(
                        model_id="test/model",
                        model=model,
                        gpu=gpu,
                        precision=precision,
                        tp=tp,
                        prompt_tokens=TokenDistribution.fixed(prompt),
                        output_tokens=TokenDistribution.fixed(output),
                        load=load,
                    )
                )
    return out


def _measurements() -> list[Measurement]:
    scenarios = _scenarios()
    preds = predict_many(scenarios, ParameterSet(base=TRUE))
    out = []
    for i, (sc, pred) in enumerate(zip(scenarios, preds, strict=True)):
        m = pred.metrics
        metrics = {"output_tokens_per_s": m.output_tokens_per_s}
        if sc.load.kind != "max_throughput":
            metrics["tpot_ms_mean"] = m.tpot_ms.mean or 0.0
            metrics["ttft_ms_mean"] = m.ttft_ms.mean or 0.0
        out.append(Measurement(scenario=sc, metrics=metrics, source_key="synthetic", id=f"c{i}"))
    return out


def test_metric_families_match_the_scorer() -> None:
    assert metric_family("output_tokens_per_s") == "throughput"
    assert metric_family("requests_per_s") == "throughput"
    assert metric_family("ttft_ms_p99") == "ttft"
    assert metric_family("itl_ms_p50") == metric_family("tpot_ms_mean") == "itl_tpot"
    assert metric_family("e2e_ms_p90") == "e2e"
    assert metric_family("decode_tokens_per_s_single_stream") == "single_stream"


def test_fit_recovers_the_parameters_that_generated_the_data() -> None:
    params, report = calibrate(_measurements(), fitted_on="synthetic", max_iterations=30)
    assert report.median_abs_log_error < 0.02
    fitted, choice = params.for_gpu(h100(), "vllm")
    assert choice.basis == "fitted"
    assert fitted.bandwidth_efficiency == pytest.approx(TRUE.bandwidth_efficiency, rel=0.15)
    assert fitted.compute_efficiency == pytest.approx(TRUE.compute_efficiency, rel=0.2)


def test_fitting_twice_gives_the_same_parameters() -> None:
    data = _measurements()
    a, _ = calibrate(data, fitted_on="synthetic", max_iterations=8)
    b, _ = calibrate(list(reversed(data)), fitted_on="synthetic", max_iterations=8)
    assert a == b


def test_unmeasured_gpu_falls_back_and_says_so() -> None:
    params, _ = calibrate(_measurements()[:8], fitted_on="synthetic", max_iterations=5)
    _, choice = params.for_gpu(l4(), "vllm")
    assert choice.basis == "fallback"
    assert "no measurements of vllm on L4" in choice.source
    _, fitted = params.for_gpu(h100(), "vllm")
    assert fitted.basis == "fitted" and "H100-SXM" in fitted.source


def test_problem_weights_balance_sources() -> None:
    data = _measurements()
    big = [Measurement(m.scenario, m.metrics, "big", m.id) for m in data]
    small = [Measurement(m.scenario, m.metrics, "small", "s" + m.id) for m in data[:4]]
    problem = build_problem(big + small)
    by_source: dict[str, float] = {}
    for case, w in zip(problem.obs_case, problem.obs_weight, strict=True):
        src = problem.measurements[case].source_key
        by_source[src] = by_source.get(src, 0.0) + float(w)
    # Total weight grows with sqrt(n), not n: the small source is not drowned.
    assert by_source["big"] / by_source["small"] < 3.5
    theta, report = fit(problem, max_iterations=1)
    assert math.isfinite(report.loss) and len(theta) > 9


def test_every_source_contributes_its_ttft() -> None:
    # AIConfigurator's fixed-concurrency TTFT is fitted like any other source's.
    data = [
        Measurement(m.scenario, m.metrics, "aiconfigurator-silicon", m.id) for m in _measurements()
    ]
    problem = build_problem(data)
    assert any(metric.startswith("ttft_ms") for metric in problem.obs_metric)


def _through_a_slow_set_up(data: list[Measurement]) -> list[Measurement]:
    """The same measurements through AIConfigurator's set-up, 300 ms more on every TTFT."""
    return [
        Measurement(
            m.scenario.model_copy(update={"harness": Harness.AICONFIGURATOR}),
            {k: v + 300.0 if k.startswith("ttft") else v for k, v in m.metrics.items()},
            "slow-harness",
            "slow-" + m.id,
        )
        for m in data
    ]


def test_a_measurement_set_ups_own_front_end_time_stays_with_it() -> None:
    # A second set-up measures the same scenarios through a front end that adds 300 ms to
    # every first token. The fit gives that time to the set-up, not to the engine: default
    # predictions keep the time the default set-up's measurements give on their own (its
    # base prior and their prefill share it), the slow set-up's get its own.
    data = _measurements()
    slow = _through_a_slow_set_up(data)
    params, report = calibrate([*data, *slow], fitted_on="synthetic", max_iterations=30)
    alone, _ = calibrate(data, fitted_on="synthetic", max_iterations=30)
    assert report.median_abs_log_error < 0.05
    set_ups = [e for e in params.effects if e.level == "harness"]
    assert [(e.key, set(e.offsets)) for e in set_ups] == [
        ("aiconfigurator/vllm", {"request_overhead_s"})  # its front end, nothing else
    ]
    default, _ = params.for_gpu(h100(), "vllm")
    default_alone, _ = alone.for_gpu(h100(), "vllm")
    slow_params, _ = params.for_gpu(h100(), "vllm", Harness.AICONFIGURATOR)
    assert default.request_overhead_s == pytest.approx(default_alone.request_overhead_s, rel=0.1)
    assert slow_params.request_overhead_s == pytest.approx(TRUE.request_overhead_s + 0.3, rel=0.1)


def test_a_front_end_of_its_own_takes_the_base_front_end_not_the_engines() -> None:
    # TensorRT-LLM's fitted front-end offsets describe trtllm-serve; Triton's C++ server in
    # front of the same engine (no measurement of it fitted) takes the base set-up's front
    # end and keeps every other engine and accelerator offset.
    base = EfficiencyParams()
    params = ParameterSet(
        base=base,
        effects=(
            ParameterEffect(
                level="engine",
                key="trtllm",
                offsets={
                    "request_overhead_s": 0.7,
                    "frontend_s_per_request": 0.7,
                    "step_overhead_s": 0.2,
                },
                points=10,
            ),
            ParameterEffect(
                level="gpu_engine",
                key="H100-SXM/trtllm",
                offsets={"request_overhead_s": 0.1, "bandwidth_efficiency": 0.1},
                points=10,
            ),
        ),
    )
    served, served_choice = params.for_gpu(h100(), "trtllm")
    triton, choice = params.for_gpu(h100(), "trtllm", Harness.TRITON)
    assert triton.request_overhead_s == pytest.approx(base.request_overhead_s)
    assert triton.frontend_s_per_request == pytest.approx(base.frontend_s_per_request)
    assert served.request_overhead_s == pytest.approx(base.request_overhead_s * math.exp(0.8))
    assert triton.step_overhead_s == served.step_overhead_s != base.step_overhead_s
    assert triton.bandwidth_efficiency == served.bandwidth_efficiency
    assert "triton front end's time per request: the base set-up's" in choice.source
    assert "triton" not in served_choice.source


def test_the_fit_keeps_the_engine_servers_front_end_away_from_tritons() -> None:
    # The engine's own server adds 300 ms to every first token; the same runs through Triton
    # do not. The engine's front-end offsets stay with its server's measurements, and the
    # Triton set-up's own time in front of each request fits what its measurements leave.
    data = _measurements()
    served = [
        Measurement(
            m.scenario,
            {k: v + 300.0 if k.startswith("ttft") else v for k, v in m.metrics.items()},
            "served",
            "served-" + m.id,
        )
        for m in data
    ]
    triton = [
        Measurement(
            m.scenario.model_copy(update={"harness": Harness.TRITON}),
            dict(m.metrics),
            "triton",
            "triton-" + m.id,
        )
        for m in data
    ]
    params, report = calibrate([*served, *triton], fitted_on="synthetic", max_iterations=30)
    assert report.median_abs_log_error < 0.05
    set_ups = [e for e in params.effects if e.level == "harness"]
    assert [(e.key, set(e.offsets)) for e in set_ups] == [
        ("triton/vllm", {"request_overhead_s"})
    ]
    default, _ = params.for_gpu(h100(), "vllm")
    through_triton, _ = params.for_gpu(h100(), "vllm", Harness.TRITON)
    # (The served runs' 300 ms are shared with their prefill, as the slow set-up's are.)
    assert default.request_overhead_s > 0.2
    assert through_triton.request_overhead_s == pytest.approx(TRUE.request_overhead_s, rel=0.3)


def test_a_set_up_without_an_effect_gets_the_default_front_end() -> None:
    params, _ = calibrate(_measurements()[:8], fitted_on="synthetic", max_iterations=5)
    default, choice = params.for_gpu(h100(), "vllm")
    other, other_choice = params.for_gpu(h100(), "vllm", Harness.AICONFIGURATOR)
    assert other == default and other_choice == choice


def _with_latencies() -> list[Measurement]:
    return [m for m in _measurements() if len(m.metrics) == 3]


def test_a_latency_table_copied_under_another_scenario_is_left_out_of_the_fit() -> None:
    # GPUStack's GLM-4.5-Air H100 page repeats A100 runs to the last digit: one label is
    # wrong, and the fit cannot tell which.
    data = _with_latencies()
    original, other = data[0], data[1]
    assert original.scenario != other.scenario
    copy = Measurement(other.scenario, dict(original.metrics), "synthetic", "copy")
    assert contradictory_copies([*data, copy]) == {original.id, "copy"}
    problem = build_problem([*data, copy])
    fitted = {problem.measurements[i].id for i in problem.obs_case}
    assert original.id not in fitted and "copy" not in fitted
    assert other.id in fitted


def test_a_known_copy_is_left_out_and_the_measurement_it_repeats_is_fitted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The H100 page's blocks repeat the A100 page's runs, while its own conclusion table gives
    # other totals: the H100 labels are the wrong ones, so the A100 runs stay in the fit.
    data = _with_latencies()
    original, other = data[0], data[1]
    copy = Measurement(other.scenario, dict(original.metrics), "synthetic", "copy")
    monkeypatch.setitem(MISLABELLED, "copy", "its page's own table disagrees")
    assert contradictory_copies([*data, copy]) == set()
    problem = build_problem([*data, copy])
    fitted = {problem.measurements[i].id for i in problem.obs_case}
    assert "copy" not in fitted and original.id in fitted
    assert problem.mislabelled_left_out == ("copy",) and problem.copies_left_out == ()
    # A third label on the same values is still unaccounted for: it and the original go.
    third = Measurement(data[2].scenario, dict(original.metrics), "synthetic", "third")
    assert contradictory_copies([*data, copy, third]) == {"third", original.id}


def test_the_mislabelled_measurements_name_their_pages() -> None:
    # GLM-4.5-Air's H100 page repeats eight A100 runs; Qwen3-32B's H100 page files a
    # TensorRT-LLM FP8 run under an SGLang command.
    assert len(MISLABELLED) == 9
    pages = {why.rsplit("/performance-lab/", 1)[-1] for why in MISLABELLED.values()}
    assert pages == {"glm-4.5-air/h100.md", "qwen3-32b/h100.md"}
    for case_id, why in MISLABELLED.items():
        assert f"/{case_id.split('/')[1]}/h100.md" in why


def test_a_measurement_whose_stated_layout_cannot_hold_the_model_is_left_out_of_the_fit() -> None:
    # AIConfigurator codes runs of a 235B FP8 model as TP1 on one H200: the run cannot have
    # used that layout, and its prediction (a KV cache of one token) says nothing.
    data = _with_latencies()
    seventy = next(m for m in data if m.scenario.model == llama_70b())
    squeezed = seventy.scenario.model_copy(update={"tp": 1, "precision": Precision.BF16})
    metrics = {k: 2.0 * v for k, v in seventy.metrics.items()}
    impossible = Measurement(squeezed, metrics, "synthetic", "impossible")
    problem = build_problem([*data, impossible])
    assert problem.unfit_left_out == ("impossible",)
    fitted = {problem.measurements[i].id for i in problem.obs_case}
    assert "impossible" not in fitted and seventy.id in fitted


def test_a_group_listed_as_left_out_is_not_fitted(monkeypatch: pytest.MonkeyPatch) -> None:
    # MLPerf's TTFTs carry a queueing tail the model lacks: validated, not fitted.
    data = _with_latencies()
    fitted = build_problem(data)
    monkeypatch.setitem(EXCLUDED_FROM_FIT, ("synthetic", "ttft"), "a test's reason")
    left = build_problem(data)
    assert "ttft" in {metric_family(m) for m in fitted.obs_metric}
    assert {metric_family(m) for m in left.obs_metric} == {"throughput", "itl_tpot"}


def test_the_same_run_filed_twice_is_no_contradiction() -> None:
    data = _with_latencies()
    again = Measurement(data[0].scenario, dict(data[0].metrics), "synthetic", "again")
    assert contradictory_copies([*data, again]) == set()


def test_a_single_coinciding_figure_is_no_copy() -> None:
    data = _measurements()
    short = [m for m in data if len(m.metrics) == 1]
    twin = Measurement(short[1].scenario, dict(short[0].metrics), "synthetic", "twin")
    assert short[0].scenario != twin.scenario
    assert contradictory_copies([short[0], twin]) == set()


def test_the_default_front_end_stays_an_estimate_when_only_another_set_up_measures_it() -> None:
    # Default-set-up measurements without a TTFT say nothing about the time in front of the
    # engine; a slow set-up's TTFTs measure its own (300 ms more). The default keeps the
    # estimate instead of taking a share of the slow set-up's time.
    data = _measurements()
    untimed = [
        Measurement(
            m.scenario,
            {k: v for k, v in m.metrics.items() if not k.startswith("ttft")},
            m.source_key,
            m.id,
        )
        for m in data
    ]
    slow = _through_a_slow_set_up(data)
    params, _ = calibrate([*untimed, *slow], fitted_on="synthetic", max_iterations=30)
    default, _ = params.for_gpu(h100(), "vllm")
    slow_params, _ = params.for_gpu(h100(), "vllm", Harness.AICONFIGURATOR)
    estimate = EfficiencyParams().request_overhead_s
    assert default.request_overhead_s == pytest.approx(estimate, rel=0.5)
    assert slow_params.request_overhead_s == pytest.approx(TRUE.request_overhead_s + 0.3, rel=0.1)
