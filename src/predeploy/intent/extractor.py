"""The IntentExtractor interface and one-shot understanding of a request.

Two implementations: :class:`~predeploy.intent.rules.RuleExtractor` (deterministic, offline,
the default) and :class:`~predeploy.intent.llm.LlmExtractor` (Ollama or an OpenAI-compatible
server, falling back to the rules). Both return an :class:`IntentDraft`; :func:`understand`
normalizes it through :func:`~predeploy.intent.build.build_intent` and decides whether one
clarifying question is worth asking.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import Field

from predeploy.core.catalog import Catalog
from predeploy.core.types import DeploymentIntent, FrozenModel, UseCase
from predeploy.intent.build import BuiltIntent, build_intent
from predeploy.intent.draft import DraftResult, IntentDraft
from predeploy.intent.names import NameIndex
from predeploy.intent.text import clean_text


class IntentExtractor(Protocol):
    """Reads what one message states."""

    @property
    def name(self) -> str: ...

    def extract(self, text: str) -> DraftResult: ...


class Extraction(FrozenModel):
    """The understood request: the intent, who understood it, and what to ask next."""

    intent: DeploymentIntent
    extractor: str
    fallback_reason: str | None = None
    #: One clarifying question when information that changes the answer is missing.
    question: str | None = None
    #: Notes for the user (ignored values, conversions, truncation).
    notes: tuple[str, ...] = ()
    draft: IntentDraft = Field(default_factory=IntentDraft)


USE_CASE_QUESTION = (
    "What will the model be used for: a chat assistant, customer support, code completion or "
    "generation, questions over your documents, summaries, content writing, translation, or an "
    "offline batch job?"
)
_LOAD_QUESTIONS: dict[UseCase, str] = {
    UseCase.BATCH_PROCESSING: "How many items does the job process per day (or per hour)?",
    UseCase.CODE_COMPLETION: "How many developers will use it, or how many requests per "
    "second do you expect at peak?",
    UseCase.CODE_GENERATION: "How many developers will use it, or how many requests per "
    "second do you expect at peak?",
}
DEFAULT_LOAD_QUESTION = (
    "How many people will use it (in total, or at the same time at peak), or how many "
    "requests per second do you expect?"
)


def load_question(use_case: UseCase) -> str:
    """The question to ask when no load is stated, worded for the use case."""
    return _LOAD_QUESTIONS.get(use_case, DEFAULT_LOAD_QUESTION)


def clarifying_question(built: BuiltIntent, draft: IntentDraft) -> str | None:
    """At most one question: the use case when nothing names it, else the load when absent."""
    if draft.use_case is None and not draft.stated_fields():
        return USE_CASE_QUESTION
    if draft.use_case is None and built.use_case_guessed:
        return USE_CASE_QUESTION
    if built.load_missing:
        return load_question(built.intent.use_case)
    return None


def understand(
    text: str, extractor: IntentExtractor, catalog: Catalog, index: NameIndex | None = None
) -> Extraction:
    """Extract, normalize and check one request (see module docstring)."""
    result = extractor.extract(text)
    built = build_intent(
        result.draft, catalog, index or NameIndex(catalog), description=clean_text(text).text
    )
    return Extraction(
        intent=built.intent,
        extractor=result.extractor,
        fallback_reason=result.fallback_reason,
        question=clarifying_question(built, result.draft),
        notes=tuple(built.notes),
        draft=result.draft,
    )
