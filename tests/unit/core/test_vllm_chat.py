"""vLLM 0.11.0's chat front end: which runs paid its per-request template parse, and how a gated
API server delays requests sent together (analytic model and simulation alike)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.perf_fixtures import h100, llama_8b
from tests.planning_facts import LLAMA_8B

from predeploy.core.benchmarks import scenario_from_case
from predeploy.core.cases import CalibrationCase, CaseScenario
from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.efficiency import EfficiencyParams, ParameterSet
from predeploy.core.perf import predict
from predeploy.core.simulator import ApiServer
from predeploy.core.sizing import PredictMode
from predeploy.core.types import (
    Engine,
    Harness,
    LoadSpec,
    Precision,
    ServingScenario,
    TokenDistribution,
)
from predeploy.core.vllm_chat import parses_template_per_request, posts_chat_completions

GPUSTACK = "gpustack-performance-lab"


@pytest.mark.parametrize(
    ("engine", "version", "chat", "family", "paid"),
    [
        (Engine.VLLM, "v0.11.0", True, "qwen3", True),
        (Engine.VLLM, "0.11.0", True, None, True),  # a model known by its config alone
        (Engine.VLLM, "v0.11.1", True, "qwen3", False),  # cached from 0.11.1
        (Engine.VLLM, "v0.10.2", True, "qwen3", False),  # the check came with 0.11.0
        (Engine.VLLM, "v0.11.0", True, "gpt-oss", False),  # harmony skips the template
        (Engine.VLLM, "v0.11.0", False, "qwen3", False),  # completions: no chat template
        (Engine.SGLANG, "v0.11.0", True, "qwen3", False),
        (Engine.VLLM, None, True, "qwen3", False),
    ],
)
def test_only_vllm_0_11_0_chat_through_a_jinja_template_parses_it_per_request(
    engine: Engine, version: str | None, chat: bool, family: str | None, paid: bool
) -> None:
    assert parses_template_per_request(engine, version, chat_endpoint=chat, family=family) is paid


def test_gpustack_pages_post_chat_completions() -> None:
    assert posts_chat_completions(GPUSTACK)
    assert posts_chat_completions("gpustack-performance-lab-later")
    assert not posts_chat_completions("mlperf-inference-v5.1")
    assert not posts_chat_completions(None) and not posts_chat_completions("")


#: A Jinja-templated chat model and one whose chat vLLM renders with harmony (family gpt-oss).
CHAT_MODEL = LLAMA_8B.id
HARMONY_MODEL = "openai/oss-8b"
CATALOG = InMemoryCatalog(
    gpus=[h100()],
    models=[LLAMA_8B, LLAMA_8B.model_copy(update={"id": HARMONY_MODEL, "family": "gpt-oss"})],
)


def _case(source_key: str = GPUSTACK, **scenario: object) -> CalibrationCase:
    fields: dict[str, object] = {
        "model": CHAT_MODEL,
        "gpu": "H100-SXM",
        "gpu_count": 1,
        "tp": 1,
        "engine": "vllm",
        "engine_version": "v0.11.0",
        "input_tokens": 128,
        "output_tokens": 4,
        "dataset": "random",
        "load": {"kind": "burst", "num_prompts": 1000},
    }
    fields.update(scenario)
    return CalibrationCase(
        id="c", source_key=source_key, scenario=CaseScenario.model_validate(fields)
    )


def test_a_gpustack_vllm_0_11_0_chat_run_is_read_as_that_set_up() -> None:
    assert scenario_from_case(_case(), CATALOG).harness == Harness.VLLM_0_11_0_CHAT
    # Another release, a harmony model, another client, the scenario without its source: the
    # default set-up.
    for case in (
        _case(engine_version="v0.11.2"),
        _case(model=HARMONY_MODEL),
        _case(source_key="vllm-issue-1"),
    ):
        assert scenario_from_case(case, CATALOG).harness == Harness.DEFAULT
    assert scenario_from_case(_case().scenario, CATALOG).harness == Harness.DEFAULT


#: A front end far slower than the engine: 20 ms a request, 1,000 short prompts at once.
FRONT_S = 0.02
BURST = 1000


def _burst(harness: Harness) -> ServingScenario:
    return ServingScenario(
        model_id=CHAT_MODEL,
        model=llama_8b(),
        gpu=h100(),
        precision=Precision.BF16,
        prompt_tokens=TokenDistribution.fixed(128),
        output_tokens=TokenDistribution.fixed(4),
        load=LoadSpec(kind="burst", num_prompts=BURST),
        harness=harness,
    )


PARAMS = ParameterSet(base=EfficiencyParams(frontend_s_per_request=FRONT_S))


@pytest.mark.parametrize("mode", ["analytic", "simulate"])
def test_a_gated_server_streams_no_first_token_before_it_has_taken_the_whole_burst(
    mode: PredictMode,
) -> None:
    gated = predict(_burst(Harness.VLLM_0_11_0_CHAT), PARAMS, mode=mode)
    serial = predict(_burst(Harness.DEFAULT), PARAMS, mode=mode)
    intake_ms = BURST * FRONT_S * 1e3
    g, s = gated.metrics, serial.metrics
    # One after another, the first tokens spread over the 20 s the server takes; gated, all
    # wait for the last: they cluster at 20 s.
    assert g.ttft_ms.p50 == pytest.approx(intake_ms, rel=0.1)
    assert g.ttft_ms.p99 == pytest.approx(intake_ms, rel=0.1)
    assert s.ttft_ms.p50 == pytest.approx(intake_ms / 2, rel=0.15)
    assert g.ttft_ms.mean is not None and s.ttft_ms.mean is not None
    assert g.ttft_ms.mean > 1.6 * s.ttft_ms.mean
    # The run ends when the server is done either way: the same throughput.
    assert g.requests_per_s == pytest.approx(s.requests_per_s, rel=0.1)


def test_a_gated_server_holds_requests_sent_together_until_its_pass_ends() -> None:
    server = ApiServer(request_overhead_s=0.05, s_per_request=0.01, gated=True)
    # Three at once, one alone later: a pass of three (30 ms), then one of one.
    held = server.held_until([0.0, 0.0, 0.0, 1.0])
    assert held == pytest.approx([0.08, 0.08, 0.08, 1.06])
    # One sent while a pass runs waits for it and takes the next pass with whoever came.
    assert server.held_until([0.0, 0.0, 0.015, 0.016]) == pytest.approx(
        [0.07, 0.07, 0.09, 0.09]
    )
    # A request reaches the engine once its own work is done.
    assert ApiServer(0.05, 0.01, gated=True).admit(1.0) == pytest.approx(1.06)
    assert np.isneginf(ApiServer(0.05, 0.01).held_until([0.0])).all()
