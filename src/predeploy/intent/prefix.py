"""A prompt start every request shares: "a 2,000-token system prompt", "system prompt of ~1.5k
tokens", "a 3k-token shared prefix".

Such a length is not the prompt's (the request's own text comes after it), so it is read
before the prompt and output lengths and its span consumed. Only a system prompt (message,
instructions) or a prefix, preamble or context said to be shared, common or fixed counts: a
bare "500-token instructions" may be the request itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.text import Doc

_NUM = number_pattern("num")
_TOKENS = r"(?:tokens?|toks?)"
_ABOUT = r"(?:(?:about|around|roughly|approx\.?|approximately|~)\s*)?"
#: What a shared prompt start is called.
_SHARED_START = (
    r"(?:system[- ](?:prompt|message|instructions?)s?"
    r"|(?:shared|common|fixed|static|same)\s+(?:system\s+)?"
    r"(?:prompt\s+)?(?:prefix|preamble|instructions?|context|prompt)(?:es|s)?)"
)
_BEFORE = re.compile(
    rf"{_NUM}\+?\s*(?:-\s*)?{_TOKENS}\s*(?:-\s*)?(?:long\s+)?(?:of\s+)?{_SHARED_START}\b"
)
_AFTER = re.compile(
    rf"{_SHARED_START}\s*(?:\(|,)?\s*(?:is|of|with|at|:|=|that is|which is|that's)?\s*"
    rf"{_ABOUT}{_NUM}\+?\s*(?:-\s*)?{_TOKENS}\b"
)


@dataclass(frozen=True)
class PrefixFound:
    tokens: float
    start: int
    end: int


def find_shared_prefix(doc: Doc) -> PrefixFound | None:
    """The first shared prompt start stated in tokens, its span consumed; ``None`` if none."""
    matches = [m for pattern in (_BEFORE, _AFTER) for m in pattern.finditer(doc.work)]
    if not matches:
        return None
    first = min(matches, key=lambda m: m.start())
    tokens = number_from(first)
    doc.consume(first.start(), first.end())
    return PrefixFound(tokens, first.start(), first.end()) if tokens > 0 else None
