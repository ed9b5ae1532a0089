"""The deterministic, offline extractor: phrase tables and patterns, no model download.

Finders run in a fixed order on one working copy of the text, each consuming what it reads so
no number is read twice: names (GPUs, models) → budgets → latency targets → request rates →
use case → token lengths → users → priority, subject matter, languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError
from predeploy.core.types import UseCase
from predeploy.intent.budget import find_budgets, limit_first
from predeploy.intent.domain import find_languages, find_subject_matter
from predeploy.intent.draft import (
    ClearableField,
    DraftResult,
    Evidence,
    IntentDraft,
    StatedTarget,
)
from predeploy.intent.lengths import find_lengths
from predeploy.intent.load import find_users
from predeploy.intent.names import (
    NameIndex,
    gpu_mentions,
    models_required,
    unknown_gpu_notes,
    vendor_exclusions,
)
from predeploy.intent.prefix import (
    find_history,
    find_prefix_count,
    find_prefix_popularity,
    find_shared_prefix,
    find_turns,
)
from predeploy.intent.priority import find_priority
from predeploy.intent.rates import RateFound, find_rates
from predeploy.intent.routing import find_routing
from predeploy.intent.spelling import correct_typos
from predeploy.intent.targets import GENERIC_TTFT_MAX_MS, TargetFound, find_targets
from predeploy.intent.text import Doc, clean_text, mark_list_lines, normalize
from predeploy.intent.think import find_think_time
from predeploy.intent.usecase import classify, refine_summary

#: Use cases whose requests are turns of a conversation, whose history a prompt can carry.
CONVERSING_USE_CASES = frozenset(
    {UseCase.CHATBOT, UseCase.CUSTOMER_SERVICE, UseCase.RAG_QA, UseCase.CODE_GENERATION}
)

#: Score added to batch processing when a rate counts items ("500k invoices per day").
ITEM_RATE_BATCH_BONUS = 2.0
#: Latency targets read from text (ms) outside (MIN, MAX] are ignored with a note: nothing
#: serves a token in under 10 µs, and a bound above one day is a typo, not a latency target.
MIN_TARGET_MS = 0.01
MAX_TARGET_MS = 86_400_000.0

_UNKNOWN_ANSWER = re.compile(
    r"^\W*(?:i\s+)?(?:(?:do\s*n[o']?t|dont|really don't) know|not sure|no idea|dunno|unknown"
    r"|no clue|can'?t say|hard to say|unsure|skip(?: it| this)?|pass|n/?a|idk|not yet known"
    r"|no estimate|we don'?t know(?: yet)?)\b"
)
_CLEARS: tuple[tuple[str, ClearableField], ...] = (
    (
        r"(?:drop|remove|forget|ignore|clear|no|without|lift)(?: the| any| our| a)? budget"
        r"(?: limit| cap| constraint)?|no (?:cost|spending) (?:limit|cap)|budget (?:doesn't|does"
        r" not) matter",
        "budget",
    ),
    (
        r"any gpus?(?: is fine| will do| works)?|(?:drop|remove|forget|ignore|clear|lift)(?: the)?"
        r" gpu (?:constraint|restriction|limit|requirement|preference)s?|no gpu (?:constraint"
        r"|restriction|preference)s?|whatever gpus?",
        "gpus",
    ),
    (
        r"any models?(?: is fine| will do| works)?|(?:drop|remove|forget|ignore|clear)(?: the)?"
        r" model (?:constraint|restriction|requirement|preference)s?|no model (?:preference"
        r"|requirement|constraint)s?|whatever model",
        "models",
    ),
    (
        r"(?:drop|remove|forget|ignore|clear)(?: the| all| my| our)? (?:latency |slo )?"
        r"(?:targets?|slos?|latency requirements?)|no (?:latency|slo) (?:targets?|requirements?)",
        "slo",
    ),
    (
        r"(?:drop|remove|forget|ignore|clear)(?: the)? priority|no (?:particular )?priority",
        "priority",
    ),
    (
        r"(?:drop|remove|forget|ignore|clear)(?: the| our| any)? (?:system prompt|shared prefix)"
        r"|no (?:system prompt|shared prefix)|without (?:a |the |any )?(?:system prompt|shared "
        r"prefix)",
        "shared_prefix",
    ),
)
_COMPILED_CLEARS = tuple((re.compile(rf"\b(?:{p})\b"), f) for p, f in _CLEARS)


#: Characters of context quoted around a value as its evidence.
EVIDENCE_PAD_CHARS = 24


def _ev(doc: Doc, start: int, end: int, confidence: float) -> Evidence:
    text = doc.snippet(start, end, pad=EVIDENCE_PAD_CHARS)
    return Evidence(text=text[:500], confidence=round(confidence, 3))


class RuleExtractor:
    """Deterministic extractor over a catalog (any :class:`Catalog` implementation)."""

    name = "rules"

    def __init__(self, catalog: Catalog, index: NameIndex | None = None) -> None:
        self.catalog = catalog
        self.index = index or NameIndex(catalog)
        self._streaming: dict[UseCase, bool] = {}
        for use_case in UseCase:
            try:
                self._streaming[use_case] = catalog.slo_template(use_case).streaming
            except InputError:
                self._streaming[use_case] = True

    def extract(self, text: str) -> DraftResult:
        """The draft of ``text`` (the rules always answer)."""
        return DraftResult(draft=self.read(text), extractor=self.name)

    def read(self, text: str) -> IntentDraft:
        """Everything ``text`` states, as an :class:`IntentDraft`."""
        cleaned = clean_text(mark_list_lines(text))
        notes: list[str] = []
        if cleaned.truncated:
            notes.append(
                f"request truncated to its first {len(cleaned.text):,} characters "
                f"(of {cleaned.original_chars:,})"
            )
        lowered, fixes = correct_typos(cleaned.text.lower())
        if fixes:
            notes.append("read " + ", ".join(f"'{a}' as '{b}'" for a, b in fixes[:8]))
        doc = Doc(normalize(lowered))
        ev: dict[str, Evidence] = {}
        values: dict[str, object] = {}

        # names first: "Llama 3.1 8B", "4 H100s" hold numbers other finders must not read
        gpu_hits, model_hits = self.index.scan(doc)
        gpus = gpu_mentions(doc, gpu_hits) + vendor_exclusions(doc.text, self.index.gpu_specs)
        notes += unknown_gpu_notes(doc, gpu_hits, self.index.gpu_specs)
        if gpu_hits:
            ev["gpus"] = _ev(doc, gpu_hits[0].start, gpu_hits[-1].end, 0.9)
        elif gpus:
            ev["gpus"] = Evidence(text="GPU vendor named", confidence=0.8)
        models = tuple(dict.fromkeys(name for hit in model_hits for name in hit.names))
        if models:
            ev["models"] = _ev(doc, model_hits[0].start, model_hits[-1].end, 0.9)

        budgets = limit_first(find_budgets(doc))
        for b in budgets:
            key = {
                "month": "budget_monthly_usd",
                "hour": "budget_hourly_usd",
                "million_tokens": "budget_per_million_tokens_usd",
            }[b.period]
            if key not in values:
                values[key] = b.usd
                ev[key] = _ev(doc, b.start, b.end, b.confidence)
                if b.assumed_period:
                    notes.append(
                        f"budget {b.usd:,.2f} USD had no period; read as "
                        f"{'per hour' if b.period == 'hour' else 'per month'}"
                    )
            if b.note:
                notes.append(b.note)
        per_hour = next((b for b in budgets if b.hourly_usd is not None), None)
        if per_hour is not None and "budget_hourly_usd" not in values:
            # "$200 a day" is also exactly $8.33 an hour
            values["budget_hourly_usd"] = per_hour.hourly_usd
            ev["budget_hourly_usd"] = _ev(doc, per_hour.start, per_hour.end, per_hour.confidence)

        # A pause between turns before the targets: "30 s between messages" is no deadline.
        think = find_think_time(doc)
        if think is not None:
            values["think_time_s"] = think.seconds
            ev["think_time_s"] = _ev(doc, think.start, think.end, 0.8)
        raw_targets, min_tps = find_targets(doc)
        rates = find_rates(doc)
        extra = (
            {UseCase.BATCH_PROCESSING: ITEM_RATE_BATCH_BONUS}
            if any(r.item_noun for r in rates)
            else None
        )
        guess = classify(doc.text, extra)
        # The router first: "prefix-aware routing" and "session affinity" are not prompts.
        router = find_routing(doc)
        if router is not None:
            values["routing"] = router.routing
            ev["routing"] = _ev(doc, router.start, router.end, 0.8)
        # A shared prompt start first: its length is not the prompt's (and how many distinct
        # ones, before it: "40 tenants, each with its own 2,000-token system prompt").
        popularity = find_prefix_popularity(doc)
        if popularity is not None:
            values["prefix_popularity"] = popularity.exponent
            ev["prefix_popularity"] = _ev(doc, popularity.start, popularity.end, 0.6)
            if popularity.estimated:
                notes.append(
                    f"requests read as spread over the system prompts by Zipf's law with "
                    f"exponent {popularity.exponent:g} (an estimate for 'a few make most of "
                    "the traffic'; state the exponent, e.g. 'Zipf with exponent 1.2', to "
                    "change it)"
                )
        prefixes = find_prefix_count(doc)
        if prefixes is not None:
            values["prefix_count"] = prefixes.tokens
            ev["prefix_count"] = _ev(doc, prefixes.start, prefixes.end, 0.8)
        prefix = find_shared_prefix(doc)
        if prefix is not None:
            values["shared_prefix_tokens"] = prefix.tokens
            ev["shared_prefix_tokens"] = _ev(doc, prefix.start, prefix.end, 0.8)
        # A conversation's history, in a use case that converses ("recap 2k tokens of chat
        # history" is a summary's document).
        conversing = guess.use_case in CONVERSING_USE_CASES
        for key, find in (("history_tokens", find_history), ("conversation_turns", find_turns)):
            chat = find(doc) if conversing else None
            if chat is not None:
                values[key] = chat.tokens
                ev[key] = _ev(doc, chat.start, chat.end, 0.8)
        lengths, context = find_lengths(doc, guess.use_case)
        prompt = lengths.get("prompt")
        guess = refine_summary(guess, prompt.tokens if prompt else None)
        use_case = None if guess.fallback else guess.use_case
        if use_case is not None:
            ev["use_case"] = Evidence(
                text=guess.evidence or use_case.value, confidence=guess.confidence
            )
        for role, found in lengths.items():
            key = f"{role}_tokens"
            values[key] = found.tokens
            ev[key] = _ev(doc, found.start, found.end, found.confidence)

        users = find_users(doc)
        if users is not None:
            values["users"] = users.value
            if users.kind is not None:
                values["user_kind"] = users.kind
            ev["users"] = _ev(doc, users.start, users.end, users.confidence)

        self._rates(doc, rates, users.value if users else None, values, ev, notes)
        targets = self._targets(doc, raw_targets, guess.use_case, notes)

        priority = find_priority(doc.text)
        if priority is not None:
            values["priority"] = priority.priority
            ev["priority"] = Evidence(text=priority.evidence, confidence=priority.confidence)
        subject = find_subject_matter(doc.text)
        if subject is not None:
            values["subject_matter"] = subject[0]
            ev["subject_matter"] = Evidence(text=subject[1], confidence=0.6)
        if min_tps is not None:
            values["min_output_tokens_per_s"] = min_tps
        if context is not None:
            values["min_context_tokens"] = context

        return IntentDraft(
            use_case=use_case,
            use_case_confidence=guess.confidence if use_case else 0.0,
            targets=targets,
            gpus=tuple(gpus),
            models=models,
            models_required=models_required(doc, model_hits),
            languages=find_languages(doc.text),
            evidence=ev,
            clears=tuple(dict.fromkeys(_clears(doc.text))),
            notes=tuple(notes),
            unknown_answer=bool(_UNKNOWN_ANSWER.search(doc.text)),
            **values,
        )

    @staticmethod
    def _rates(
        doc: Doc,
        rates: list[RateFound],
        users: float | None,
        values: dict[str, object],
        ev: dict[str, Evidence],
        notes: list[str],
    ) -> None:
        for r in rates:
            if r.window_hours is not None:
                notes.append(
                    f"daily volume spread over the stated {r.window_hours:g}-hour active window"
                )
                break
        per_user = [r for r in rates if r.per_user]
        plain = [r for r in rates if not r.per_user]
        if plain:
            # a rate stated as such beats one derived from a job size, and a rate of requests
            # ("60 requests per second", "25 QPS") one of items with a cadence ("3M macros
            # overnight"): the readers' confidences rank them
            average = sorted(
                (r for r in plain if not r.peak), key=lambda r: (r.derived, -r.confidence)
            )
            chosen = average[0] if average else plain[0]
            values["requests_per_s"] = chosen.value
            values["rate_is_peak"] = not average
            values["rate_derived"] = chosen.derived
            ev["requests_per_s"] = _ev(doc, chosen.start, chosen.end, chosen.confidence)
            peaks = [r for r in plain if r.peak and r.value > chosen.value]
            if average and peaks:
                values["peak_requests_per_s"] = peaks[0].value
                ev["peak_requests_per_s"] = _ev(doc, peaks[0].start, peaks[0].end, 0.8)
        elif per_user:
            r = per_user[0]
            if users is not None:
                values["requests_per_s"] = r.value * users
                values["rate_derived"] = True
                ev["requests_per_s"] = _ev(doc, r.start, r.end, 0.7)
                notes.append(f"request rate = {r.value:.4g}/s per user × {users:,.0f} users")
            else:
                notes.append("a per-user request rate was given without a user count; ignored")

    def _targets(
        self,
        doc: Doc,
        raw: Iterable[TargetFound],
        use_case: UseCase,
        notes: list[str],
    ) -> tuple[StatedTarget, ...]:
        out: list[StatedTarget] = []
        streaming = self._streaming.get(use_case, True)
        for t in raw:
            if not MIN_TARGET_MS < t.value_ms <= MAX_TARGET_MS:
                notes.append(
                    f"ignored latency target {t.value_ms:,.6g} ms: outside the accepted range "
                    f"(> {MIN_TARGET_MS:g} and ≤ {MAX_TARGET_MS:,.0f} ms)"
                )
                continue
            metric = t.metric
            if metric is None:
                metric = "ttft_ms" if streaming and t.value_ms <= GENERIC_TTFT_MAX_MS else "e2e_ms"
            out.append(
                StatedTarget(
                    metric=metric,
                    percentile=t.percentile,
                    value_ms=t.value_ms,
                    derived=t.derived,
                    evidence=_ev(doc, t.start, t.end, t.confidence),
                )
            )
        return tuple(out)


def _clears(text: str) -> list[ClearableField]:
    return [name for pattern, name in _COMPILED_CLEARS if pattern.search(text)]
