"""Deterministic explanations of an intent: what was understood, what was assumed, what changed.

Used by the CLI panel, the conversation's replies and as the fallback of the LLM explainer.
"""

from __future__ import annotations

from dataclasses import dataclass

from predeploy.core.types import DeploymentIntent, FieldSource, Routing
from predeploy.core.types.slo import LATENCY_METRICS

_METRIC_LABEL = {"ttft_ms": "TTFT", "itl_ms": "ITL", "tpot_ms": "TPOT", "e2e_ms": "E2E"}


@dataclass(frozen=True)
class IntentLine:
    """One row of the explanation: a field, its value in words, and where it came from."""

    field: str
    value: str
    origin: str
    confidence: float
    evidence: str | None


def _fmt_rate(qps: float) -> str:
    if qps >= 1:
        return f"{qps:,.4g} requests/s"
    if qps * 60 >= 1:
        return f"{qps * 60:,.4g} requests/min ({qps:.4g}/s)"
    return f"{qps * 3600:,.4g} requests/h ({qps:.3g}/s)"


def _fmt_ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


def _source(intent: DeploymentIntent, key: str) -> FieldSource:
    return intent.sources.get(key) or FieldSource(origin="default", confidence=0.5)


def intent_lines(intent: DeploymentIntent) -> list[IntentLine]:
    """The intent as rows of (field, value, origin), in reading order."""
    rows: list[IntentLine] = []

    def add(field: str, value: str, key: str | None = None) -> None:
        src = _source(intent, key or field)
        rows.append(IntentLine(field, value, src.origin, src.confidence, src.evidence))

    add("use_case", intent.use_case.value)
    if intent.users is not None:
        kind = {"concurrent": "concurrent", "daily": "daily", "total": "total"}[intent.user_kind]
        add("users", f"{intent.users:,} {kind}")
    if intent.qps is not None:
        label = "peak rate" if intent.peak_qps is not None else "request rate"
        add("qps", f"{_fmt_rate(intent.qps)} ({label})")
    add("priority", intent.priority.value)
    if intent.prompt_tokens is not None:
        add("prompt_tokens", f"{intent.prompt_tokens:,} tokens (mean)")
    if intent.output_tokens is not None:
        add("output_tokens", f"{intent.output_tokens:,} tokens (mean)")
    if intent.shared_prefix_tokens:
        shared = intent.shared_prefix_tokens
        count = intent.prefix_count or 1
        add(
            "shared_prefix_tokens",
            f"{shared:,} tokens shared by every prompt"
            if count == 1
            else f"{shared:,} tokens shared by the prompts of each of {count:,} system prompts",
        )
    if intent.prefix_count and intent.prefix_count > 1:
        add("prefix_count", f"{intent.prefix_count:,} distinct system prompts")
    if intent.prefix_popularity:
        add(
            "prefix_popularity",
            f"requests spread over them by Zipf's law (exponent {intent.prefix_popularity:g})",
        )
    if intent.history_tokens:
        add("history_tokens", f"{intent.history_tokens:,} tokens of earlier turns per prompt")
    if intent.conversation_turns:
        add("conversation_turns", f"{intent.conversation_turns:,} turns per conversation")
    if intent.think_time_s is not None:
        add("think_time_s", f"{intent.think_time_s:g} s between a reply and the next message")
    if intent.routing is not None:
        add(
            "routing",
            "routed by prefix (back to the replica holding the prompt's cached start)"
            if intent.routing == Routing.PREFIX_AWARE
            else "routed to any replica (random or round-robin)",
        )
    for metric in LATENCY_METRICS:
        targets = getattr(intent.slo, metric).items()
        if not targets:
            continue
        value = f"{_METRIC_LABEL[metric]} " + " · ".join(
            f"{pct} ≤ {_fmt_ms(bound)}" for pct, bound in targets
        )
        origins = {pct: _source(intent, f"slo.{metric}.{pct}") for pct, _ in targets}
        chosen = next(
            (origins[p] for p, _ in targets if origins[p].origin == "stated"),
            next(
                (origins[p] for p, _ in targets if origins[p].origin == "derived"),
                origins[targets[0][0]],
            ),
        )
        rows.append(
            IntentLine(f"slo.{metric}", value, chosen.origin, chosen.confidence, chosen.evidence)
        )
    budget = intent.constraints.budget
    for name, unit in (
        ("monthly_usd", "/month"),
        ("hourly_usd", "/hour"),
        ("per_million_tokens_usd", "/1M tokens"),
    ):
        value = getattr(budget, name)
        if value is not None:
            add(f"budget.{name}", f"≤ ${value:,.2f}{unit}")
    if intent.constraints.gpus:
        text = ", ".join(
            f"{g.count}x {g.gpu}" if g.count else g.gpu for g in intent.constraints.gpus
        )
        add("gpus", text)
    if intent.constraints.excluded_gpus:
        add(
            "excluded_gpus",
            "not " + ", ".join(intent.constraints.excluded_gpus),
            "constraints.excluded_gpus",
        )
    if intent.constraints.models:
        mode = "required" if intent.constraints.models_required else "preferred"
        add("models", f"{', '.join(intent.constraints.models)} ({mode})")
    if intent.subject_matter:
        add("subject_matter", intent.subject_matter)
    return rows


def explain_intent(intent: DeploymentIntent) -> str:
    """A short plain-text explanation: understood (stated) vs assumed (defaults)."""
    rows = intent_lines(intent)
    stated = [r for r in rows if r.origin == "stated"]
    other = [r for r in rows if r.origin != "stated"]
    parts = []
    if stated:
        parts.append("Understood: " + "; ".join(f"{r.field} = {r.value}" for r in stated) + ".")
    if other:
        parts.append(
            "Assumed: " + "; ".join(f"{r.field} = {r.value} ({r.origin})" for r in other) + "."
        )
    if intent.assumptions:
        parts.append("Notes: " + "; ".join(intent.assumptions) + ".")
    return "\n".join(parts)


_ALWAYS_SHOWN = {"use_case", "priority", "users", "qps"}


def _summary(intent: DeploymentIntent | None) -> dict[str, str]:
    """Field → value in words, for stated fields and the headline ones (origin marked)."""
    if intent is None:
        return {}
    out: dict[str, str] = {}
    for r in intent_lines(intent):
        if r.origin == "stated":
            out[r.field] = r.value
        elif r.field in _ALWAYS_SHOWN:
            out[r.field] = f"{r.value} ({r.origin})"
    return out


def describe_changes(before: DeploymentIntent | None, after: DeploymentIntent) -> list[str]:
    """What a message changed, one phrase per field ("users: 5,000 total → 2,000 total")."""
    old, new = _summary(before), _summary(after)
    out: list[str] = []
    for field, value in new.items():
        if field not in old:
            out.append(f"{field}: {value}")
        elif old[field] != value:
            out.append(f"{field}: {old[field]} → {value}")
    for field in old:
        if field not in new:
            out.append(f"{field}: removed")
    return out
