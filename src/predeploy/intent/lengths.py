"""Prompt and output lengths in tokens, from token, word and page counts.

A length is a number with a unit (tokens, words, pages) or a vague size ("a paragraph").
Whether it is the prompt or the output is read from the words around it
(:mod:`.length_roles`). Explicit token counts win over word and page counts for the same role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import UseCase
from predeploy.intent.length_roles import FALLBACK_ROLE_CONFIDENCE, Role, length_role
from predeploy.intent.numerals import number_from, number_pattern, range_low
from predeploy.intent.text import Doc

#: Words per printed page (single-spaced manuscript page); publishing rule of thumb,
#: e.g. the "about 500 words" figure quoted by Wordcounter.net's words-per-page guide.
WORDS_PER_PAGE = 500.0
#: Tokens per English word: OpenAI's tokenizer guide, "1 token ≈ ¾ of a word".
TOKENS_PER_WORD = 4.0 / 3.0
TOKENS_PER_PAGE = WORDS_PER_PAGE * TOKENS_PER_WORD
#: Words per sentence, an estimate: plain-language guides put the average English sentence at
#: 15-20 words (e.g. the UK GDS style guide's "25 words or fewer"); we take 20. A "line" of an
#: answer ("one-line answers") is one sentence.
WORDS_PER_SENTENCE = 20.0
#: Sentences per paragraph, an estimate (the school rule of thumb of about five).
SENTENCES_PER_PARAGRAPH = 5.0
TOKENS_PER_SENTENCE = WORDS_PER_SENTENCE * TOKENS_PER_WORD
TOKENS_PER_PARAGRAPH = SENTENCES_PER_PARAGRAPH * TOKENS_PER_SENTENCE
#: Vague sizes ("a paragraph", "1-2 sentences") above this count are no answer size.
MAX_VAGUE_COUNT = 10.0
#: Counts written as words before a vague size.
_VAGUE_WORD_COUNTS = {"a": 1.0, "an": 1.0, "a single": 1.0, "a few": 3.0, "a couple of": 2.0}

UNIT_TOKENS: dict[str, float] = {
    "token": 1.0,
    "tokens": 1.0,
    "tok": 1.0,
    "toks": 1.0,
    "word": TOKENS_PER_WORD,
    "words": TOKENS_PER_WORD,
    "page": TOKENS_PER_PAGE,
    "pages": TOKENS_PER_PAGE,
    "sentence": TOKENS_PER_SENTENCE,
    "line": TOKENS_PER_SENTENCE,
    "paragraph": TOKENS_PER_PARAGRAPH,
}
#: How much a unit is trusted when two lengths fight over one role (higher wins).
_UNIT_RANK = {"token": 3, "word": 2, "page": 1, "sentence": 0, "line": 0, "paragraph": 0}


_NUM = number_pattern("num")
_NUM2 = number_pattern("num2")
_UNIT_RE = r"(?P<unit>tokens?|toks?|words?|pages?)"
_LENGTH = re.compile(
    rf"(?:{_NUM2}\s*(?:-|to|and)\s*)?{_NUM}\+?\s*(?:-\s*)?{_UNIT_RE}\b(?!\s*(?:per|/|a|an)\s"
    rf"*(?:second|sec|s|minute|min|hour|day)\b)"
)
#: A vague answer size: "one-line answers", "1-2 short paragraphs", "a paragraph or 2",
#: "a few sentences" (normalized text writes number words as digits).
_VAGUE_LENGTH = re.compile(
    r"(?:(?P<low>\d+)\s*(?:-|to|or)\s*)?(?P<count>\d+(?:\.\d+)?|a single|a few|a couple of|an?)"
    r"\s*(?:-\s*)?(?:short |brief |concise |long |full |small )?"
    r"(?P<unit>sentence|line|paragraph)s?\b(?:\s+or\s+(?P<high>\d+)\b)?"
    r"(?![\w-]|\s*(?:per|/|a|an)\s*(?:second|sec|s|minute|min|hour|day)\b)"
)
#: A context requirement: "context window of 32k tokens", "up to 100k tokens", "max 8k tokens
#: of context". A bare "max 500 tokens" is a length (a cap on the answer), not a context.
_CONTEXT_WINDOW = re.compile(
    rf"(?:context(?: window| length)?(?: of)?|up to|as long as)\s*"
    rf"(?:about |around |~)?{_NUM}\s*(?:-\s*)?(?:tokens?|toks?)\b(?:\s*(?:of )?context)?"
    rf"|max(?:imum)?(?: of)?\s*(?:about |around |~)?{_NUM2}\s*(?:-\s*)?(?:tokens?|toks?)\b"
    rf"\s*(?:of )?context"
)
#: A token count of a whole collection, not of one request: "our knowledge base is 3M tokens
#: in total", "a corpus of 40M tokens".
_COLLECTION_BEFORE = re.compile(
    r"\b(?:corpus|corpora|knowledge ?base|kb|dataset|data set|archive|collection|library"
    r"|total of|in total|altogether|all (?:our|the) (?:docs|documents|data))\b[^,;.]{0,25}$"
)
#: Characters between a page or word count and an "up to N tokens" that restates it.
RESTATED_LENGTH_MAX_GAP_CHARS = 12
_CONTEXT_WORD = re.compile(r"\b(?:context|window)\b")
_COLLECTION_AFTER = re.compile(r"^\s*(?:in total|total|overall|altogether|combined|in all)\b")
#: A bare count right after a length, in the other direction, that shares its unit: "2.5k
#: tokens in, 200 out", "3k tokens of input and ~250 back", "800 words in / 100 out".
_UNITLESS_PARTNER = re.compile(
    rf"\s*(?:in|input|of input|prompt|out|output|back)?\s*(?:,|and|/|;|->|=>|\u2192)\s*"
    rf"(?:about |around |roughly |approx\.? |~)?{_NUM}\s*(?P<dir>in|input|out|output|back)\b"
    rf"(?![\w-]|\s+(?:total|all|parallel|a row|flight|progress|use|production)\b)"
)
_PARTNER_ROLES: dict[str, Role] = {
    "in": "prompt",
    "input": "prompt",
    "out": "output",
    "output": "output",
    "back": "output",
}


@dataclass(frozen=True)
class LengthFound:
    role: Role
    tokens: float
    unit: str
    start: int
    end: int
    confidence: float


def _unitless_partners(doc: Doc, best: dict[Role, LengthFound]) -> None:
    """A bare count beside a length that names the other direction takes the length's unit:
    "2.5k tokens in, 200 out" gives 200 output tokens (``count × tokens per unit``)."""
    for found in list(best.values()):
        m = _UNITLESS_PARTNER.match(doc.work, found.end)
        if m is None:
            continue
        role = _PARTNER_ROLES[m.group("dir")]
        if role == found.role or role in best:
            continue
        tokens = number_from(m) * UNIT_TOKENS[found.unit]
        best[role] = LengthFound(role, tokens, found.unit, m.start(), m.end(), 0.75)
        doc.consume(m.start(), m.end())


def _vague_lengths(doc: Doc, use_case: UseCase, best: dict[Role, LengthFound]) -> None:
    """Vague sizes ("a paragraph", "one-line answers") for roles no count in tokens, words
    or pages filled: ``count × tokens per unit``, a range at its midpoint. The role comes from
    the words around them; with no cue they describe the answer."""
    for m in list(_VAGUE_LENGTH.finditer(doc.work)):
        count_text = m.group("count")
        count = _VAGUE_WORD_COUNTS.get(count_text) or float(count_text)
        other = m.group("low") or m.group("high")
        if other is not None:
            count = (count + float(other)) / 2.0
        if not 0 < count <= MAX_VAGUE_COUNT:
            continue
        role, conf = length_role(doc, m.start(), m.end(), use_case)
        if conf <= FALLBACK_ROLE_CONFIDENCE:
            role = "output"
        if role not in best:
            unit = m.group("unit")
            best[role] = LengthFound(
                role, count * UNIT_TOKENS[unit], unit, m.start(), m.end(), min(conf, 0.6)
            )
        doc.consume(m.start(), m.end())


def find_lengths(doc: Doc, use_case: UseCase) -> tuple[dict[Role, LengthFound], float | None]:
    """Prompt/output lengths (tokens, one per role) and a minimum context if stated."""
    context: float | None = None
    context_at: tuple[int, int] | None = None
    for m in list(_CONTEXT_WINDOW.finditer(doc.work)):
        context = number_from(m) if m.group("num") else number_from(m, "num2")
        context_at = (m.start(), m.end())
        doc.consume(m.start(), m.end())
    best: dict[Role, LengthFound] = {}
    for m in list(_LENGTH.finditer(doc.work)):
        unit = m.group("unit")
        value = number_from(m)
        if _COLLECTION_AFTER.match(doc.text, m.end()) or _COLLECTION_BEFORE.search(
            doc.text, max(0, m.start() - 60), m.start()
        ):
            doc.consume(m.start(), m.end())
            continue  # the size of a whole collection, not of one request
        if m.group("num2"):
            value = (value + range_low(m)) / 2.0  # a range: its midpoint
        tokens = value * UNIT_TOKENS[unit]
        role, conf = length_role(doc, m.start(), m.end(), use_case)
        found = LengthFound(role, tokens, unit.rstrip("s"), m.start(), m.end(), conf)
        current = best.get(role)
        if current is None or _UNIT_RANK[found.unit] > _UNIT_RANK[current.unit]:
            best[role] = found
        doc.consume(m.start(), m.end())
    _unitless_partners(doc, best)
    _vague_lengths(doc, use_case, best)
    prompt = best.get("prompt")
    if (
        prompt is not None
        and prompt.unit != "token"
        and context is not None
        and context_at is not None
        and not _CONTEXT_WORD.search(doc.text, context_at[0], context_at[1])
        and 0 <= context_at[0] - prompt.end <= RESTATED_LENGTH_MAX_GAP_CHARS
    ):
        # "(30-80 pages, up to 40k tokens)": the token count restates the pages' length, and
        # tokens outrank pages
        best["prompt"] = LengthFound("prompt", context, "token", *context_at, prompt.confidence)
        context = None
    return best, context
