"""Planning use cases: intent → plans, what-if sweeps, scenario comparison.

The one place the planner (``core.optimizer``) meets the knowledge base (a :class:`Catalog`),
the calibrated performance engine and the intent extractor.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from predeploy.core.catalog import Catalog, CatalogWithModels
from predeploy.core.checkpoints import planned_architecture
from predeploy.core.efficiency import ParameterSet
from predeploy.core.errors import InputError, describe_validation_error
from predeploy.core.loadcurve import load_curve
from predeploy.core.optimizer import ProgressCallback, plan_deployment
from predeploy.core.perf_engine import CalibratedEngine
from predeploy.core.sizing import PerformanceEngine, Workload
from predeploy.core.types import (
    DeploymentIntent,
    LoadCurve,
    ModelCard,
    PlannerOptions,
    PlanResult,
    ScenarioComparison,
    ServingScenario,
    SLOTargets,
    SweepResult,
    SweepVariable,
    TrafficProfile,
)
from predeploy.core.whatif import compare, sweep
from predeploy.services.intent import extract_intent
from predeploy.services.knowledge import open_catalog
from predeploy.services.perf import load_parameters
from predeploy.services.user_files import read_text
from predeploy.settings import Settings

#: Largest spec file accepted (a DeploymentIntent is a few kB).
MAX_SPEC_BYTES = 1_000_000


def read_intent_spec(path: Path) -> DeploymentIntent:
    """A DeploymentIntent from a JSON file; errors name the file and the field."""
    text = read_text(path, MAX_SPEC_BYTES, "the spec")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict) and "intent" in data and "plans" in data:
        data = data["intent"]  # a saved `predeploy plan --json` answer: re-plan its intent
    if not isinstance(data, dict):
        raise InputError(f"{path}: the spec must be a JSON object (a DeploymentIntent)")
    try:
        return DeploymentIntent.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, str(path))) from None


def plan_with_engine(
    intent: DeploymentIntent,
    catalog: Catalog,
    engine: PerformanceEngine,
    options: PlannerOptions | None = None,
    progress: ProgressCallback | None = None,
) -> PlanResult:
    """Plan and time the search (``elapsed_ms``)."""
    start = time.perf_counter()
    result = plan_deployment(intent, catalog, engine, options, progress=progress)
    return result.model_copy(update={"elapsed_ms": (time.perf_counter() - start) * 1000})


def sweep_with_engine(
    intent: DeploymentIntent,
    catalog: Catalog,
    engine: PerformanceEngine,
    variable: SweepVariable,
    values: Sequence[float | str],
    target: str | None = None,
    options: PlannerOptions | None = None,
    progress: ProgressCallback | None = None,
) -> SweepResult:
    """One plan per value of ``variable``: the cost/latency curve."""
    start = time.perf_counter()
    result = sweep(intent, catalog, engine, plan_deployment, variable, values, target=target,
                   options=options, progress=progress)
    return result.model_copy(update={"elapsed_ms": (time.perf_counter() - start) * 1000})


def compare_with_engine(
    a: DeploymentIntent,
    b: DeploymentIntent,
    catalog: Catalog,
    engine: PerformanceEngine,
    options: PlannerOptions | None = None,
) -> ScenarioComparison:
    """Plan both scenarios and list the deltas of their recommended plans."""
    return compare(
        plan_with_engine(a, catalog, engine, options),
        plan_with_engine(b, catalog, engine, options),
    )


def plan_load_curve(
    result: PlanResult,
    catalog: Catalog,
    engine: PerformanceEngine,
    *,
    index: int = 0,
    seed: int = 0,
) -> LoadCurve:
    """Latency against load for plan ``index`` (0: the recommended one) of ``result``: the
    same replica, traffic shape and SLOs the planner sized it with."""
    if not 0 <= index < len(result.plans):
        raise InputError(f"no plan {index + 1} to draw: the answer has {len(result.plans)}")
    plan = result.plans[index]
    sizing_rps = (plan.per_replica_peak_rps or 0.0) * plan.replicas
    workload = Workload(
        result.traffic, result.slo, result.headroom,
        sizing_rps or result.traffic.peak_requests_per_s, plan.vllm.max_model_len,
    )
    scenario = ServingScenario(
        model_id=plan.model,
        model=planned_architecture(
            plan.model, catalog.model(plan.model).architecture, plan.precision
        ),
        gpu=catalog.gpu(plan.gpu),
        precision=plan.precision,
        tp=plan.tp,
        pp=plan.vllm.pipeline_parallel_size,
        routing=result.routing,
        routed_replicas=plan.replicas,
        kv_cache_dtype=plan.vllm.kv_cache_dtype,
        prompt_tokens=result.traffic.prompt_tokens,
        output_tokens=result.traffic.output_tokens,
        load=workload.load(workload.sizing_rps / plan.replicas, plan.replicas),
        vllm=plan.vllm,
        front_end_s=result.front_end_s,
        shared_prefix_tokens=result.traffic.shared_prefix_tokens,
        prefix_count=result.traffic.prefix_count,
        prefix_popularity=result.traffic.prefix_popularity,
        history_tokens=result.traffic.history_tokens,
        conversation_turns=result.traffic.conversation_turns,
        think_time_s=result.traffic.think_time_s,
    )
    label = f"{plan.model_name or plan.model} {plan.precision.value} on {plan.configuration}"
    return load_curve(scenario, plan.replicas, workload, engine, label=label, seed=seed)


def scenario_load_curve(
    scenario: ServingScenario, slo: SLOTargets | None = None, *, seed: int = 0
) -> LoadCurve:
    """Latency against load for one scenario (``predict --load-curve``): its open-loop rate as
    the peak, the analytic curve up to saturation and simulated points, checked against
    ``slo`` (none: every point meets it)."""
    load = scenario.load
    if load.kind not in ("poisson", "gamma") or load.rate_rps is None:
        raise InputError("a load curve is drawn around an arrival rate: give --qps")
    traffic = TrafficProfile(
        prompt_tokens=scenario.prompt_tokens,
        output_tokens=scenario.output_tokens,
        avg_requests_per_s=load.rate_rps,
        peak_requests_per_s=load.rate_rps,
        burstiness_cv=load.cv,
        shared_prefix_tokens=scenario.shared_prefix_tokens,
        prefix_count=scenario.prefix_count,
        prefix_popularity=scenario.prefix_popularity,
        history_tokens=scenario.history_tokens,
        conversation_turns=scenario.conversation_turns,
        think_time_s=scenario.think_time_s,
        derivation=("the predicted scenario's arrival rate",),
    )
    context = math.ceil(scenario.prompt_tokens.mean + scenario.output_tokens.mean)
    workload = Workload(traffic, slo or SLOTargets(), 0.0, load.rate_rps, context)
    per_replica = scenario.tp * scenario.pp
    label = (f"{scenario.model_id} {scenario.precision.value} on {per_replica}x "
             f"{scenario.gpu.name}")
    return load_curve(scenario, scenario.replicas, workload, calibrated_engine(), label=label,
                      seed=seed)


@lru_cache(maxsize=1)
def calibrated_engine() -> CalibratedEngine:
    """The performance engine with the shipped fitted parameters (read once per process)."""
    return CalibratedEngine(load_parameters())


def planning_catalog(settings: Settings, own_models: Sequence[ModelCard] = ()) -> Catalog:
    """The knowledge-base catalog: the database when initialized, else the shipped facts;
    with ``own_models`` added (a user's models, from their config.json)."""
    catalog = open_catalog(settings)
    return CatalogWithModels(catalog, own_models) if own_models else catalog


#: What the planner is asked: a DeploymentIntent, or a request in plain words.
Request = DeploymentIntent | str


def _understood(request: Request, catalog: Catalog, settings: Settings) -> DeploymentIntent:
    """The intent of ``request``; words are read against the same catalog the plan uses."""
    if isinstance(request, DeploymentIntent):
        return request
    return extract_intent(request, catalog, settings)


def intent_from_text(text: str, settings: Settings) -> DeploymentIntent:
    """The DeploymentIntent for a request in plain words (the intent engine)."""
    return extract_intent(text, planning_catalog(settings), settings)


def plan(
    intent: DeploymentIntent,
    catalog: Catalog,
    params: ParameterSet,
    *,
    options: PlannerOptions | None = None,
    progress: ProgressCallback | None = None,
) -> PlanResult:
    """Plans for ``intent`` over ``catalog`` with the performance engine on ``params``."""
    return plan_with_engine(intent, catalog, CalibratedEngine(params), options, progress)


def plan_request(
    request: Request,
    settings: Settings,
    options: PlannerOptions | None = None,
    progress: ProgressCallback | None = None,
    own_models: Sequence[ModelCard] = (),
) -> PlanResult:
    """Plans for an intent or words on the configured knowledge base (opened once) and the
    calibrated engine. ``own_models`` (a user's models, from their config.json) are added to
    the catalog and become the only models planned."""
    catalog = planning_catalog(settings, own_models)
    intent = _only(_understood(request, catalog, settings), own_models)
    return plan_with_engine(intent, catalog, calibrated_engine(), options, progress)


def _only(intent: DeploymentIntent, own_models: Sequence[ModelCard]) -> DeploymentIntent:
    """``intent`` planning only ``own_models`` (unchanged without them)."""
    if not own_models:
        return intent
    constraints = intent.constraints.model_copy(
        update={"models": tuple(m.id for m in own_models), "models_required": True}
    )
    return intent.model_copy(update={"constraints": constraints})


def sweep_request(
    request: Request,
    settings: Settings,
    variable: SweepVariable,
    values: Sequence[float | str],
    target: str | None = None,
    options: PlannerOptions | None = None,
    progress: ProgressCallback | None = None,
    own_models: Sequence[ModelCard] = (),
) -> SweepResult:
    """A what-if sweep of an intent or words on the configured knowledge base (planning only
    ``own_models`` when given, as :func:`plan_request`)."""
    catalog = planning_catalog(settings, own_models)
    intent = _only(_understood(request, catalog, settings), own_models)
    return sweep_with_engine(intent, catalog, calibrated_engine(), variable, values, target,
                             options, progress)


def load_curve_request(
    result: PlanResult,
    settings: Settings,
    *,
    index: int = 0,
    seed: int = 0,
    own_models: Sequence[ModelCard] = (),
) -> LoadCurve:
    """:func:`plan_load_curve` on the configured knowledge base (with ``own_models``) and the
    calibrated engine."""
    return plan_load_curve(result, planning_catalog(settings, own_models), calibrated_engine(),
                           index=index, seed=seed)


def compare_request(
    a: DeploymentIntent,
    b: DeploymentIntent,
    settings: Settings,
    options: PlannerOptions | None = None,
) -> ScenarioComparison:
    """Scenario A vs B on the configured knowledge base."""
    return compare_with_engine(a, b, planning_catalog(settings), calibrated_engine(), options)
