"""From an IntentDraft to a DeploymentIntent: bounds, catalog names, template defaults, sources.

The one normalization both extractors go through. Values outside the sane bounds of
:mod:`predeploy.core.types.intent` are dropped with a note naming the limit; GPU and model
names that the catalog does not know are dropped with "did you mean" suggestions; whatever
the user did not state comes from the use case's SLO template and is marked ``default`` (or
``assumed`` when no template says it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError
from predeploy.core.types import (
    Budget,
    Constraints,
    DeploymentIntent,
    FieldSource,
    GpuAvailability,
    Preferences,
    Priority,
    SloTemplate,
    UseCase,
)
from predeploy.core.types.intent import (
    MAX_PREFIX_COUNT,
    MAX_REQUESTS_PER_S,
    MAX_TEXT_CHARS,
    MAX_USD,
    MAX_USERS,
)
from predeploy.core.types.traffic import (
    MAX_CONVERSATION_TURNS,
    MAX_PREFIX_POPULARITY,
    MAX_THINK_TIME_S,
    MAX_TOKENS_PER_REQUEST,
)
from predeploy.intent.draft import Evidence, IntentDraft
from predeploy.intent.names import NameIndex
from predeploy.intent.slo_merge import merge_targets
from predeploy.intent.usecase import FALLBACK_USE_CASE

#: Load assumed when the user gives none and cannot say: a small pilot. An assumption shown
#: to the user (origin "assumed"), never presented as a fact about their traffic.
ASSUMED_USERS = 100
#: Rate assumed for an offline job of unknown size (requests/s), likewise an assumption.
ASSUMED_BATCH_REQUESTS_PER_S = 1.0
#: Maximum GPUs in one availability statement.
MAX_GPU_COUNT = 100_000


@dataclass
class BuiltIntent:
    """The intent plus what the user should be told about it."""

    intent: DeploymentIntent
    notes: list[str] = field(default_factory=list)
    load_missing: bool = False
    use_case_guessed: bool = False


def _src(ev: Evidence | None, origin: str = "stated", default_conf: float = 0.9) -> FieldSource:
    return FieldSource(
        origin=origin,
        confidence=ev.confidence if ev else default_conf,
        evidence=ev.text[:500] if ev else None,
    )


def _bounded(
    value: float | None, name: str, low: float, high: float, unit: str, notes: list[str]
) -> float | None:
    """``value`` when within (low, high], else ``None`` with a note naming the limit."""
    if value is None:
        return None
    if value <= low or value > high:
        notes.append(
            f"ignored {name} = {value:,.6g} {unit}: outside the accepted range "
            f"(> {low:g} and ≤ {high:,.0f} {unit})"
        )
        return None
    return value


def _template(catalog: Catalog, use_case: UseCase, notes: list[str]) -> SloTemplate | None:
    try:
        return catalog.slo_template(use_case)
    except InputError as exc:
        notes.append(f"no SLO template available ({exc}); targets and lengths left unset")
        return None


def build_intent(
    draft: IntentDraft,
    catalog: Catalog,
    index: NameIndex,
    description: str = "",
) -> BuiltIntent:
    """Normalize a draft into a validated :class:`DeploymentIntent` (see module docstring)."""
    notes: list[str] = list(draft.notes)
    assumptions: list[str] = []
    sources: dict[str, FieldSource] = {}
    ev = draft.evidence

    use_case = draft.use_case or FALLBACK_USE_CASE
    guessed = draft.use_case is None or draft.use_case_confidence < 0.35
    if draft.use_case is None:
        sources["use_case"] = FieldSource(origin="assumed", confidence=0.2)
        assumptions.append(f"use case '{use_case.value}' assumed: the request names none")
    else:
        sources["use_case"] = _src(ev.get("use_case"), default_conf=draft.use_case_confidence)
    template = _template(catalog, use_case, notes)

    # --- load ---
    users_f = _bounded(draft.users, "users", 0.5, MAX_USERS, "users", notes)
    users = round(users_f) if users_f is not None else None
    qps = _bounded(draft.requests_per_s, "request rate", 0, MAX_REQUESTS_PER_S, "req/s", notes)
    peak = qps if draft.rate_is_peak and qps is not None else None
    if qps is not None and not draft.rate_is_peak and draft.peak_requests_per_s is not None:
        peak = _bounded(
            draft.peak_requests_per_s, "peak request rate", qps, MAX_REQUESTS_PER_S, "req/s", notes
        )
    if users is not None:
        sources["users"] = _src(ev.get("users"))
        if draft.user_kind is not None:
            sources["user_kind"] = _src(ev.get("users"))
        else:
            sources["user_kind"] = FieldSource(
                origin="default", confidence=0.5, evidence="user count read as total users"
            )
    if qps is not None:
        sources["qps"] = _src(
            ev.get("requests_per_s"), "derived" if draft.rate_derived else "stated"
        )
        if peak is not None and draft.rate_is_peak:
            sources["peak_qps"] = sources["qps"]
            assumptions.append(
                f"the stated peak of {peak:g} requests/s is used as the design rate (qps)"
            )
        elif peak is not None:
            sources["peak_qps"] = _src(ev.get("peak_requests_per_s"))
        elif draft.rate_derived:
            assumptions.append(
                f"request rate {qps:.4g}/s derived from the stated job size and cadence"
            )
    load_missing = users is None and qps is None
    if load_missing:
        if use_case == UseCase.BATCH_PROCESSING:
            qps = ASSUMED_BATCH_REQUESTS_PER_S
            sources["qps"] = FieldSource(origin="assumed", confidence=0.2)
            assumptions.append(
                f"no volume stated: assumed {qps:g} request/s; tell me the daily volume"
            )
        else:
            users = ASSUMED_USERS
            sources["users"] = FieldSource(origin="assumed", confidence=0.2)
            assumptions.append(
                f"no user count or request rate stated: assumed {users} users (a pilot); "
                "tell me the number for a sharper plan"
            )

    # --- priority ---
    if draft.priority is not None:
        priority = draft.priority
        sources["priority"] = _src(ev.get("priority"))
    else:
        priority = template.default_priority if template else Priority.BALANCED
        sources["priority"] = FieldSource(
            origin="default", confidence=0.6, evidence="use-case template default"
        )

    # --- lengths ---
    lengths: dict[str, int | None] = {}
    for name, stated in (
        ("prompt_tokens", draft.prompt_tokens),
        ("output_tokens", draft.output_tokens),
    ):
        value = _bounded(stated, name, 0.5, MAX_TOKENS_PER_REQUEST, "tokens", notes)
        if value is not None:
            lengths[name] = round(value)
            sources[name] = _src(ev.get(name))
        elif template is not None:
            dist = getattr(template.traffic, name)
            lengths[name] = max(1, round(dist.mean))
            sources[name] = FieldSource(
                origin="default", confidence=0.6, evidence=f"{use_case.value} template mean"
            )
        else:
            lengths[name] = None

    shared_prefix = _bounded(
        draft.shared_prefix_tokens, "shared prefix", 0.5, MAX_TOKENS_PER_REQUEST, "tokens", notes
    )
    if shared_prefix is not None:
        sources["shared_prefix_tokens"] = _src(ev.get("shared_prefix_tokens"))
    prefixes = _bounded(
        draft.prefix_count, "system prompts", 1.5, MAX_PREFIX_COUNT, "prompts", notes
    )
    if prefixes is not None:
        sources["prefix_count"] = _src(ev.get("prefix_count"))
        if not shared_prefix:
            notes.append(
                f"{round(prefixes):,} distinct system prompts stated without their length: "
                "each request's prompt is priced as computed in full (state the length, "
                "e.g. '2,000-token system prompts', to price them from the prefix cache)"
            )
    popularity = draft.prefix_popularity
    if popularity is not None and not 0.0 <= popularity <= MAX_PREFIX_POPULARITY:
        notes.append(
            f"ignored prefix popularity {popularity:g}: Zipf's exponent must be 0 to "
            f"{MAX_PREFIX_POPULARITY:g}"
        )
        popularity = None
    if popularity is not None:
        sources["prefix_popularity"] = _src(ev.get("prefix_popularity"))
    history = _bounded(
        draft.history_tokens, "conversation history", 0.5, MAX_TOKENS_PER_REQUEST, "tokens", notes
    )
    if history is not None:
        sources["history_tokens"] = _src(ev.get("history_tokens"))
    turns = _bounded(
        draft.conversation_turns, "conversation turns", 1.5, MAX_CONVERSATION_TURNS, "turns",
        notes,
    )
    if turns is not None:
        sources["conversation_turns"] = _src(ev.get("conversation_turns"))
    if draft.routing is not None:
        sources["routing"] = _src(ev.get("routing"))
    think = _bounded(draft.think_time_s, "think time", 0, MAX_THINK_TIME_S, "s", notes)
    if think is not None:
        sources["think_time_s"] = _src(ev.get("think_time_s"))

    # --- SLO ---
    merged = merge_targets(template.slo if template else None, draft.targets)
    assumptions.extend(merged.notes)
    sources.update(merged.sources)
    slo = merged.slo
    if draft.min_output_tokens_per_s is not None:
        slo = slo.model_copy(update={"min_output_tokens_per_s": draft.min_output_tokens_per_s})
        sources["slo.min_output_tokens_per_s"] = _src(ev.get("min_output_tokens_per_s"))

    # --- budget ---
    budget_values = {}
    for name, value in (
        ("monthly_usd", draft.budget_monthly_usd),
        ("hourly_usd", draft.budget_hourly_usd),
        ("per_million_tokens_usd", draft.budget_per_million_tokens_usd),
    ):
        ok = _bounded(value, f"budget {name}", 0, MAX_USD, "USD", notes)
        if ok is not None:
            budget_values[name] = round(ok, 6)
            sources[f"budget.{name}"] = _src(ev.get(f"budget_{name}"))

    # --- GPUs and models (catalog names only) ---
    gpus: dict[str, int | None] = {}
    excluded: list[str] = []
    for mention in draft.gpus:
        names = index.gpu(mention.name)
        if not names:
            notes.append(f"ignored GPU: {index.suggest_gpu(mention.name)}")
            continue
        count = mention.count
        if count is not None and count > MAX_GPU_COUNT:
            notes.append(f"ignored GPU count {count:,}: more than {MAX_GPU_COUNT:,}")
            count = None
        for name in names:
            if mention.excluded:
                excluded.append(name)
            else:
                gpus[name] = count if len(names) == 1 else gpus.get(name)
    if gpus:
        sources["gpus"] = _src(ev.get("gpus"))
    if excluded:
        sources["constraints.excluded_gpus"] = _src(ev.get("gpus"))
    models: list[str] = []
    for raw in draft.models:
        ids = index.model(raw)
        if not ids:
            notes.append(f"ignored model: {index.suggest_model(raw)}")
            continue
        models.extend(i for i in ids if i not in models)
    if models:
        sources["models"] = _src(ev.get("models"))

    if template is not None and not draft.prompt_tokens and not draft.output_tokens:
        assumptions.append(
            f"prompt ≈ {lengths['prompt_tokens']} and output ≈ {lengths['output_tokens']} "
            f"tokens: {use_case.value} template means"
        )
    if template is not None and not draft.targets:
        assumptions.append(f"latency targets from the {use_case.value} template")
    if draft.subject_matter:
        sources["subject_matter"] = _src(ev.get("subject_matter"), "derived", 0.6)

    preferences = Preferences(
        languages=draft.languages,
        min_context_tokens=round(draft.min_context_tokens)
        if draft.min_context_tokens and draft.min_context_tokens <= MAX_TOKENS_PER_REQUEST
        else None,
    )
    intent = DeploymentIntent(
        use_case=use_case,
        description=description[:MAX_TEXT_CHARS],
        subject_matter=draft.subject_matter,
        users=users,
        user_kind=draft.user_kind or "total",
        qps=qps,
        peak_qps=peak,
        priority=priority,
        prompt_tokens=lengths["prompt_tokens"],
        output_tokens=lengths["output_tokens"],
        shared_prefix_tokens=round(shared_prefix) if shared_prefix is not None else None,
        prefix_count=round(prefixes) if prefixes is not None else None,
        prefix_popularity=popularity,
        history_tokens=round(history) if history is not None else None,
        conversation_turns=round(turns) if turns is not None else None,
        routing=draft.routing,
        think_time_s=think,
        slo=slo,
        constraints=Constraints(
            budget=Budget(**budget_values),
            gpus=tuple(GpuAvailability(gpu=g, count=c) for g, c in gpus.items()),
            excluded_gpus=tuple(dict.fromkeys(e for e in excluded if e not in gpus)),
            models=tuple(models),
            models_required=draft.models_required and bool(models),
        ),
        preferences=preferences,
        sources=sources,
        assumptions=tuple(dict.fromkeys([*assumptions, *notes])),
    )
    return BuiltIntent(intent, notes, load_missing=load_missing, use_case_guessed=guessed)
