"""Shares of a user base: the part of the people counted that actually uses the service.

After the count: "120k players but only ~2% ever open the help panel", "1.5M users, ~3%
active at peak" (a percentage with an activity word, in the same or the next sentence).
Before the count: "half of our 6,000 staff are expected to use it at the same time", "a
third of the 900 agents will be on it", "10% of our 2M users are online at peak" (a fraction
or percentage of the people, when the clause then says they use it or are active). The users
are then ``count × share``; a concurrency word makes them concurrent users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.intent.text import Doc

_SHARE_ACTIVE = re.compile(
    r"(?:~|about|around|roughly|only|maybe|perhaps|approx(?:imately)?|\s)*"
    r"(?P<pct>\d{1,2}(?:\.\d+)?)\s*(?:%|percent|pct)\s+(?:of (?:them|those|these|whom|users"
    r"|the users) )?(?:are |will |would |ever |actually |really |at most |be )*"
    r"(?P<act>active|online|concurrent(?:ly)?|use (?:it|the|this)|using|open|engage|log in"
    r"|logged in|chatting|talking|playing|at (?:peak|once|the same time|any (?:one |given )?"
    r"(?:moment|time)))\b"
)
_CONCURRENT = re.compile(r"\b(?:concurrent|simultaneous|online|at (?:peak|once|the same|any))")
#: Fractions written before "of <the people>" (digits for percentages).
_FRACTIONS = {
    "half": 0.5,
    "a half": 0.5,
    "one half": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "1 third": 1 / 3,
    "two thirds": 2 / 3,
    "2 thirds": 2 / 3,
    "a quarter": 0.25,
    "one quarter": 0.25,
    "1 quarter": 0.25,
    "three quarters": 0.75,
    "3 quarters": 0.75,
    "a fifth": 0.2,
    "one fifth": 0.2,
    "1 fifth": 0.2,
    "a tenth": 0.1,
    "one tenth": 0.1,
    "1 tenth": 0.1,
}
_FRACTION_WORDS = "|".join(sorted(_FRACTIONS, key=len, reverse=True)).replace(" ", "[ -]")
#: "<fraction> of [all] [our|the] [about]" ending where the people count starts.
_SHARE_BEFORE = re.compile(
    rf"(?<![\w.,])(?:(?P<frac>{_FRACTION_WORDS})|(?P<pct>\d{{1,2}}(?:\.\d+)?)\s*(?:%|percent))"
    r"\s+of\s+(?:all\s+(?:of\s+)?)?(?:our|the|their|its|my|those|these)?\s*"
    r"(?:(?:about|around|roughly|approximately|some|~)\s*)?$"
)
#: What the people of a share before their count then do: use the service or be active
#: ("are expected to use it", "will be on it", "log in", "chat with it", "at the same time").
_SHARE_USES = re.compile(
    r"\b(?:use|uses|using|used|access|accessing|active|online|concurrent(?:ly)?"
    r"|simultaneous(?:ly)?|at once|at the same time|at peak|log(?:ged)? in|chat|chatting|ask"
    r"|asking|query|querying|rely|relying|adopt|be on it|on it|hit it|hitting it|engage)\b"
)
#: How far before the people count a share may start (characters).
_LOOKBACK_CHARS = 40


@dataclass(frozen=True)
class Share:
    """The part of a counted group that uses the service, and where it was said."""

    factor: float
    start: int
    end: int
    concurrent: bool


def share_before(doc: Doc, start: int, end: int) -> Share | None:
    """The share stated right before the people count at ``doc.work[start:end]`` when its
    clause says those people use the service ("half of our 6,000 staff … use it")."""
    lo = max(0, start - _LOOKBACK_CHARS)
    m = _SHARE_BEFORE.search(doc.work, lo, start)
    if m is None:
        return None
    _, clause_end = doc.clause_bounds(end)
    rest = doc.text[end : max(clause_end, end)]
    if _SHARE_USES.search(rest) is None:
        return None  # "half of our 6,000 staff work remotely": a fact, not the users
    if m.group("pct") is not None:
        factor = float(m.group("pct")) / 100.0
    else:
        factor = _FRACTIONS[m.group("frac").replace("-", " ")]
    doc.consume(m.start(), m.end())
    return Share(factor=factor, start=m.start(), end=end, concurrent=bool(_CONCURRENT.search(rest)))


def share_after(doc: Doc, end: int) -> Share | None:
    """An active percentage after the people count ending at ``end``, in the same or the next
    sentence ("120k players but only ~2% ever open the help panel")."""
    _, clause_end = doc.clause_bounds(end)
    window_end = min(len(doc.text), max(clause_end, end) + 80)
    for m in re.finditer(r"\d{1,2}(?:\.\d+)?\s*(?:%|percent|pct)", doc.work[:window_end]):
        if m.start() < end:
            continue
        share = _SHARE_ACTIVE.match(doc.work, m.start())
        if share is None:
            continue
        window = doc.text[share.start() : share.end() + 25]
        doc.consume(m.start(), share.end())
        return Share(
            factor=float(share.group("pct")) / 100.0,
            start=m.start(),
            end=share.end(),
            concurrent=bool(_CONCURRENT.search(window)),
        )
    return None
