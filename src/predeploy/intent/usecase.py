"""Use-case classification over the ten template ids, by weighted phrase evidence.

Each entry of the phrase table (:mod:`.usecase_phrases`) is a regular expression (matched on
word boundaries of the lower-cased text) and the weight it adds to one use case. The score of
a use case is the sum of the weights of its distinct matching phrases; the highest score wins,
with confidence

    confidence = 0.5 + 0.5 · (s₁ − s₂) / s₁      (s₁, s₂: best and second-best scores)

capped to [0.3, 0.98] and lowered when the best score is weak (< 3). Summaries are split into
short and long documents afterwards by the stated prompt length (see :func:`refine_summary`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import UseCase
from predeploy.intent.text import phrase_views
from predeploy.intent.usecase_phrases import USE_CASE_PHRASES
from predeploy.intent.usecase_phrases.batch import NOBODY_WAITS

U = UseCase

_COMPILED = tuple(
    (re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])"), use_case, weight)
    for pattern, use_case, weight in USE_CASE_PHRASES
)

#: Priority among use cases with equal scores (the more specific one first).
_TIE_ORDER = (
    U.CODE_COMPLETION,
    U.CODE_GENERATION,
    U.TRANSLATION,
    U.LONG_DOCUMENT_SUMMARIZATION,
    U.SUMMARIZATION,
    U.RAG_QA,
    U.CUSTOMER_SERVICE,
    U.BATCH_PROCESSING,
    U.CONTENT_GENERATION,
    U.CHATBOT,
)

#: Use cases whose templates serve a person at the keyboard: when the text says nobody waits on
#: the output ("generate 30k product descriptions; nobody is waiting on them") the serving mode
#: outranks the kind of text, and the request is a batch job.
_INTERACTIVE_WRITING = frozenset({U.CONTENT_GENERATION, U.CODE_GENERATION})
_NOBODY_WAITS = re.compile(rf"(?<![\w-])(?:{NOBODY_WAITS})(?![\w-])")
#: Confidence of a batch reading decided by the serving mode over the content cues.
SERVING_MODE_CONFIDENCE = 0.7

#: Score below which the classification is shown as a guess (one weak cue only).
WEAK_SCORE = 3.0
#: The use case assumed when nothing in the text points anywhere (the broadest template).
FALLBACK_USE_CASE = U.CHATBOT


@dataclass(frozen=True)
class UseCaseGuess:
    """The classification with its confidence and the phrases that decided it."""

    use_case: UseCase
    confidence: float
    evidence: str
    scores: dict[UseCase, float]
    #: True when no phrase matched at all (the fallback was used).
    fallback: bool = False


def score_use_cases(text: str, extra: dict[UseCase, float] | None = None) -> dict[UseCase, float]:
    """Sum of the weights of the distinct phrases of each use case found in ``text``."""
    scores: dict[UseCase, float] = dict.fromkeys(UseCase, 0.0)
    views = phrase_views(text)
    for pattern, use_case, weight in _COMPILED:
        if any(pattern.search(view) for view in views):
            scores[use_case] += weight
    for use_case, weight in (extra or {}).items():
        scores[use_case] += weight
    return scores


def _evidence(text: str, use_case: UseCase) -> str:
    views = phrase_views(text)
    hits = [
        m.group(0)
        for pattern, uc, weight in _COMPILED
        if uc == use_case and weight >= 1
        for m in [next(filter(None, (pattern.search(view) for view in views)), None)]
        if m is not None
    ]
    return ", ".join(dict.fromkeys(hits))[:200]


_SUMMARY_FAMILY = {U.SUMMARIZATION, U.LONG_DOCUMENT_SUMMARIZATION}


def classify(text: str, extra: dict[UseCase, float] | None = None) -> UseCaseGuess:
    """The most likely use case of a normalized request text."""
    scores = score_use_cases(text, extra)
    ranking = dict(scores)
    if scores[U.SUMMARIZATION] > 0:
        # A summary request competes with its short and long cues together.
        together = scores[U.SUMMARIZATION] + scores[U.LONG_DOCUMENT_SUMMARIZATION]
        ranking[U.SUMMARIZATION] = ranking[U.LONG_DOCUMENT_SUMMARIZATION] = together
    ranked = sorted(ranking.items(), key=lambda kv: (-kv[1], _TIE_ORDER.index(kv[0])))
    best, s1 = ranked[0]
    if best in _INTERACTIVE_WRITING and any(_NOBODY_WAITS.search(v) for v in phrase_views(text)):
        evidence = f"nobody waits on the output (over {best.value} cues)"
        return UseCaseGuess(U.BATCH_PROCESSING, SERVING_MODE_CONFIDENCE, evidence, scores)
    family = _SUMMARY_FAMILY if best in _SUMMARY_FAMILY else {best}
    s2 = max(v for k, v in ranked if k not in family)
    if s1 <= 0:
        return UseCaseGuess(FALLBACK_USE_CASE, 0.2, "", scores, fallback=True)
    confidence = 0.5 + 0.5 * (s1 - s2) / s1
    if s1 < WEAK_SCORE:
        confidence *= s1 / WEAK_SCORE
    confidence = min(0.98, max(0.3, confidence))
    evidence = ", ".join(
        e for e in (_evidence(text, u) for u in sorted(family, key=_TIE_ORDER.index)) if e
    )
    return UseCaseGuess(best, round(confidence, 3), evidence[:200], scores)


#: A summarization request with prompts at least this long (tokens) is a long-document one:
#: the boundary where the long_document_summarization template's long context applies.
LONG_DOCUMENT_MIN_PROMPT_TOKENS = 8000
#: Below this stated prompt length (tokens) a "long document" summary is an ordinary one.
SHORT_DOCUMENT_MAX_PROMPT_TOKENS = 4000
#: Long-document cue score that decides for long documents when no length is stated.
LONG_DOCUMENT_CUE_SCORE = 2.5


def refine_summary(guess: UseCaseGuess, prompt_tokens: float | None) -> UseCaseGuess:
    """Choose between short and long-document summarization from length and cues.

    Applies when either summary use case wins; long cues alone (e.g. "contracts") only count
    when a summary is asked for at all.
    """
    summary_ids = {U.SUMMARIZATION, U.LONG_DOCUMENT_SUMMARIZATION}
    if guess.use_case not in summary_ids:
        return guess
    if guess.scores[U.SUMMARIZATION] <= 0:
        # Only long-document nouns matched, no "summarize": not a summary request.
        rest = {k: v for k, v in guess.scores.items() if k not in summary_ids and v > 0}
        if rest:
            best = max(rest, key=lambda k: (rest[k], -_TIE_ORDER.index(k)))
            return UseCaseGuess(best, 0.4, _evidence_keys(guess, best), guess.scores)
        weak = guess.scores[U.LONG_DOCUMENT_SUMMARIZATION] < LONG_DOCUMENT_CUE_SCORE
        if weak and (prompt_tokens or 0) < LONG_DOCUMENT_MIN_PROMPT_TOKENS:
            # a weak long cue alone ("long reasoning"), without a long prompt, names no
            # use case at all
            return UseCaseGuess(FALLBACK_USE_CASE, 0.2, "", guess.scores, fallback=True)
    long_cue = guess.scores[U.LONG_DOCUMENT_SUMMARIZATION]
    if prompt_tokens is not None:
        is_long = prompt_tokens >= LONG_DOCUMENT_MIN_PROMPT_TOKENS or (
            prompt_tokens > SHORT_DOCUMENT_MAX_PROMPT_TOKENS and long_cue >= LONG_DOCUMENT_CUE_SCORE
        )
    else:
        is_long = long_cue >= LONG_DOCUMENT_CUE_SCORE
    chosen = U.LONG_DOCUMENT_SUMMARIZATION if is_long else U.SUMMARIZATION
    return UseCaseGuess(
        chosen, guess.confidence, guess.evidence, guess.scores, fallback=guess.fallback
    )


def _evidence_keys(guess: UseCaseGuess, use_case: UseCase) -> str:
    return f"{use_case.value} cues (score {guess.scores[use_case]:.1f})"
