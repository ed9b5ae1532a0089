"""Multi-turn conversation: each message amends the intent; one question when it matters.

The conversation keeps what the user has stated so far as one merged :class:`IntentDraft`
and rebuilds the intent from it after every message (so template defaults follow a changed
use case), then re-applies field edits made with :meth:`Conversation.edit`. Rules of merging:
a newly stated value replaces the old one; GPUs and models are replaced unless the message
says "also"; "drop the budget" and the like clear a field; a bare number answers the pending
question; "I don't know" accepts the assumption and stops the question.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from predeploy.core.catalog import Catalog
from predeploy.core.types import DeploymentIntent, FrozenModel, UseCase
from predeploy.intent.build import build_intent
from predeploy.intent.draft import IntentDraft, StatedTarget
from predeploy.intent.edit import edit_intent
from predeploy.intent.explain import describe_changes
from predeploy.intent.extractor import (
    USE_CASE_QUESTION,
    IntentExtractor,
    load_question,
)
from predeploy.intent.names import NameIndex
from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.periods import SECONDS_PER_DAY
from predeploy.intent.slo_merge import DEFAULT_STATED_PERCENTILE
from predeploy.intent.text import clean_text, normalize

PendingQuestion = Literal["use_case", "load"]
#: In a follow-up message a use case must be named this clearly to replace the current one.
FOLLOW_UP_USE_CASE_CONFIDENCE = 0.5

_BARE_NUMBER = re.compile(
    rf"^\W*(?:(?:make it|change (?:it )?to|set (?:it )?to|actually|about|around|roughly|~|maybe"
    rf"|probably|say|let's say|more like|closer to)\s*)*{number_pattern('num')}\W*$"
)
_ALSO = re.compile(r"\b(?:also|too|as well|additionally|plus|in addition)\b")
_RESET = re.compile(r"^\W*(?:start over|reset|new request|restart)\W*$")


class Message(FrozenModel):
    role: Literal["user", "assistant"]
    text: str = Field(max_length=25_000)


class Turn(FrozenModel):
    """The outcome of one user message."""

    intent: DeploymentIntent
    reply: str
    question: str | None = None
    changed: tuple[str, ...] = ()
    extractor: str = "rules"
    fallback_reason: str | None = None
    notes: tuple[str, ...] = ()


class Conversation:
    """A request refined over several messages (see module docstring)."""

    def __init__(
        self, extractor: IntentExtractor, catalog: Catalog, index: NameIndex | None = None
    ) -> None:
        self.extractor = extractor
        self.catalog = catalog
        self.index = index or NameIndex(catalog)
        self.history: list[Message] = []
        self._reset()

    def _reset(self) -> None:
        """Forget everything stated (the history is kept)."""
        self._draft = IntentDraft()
        self._edits: dict[str, str] = {}
        self._description: list[str] = []
        self._pending: PendingQuestion | None = None
        self._accepted: set[PendingQuestion] = set()
        self._intent: DeploymentIntent | None = None
        self._load_missing = False

    @property
    def intent(self) -> DeploymentIntent | None:
        """The current intent (``None`` before the first message)."""
        return self._intent

    @property
    def draft(self) -> IntentDraft:
        """Everything stated so far, merged."""
        return self._draft

    def send(self, message: str) -> Turn:
        """Read one user message and return the updated intent, a reply and maybe a question."""
        text = clean_text(message).text
        self.history.append(Message(role="user", text=text))
        if _RESET.match(text.lower()):
            self._reset()
            return self._answer_reset(
                Turn(
                    intent=DeploymentIntent(use_case=UseCase.CHATBOT),
                    reply="Starting over. What do you want to deploy?",
                    question=USE_CASE_QUESTION,
                )
            )
        result = self.extractor.extract(text)
        draft = result.draft
        accepted_now = False
        if draft.unknown_answer and self._pending is not None:
            self._accepted.add(self._pending)
            accepted_now = True
        draft = self._answer_bare_number(text, draft)
        first = self._intent is None
        self._draft = merge_drafts(
            self._draft, draft, first=first, also=bool(_ALSO.search(text.lower()))
        )
        self._description.append(text)
        for name in draft.stated_fields():
            for path in _EDIT_PATHS.get(name, ()):
                self._edits.pop(path, None)  # a new statement wins over an old edit
        before = self._intent
        intent, notes = self._rebuild()
        question = self._question(intent)
        changed = describe_changes(before, intent)
        if accepted_now:
            changed.insert(
                0,
                "noted that you don't know yet: planning with the assumption "
                "shown, which gives broader recommendations",
            )
        reply = "; ".join(changed) if changed else "Nothing in that message changed the request."
        return self._answer(
            Turn(
                intent=intent,
                reply=reply,
                question=question,
                changed=tuple(changed),
                extractor=result.extractor,
                fallback_reason=result.fallback_reason,
                notes=tuple(notes),
            )
        )

    def edit(self, path: str, value: str) -> DeploymentIntent:
        """Set one field of the current intent (validated; errors name the field)."""
        if self._intent is None:
            self.send("")
        assert self._intent is not None
        if path == "use_case":
            new = edit_intent(self._intent, path, value, self.catalog, self.index)
            self._draft = self._draft.model_copy(
                update={"use_case": new.use_case, "use_case_confidence": 1.0}
            )
        else:
            edit_intent(self._intent, path, value, self.catalog, self.index)  # validate
            self._edits[path] = value
        self._intent, _ = self._rebuild()
        return self._intent

    # --- internals ---

    def _answer_reset(self, turn: Turn) -> Turn:
        self._answer(turn)
        self._intent = None
        return turn

    def _answer(self, turn: Turn) -> Turn:
        text = turn.reply + (f" {turn.question}" if turn.question else "")
        self.history.append(Message(role="assistant", text=text[:25_000]))
        self._intent = turn.intent
        return turn

    def _rebuild(self) -> tuple[DeploymentIntent, list[str]]:
        built = build_intent(
            self._draft, self.catalog, self.index, description=" / ".join(self._description)
        )
        intent = built.intent
        self._load_missing = built.load_missing
        for path, value in self._edits.items():
            intent = edit_intent(intent, path, value, self.catalog, self.index)
        if "load" in self._accepted and built.load_missing:
            intent = intent.model_copy(
                update={
                    "assumptions": (
                        *intent.assumptions,
                        "load unknown to the user: recommendations cover a "
                        "small pilot; revisit when traffic is known",
                    )
                }
            )
        self._intent = intent
        return intent, built.notes

    def _question(self, intent: DeploymentIntent) -> str | None:
        self._pending = None
        if self._draft.use_case is None and "use_case" not in self._accepted:
            self._pending = "use_case"
            return USE_CASE_QUESTION
        if self._load_missing and "load" not in self._accepted:
            self._pending = "load"
            return load_question(intent.use_case)
        return None

    def _answer_bare_number(self, text: str, draft: IntentDraft) -> IntentDraft:
        """A message that is only a number answers the pending question (or amends the load)."""
        m = _BARE_NUMBER.match(normalize(text))
        if m is None or draft.users is not None or draft.requests_per_s is not None:
            return draft
        value = number_from(m)
        use_case = self._draft.use_case
        if (self._pending == "load" and use_case == UseCase.BATCH_PROCESSING) or (
            self._pending is None
            and self._draft.requests_per_s is not None
            and self._draft.users is None
        ):
            per_s = value / SECONDS_PER_DAY if use_case == UseCase.BATCH_PROCESSING else value
            return draft.model_copy(update={"requests_per_s": per_s})
        return draft.model_copy(update={"users": value})


#: Draft fields and the edit paths a new statement of them overrides.
_EDIT_PATHS: dict[str, tuple[str, ...]] = {
    "users": ("users",),
    "requests_per_s": ("qps", "peak_qps"),
    "priority": ("priority",),
    "prompt_tokens": ("prompt_tokens",),
    "output_tokens": ("output_tokens",),
    "shared_prefix_tokens": ("shared_prefix_tokens",),
    "prefix_count": ("prefix_count",),
    "prefix_popularity": ("prefix_popularity",),
    "history_tokens": ("history_tokens",),
    "conversation_turns": ("conversation_turns",),
    "routing": ("routing",),
    "think_time_s": ("think_time_s",),
    "gpus": ("gpus",),
    "models": ("models",),
    "budget_monthly_usd": ("budget.monthly_usd",),
    "budget_hourly_usd": ("budget.hourly_usd",),
}


def _target_key(t: StatedTarget) -> tuple[str, str]:
    return t.metric, t.percentile or DEFAULT_STATED_PERCENTILE


def merge_drafts(old: IntentDraft, new: IntentDraft, *, first: bool, also: bool) -> IntentDraft:
    """``old`` amended by ``new`` (see module docstring for the rules)."""
    update: dict[str, object] = {}
    evidence = dict(old.evidence)
    if new.use_case is not None and (
        first or old.use_case is None or new.use_case_confidence >= FOLLOW_UP_USE_CASE_CONFIDENCE
    ):
        update["use_case"] = new.use_case
        update["use_case_confidence"] = new.use_case_confidence
    scalar = (
        "users",
        "user_kind",
        "prompt_tokens",
        "output_tokens",
        "shared_prefix_tokens",
        "prefix_count",
        "prefix_popularity",
        "history_tokens",
        "conversation_turns",
        "routing",
        "think_time_s",
        "min_context_tokens",
        "min_output_tokens_per_s",
        "priority",
        "subject_matter",
    )
    for name in scalar:
        value = getattr(new, name)
        if value is not None:
            update[name] = value
    if new.users is not None and new.user_kind is None:
        update["user_kind"] = None
    if new.requests_per_s is not None:
        update.update(
            requests_per_s=new.requests_per_s,
            rate_is_peak=new.rate_is_peak,
            rate_derived=new.rate_derived,
            peak_requests_per_s=new.peak_requests_per_s,
        )
    budget = ("budget_monthly_usd", "budget_hourly_usd", "budget_per_million_tokens_usd")
    if any(getattr(new, b) is not None for b in budget):
        for b in budget:
            update[b] = getattr(new, b)
    if new.gpus:
        update["gpus"] = (*old.gpus, *new.gpus) if also else new.gpus
    if new.models:
        update["models"] = tuple(dict.fromkeys((*old.models, *new.models))) if also else new.models
        update["models_required"] = new.models_required
    if new.targets:
        targets = {_target_key(t): t for t in old.targets}
        for t in new.targets:
            if t.percentile is None:  # an unqualified restatement replaces the metric
                targets = {k: v for k, v in targets.items() if k[0] != t.metric}
            targets[_target_key(t)] = t
        update["targets"] = tuple(targets.values())
    if new.languages:
        update["languages"] = tuple(dict.fromkeys((*old.languages, *new.languages)))
    for name in ("budget", "gpus", "models", "slo", "priority", "shared_prefix"):
        if name in new.clears:
            update.update(_CLEARED[name])
    evidence.update(new.evidence)
    update["evidence"] = evidence
    update["notes"] = new.notes
    update["clears"] = ()
    update["unknown_answer"] = False
    return old.model_copy(update=update)


_CLEARED: dict[str, dict[str, object]] = {
    "budget": {
        "budget_monthly_usd": None,
        "budget_hourly_usd": None,
        "budget_per_million_tokens_usd": None,
    },
    "gpus": {"gpus": ()},
    "models": {"models": (), "models_required": False},
    "slo": {"targets": ()},
    "priority": {"priority": None},
    "shared_prefix": {"shared_prefix_tokens": None, "prefix_count": None},
}
