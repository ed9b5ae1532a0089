"""A prompt start every request shares: "a 2,000-token system prompt", "system prompt of ~1.5k
tokens", "a 3k-token shared prefix"; and a conversation's earlier turns each prompt carries:
"2k tokens of chat history", "5-turn conversations"; and how many distinct shared starts the
requests spread over: "40 tenants, each with its own system prompt", "12 different system
prompts".

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


#: What a conversation's earlier turns are called.
_HISTORY_START = (
    r"(?:(?:conversation|chat|dialog(?:ue)?)\s+history|(?:earlier|previous|prior)\s+turns"
    r"|history\s+of\s+(?:the\s+)?(?:conversation|chat))"
)
_HISTORY_BEFORE = re.compile(
    rf"{_NUM}\+?\s*(?:-\s*)?{_TOKENS}\s*(?:-\s*)?(?:long\s+)?(?:of\s+)?{_HISTORY_START}\b"
)
_HISTORY_AFTER = re.compile(
    rf"{_HISTORY_START}\s*(?:\(|,)?\s*(?:is|of|with|at|:|=|that is|which is|that's|averages?|"
    rf"averaging|around|up to)?\s*{_ABOUT}{_NUM}\+?\s*(?:-\s*)?{_TOKENS}\b"
)
#: Turns per conversation: "5-turn conversations", "conversations of about 6 turns",
#: "8 turns per chat".
_TURNS = re.compile(
    r"(?P<a>\d+)\s*(?:-\s*)?turns?\s+(?:conversations?|chats?|dialog(?:ue)?s?|sessions?)\b"
    r"|(?:conversations?|chats?|dialog(?:ue)?s?|sessions?)\s+(?:of|with|averag(?:e|es|ing)|"
    r"lasting|last)\s+(?:about |around |roughly |~)?(?P<b>\d+)\s*turns?\b"
    r"|(?P<c>\d+)\s*turns?\s+(?:per|a|each)\s+(?:conversation|chat|dialog(?:ue)?|session)\b"
)


#: Who owns a system prompt of their own, one each.
_OWNERS = (
    r"(?:tenants?|customers?|clients?|bots?|assistants?|agents?|apps?|applications?|teams?"
    r"|products?|brands?|personas?|departments?|workspaces?|organi[sz]ations?|orgs?)"
)
_COUNT = r"(?P<n>\d{1,3}(?:,\d{3})+|\d+)"
#: A length that may stand between the count and the prompt it counts ("a 2,000-token").
_LENGTH_AHEAD = (
    rf"(?:\s+(?:an?\s+)?{_ABOUT}[\d.,]+\s*k?\+?\s*(?:-\s*)?{_TOKENS}\s*(?:-\s*)?"
    r"(?:long\s+)?)?"
)
#: "12 different system prompts", "40 tenants, each with its own system prompt" (the count
#: consumed, the prompt and its length left for :func:`find_shared_prefix`), and "a system
#: prompt (of 2k tokens) for each of our 40 tenants" (the count after the prompt consumed).
_COUNTS = (
    re.compile(
        rf"\b{_COUNT}\s+(?:different|distinct|separate|unique)"
        rf"(?={_LENGTH_AHEAD}\s+{_SHARED_START})"
    ),
    re.compile(
        rf"\b{_COUNT}\s+{_OWNERS}\s*,?\s*each\s+(?:with|having|has)\s+(?:its|their|a)\s+own"
        rf"(?={_LENGTH_AHEAD}\s+{_SHARED_START})"
    ),
    re.compile(
        rf"(?P<lead>{_SHARED_START}[^.;\n]{{0,40}}?)\s+for\s+each\s+of\s+"
        rf"(?:the\s+|our\s+|its\s+|their\s+)?{_COUNT}\s+{_OWNERS}\b"
    ),
)


@dataclass(frozen=True)
class PrefixFound:
    tokens: float
    start: int
    end: int


def _first(doc: Doc, patterns: tuple[re.Pattern[str], ...]) -> PrefixFound | None:
    """The first length in tokens any of ``patterns`` matches, its span consumed."""
    matches = [m for pattern in patterns for m in pattern.finditer(doc.work)]
    if not matches:
        return None
    first = min(matches, key=lambda m: m.start())
    tokens = number_from(first)
    doc.consume(first.start(), first.end())
    return PrefixFound(tokens, first.start(), first.end()) if tokens > 0 else None


def find_shared_prefix(doc: Doc) -> PrefixFound | None:
    """The first shared prompt start stated in tokens, its span consumed; ``None`` if none."""
    return _first(doc, (_BEFORE, _AFTER))


def find_prefix_count(doc: Doc) -> PrefixFound | None:
    """How many distinct shared prompt starts the requests spread over ("12 different system
    prompts", "40 tenants, each with its own system prompt"; ``tokens`` holds the count), the
    count's span consumed and the prompt left for :func:`find_shared_prefix`; ``None`` if
    none, or fewer than two."""
    matches = [m for pattern in _COUNTS if (m := pattern.search(doc.work)) is not None]
    if not matches:
        return None
    found = min(matches, key=lambda m: m.start())
    start = found.end("lead") if "lead" in found.re.groupindex else found.start()
    count = float(found.group("n").replace(",", ""))
    doc.consume(start, found.end())
    return PrefixFound(count, start, found.end()) if count >= 2 else None


def find_history(doc: Doc) -> PrefixFound | None:
    """The first conversation history stated in tokens ("2k tokens of chat history",
    "conversation history of ~1,500 tokens"), its span consumed; ``None`` if none."""
    return _first(doc, (_HISTORY_BEFORE, _HISTORY_AFTER))


def find_turns(doc: Doc) -> PrefixFound | None:
    """Turns per conversation ("5-turn conversations"; ``tokens`` holds the count), its span
    consumed; ``None`` if none, or fewer than two."""
    m = _TURNS.search(doc.work)
    if m is None:
        return None
    turns = float(m.group("a") or m.group("b") or m.group("c"))
    doc.consume(m.start(), m.end())
    return PrefixFound(turns, m.start(), m.end()) if turns >= 2 else None


#: Zipf's exponent read where a request says traffic is skewed over its tenants without
#: giving one: an estimate (the exponent of 1 with which a few make most of the traffic: the
#: top 10 of 1,000 take 39 % of it), shown as an assumption.
SKEWED_POPULARITY = 1.0
_ZIPF = re.compile(
    r"\bzipf(?:ian|'s)?(?:\s+(?:law|distribution|popularity|distributed))?"
    r"(?:\s*\(?\s*(?:with\s+)?(?:exponent|s|alpha)\s*(?:=|of|:)?\s*(?P<s>\d+(?:\.\d+)?))?"
)
_SKEW_OWNERS = (
    r"(?:tenants?|customers?|clients?|bots?|brands?|apps?|teams?|users?|system prompts?)"
)
_FEW = r"(?:a few|a handful of|a small number of|a couple of|the top \d+|\d+ (?:big|large))"
_SKEWED = re.compile(
    rf"{_FEW}\s+(?:of (?:the|our) )?{_SKEW_OWNERS}\s+(?:make|makes|send|sends|account for|"
    rf"accounts for|generate|generates|drive|drives|produce|produces)\s+(?:most|the bulk|"
    rf"the majority|nearly all|almost all)\b"
    rf"|(?:most|the bulk|the majority|nearly all|almost all) of (?:the |our )?(?:traffic|"
    rf"requests|load|volume) (?:comes?|is|are) from {_FEW}"
    rf"|(?:traffic|requests|load) (?:is|are) (?:heavily |very |highly )?skewed"
)


@dataclass(frozen=True)
class PopularityFound:
    exponent: float
    estimated: bool
    start: int
    end: int


def find_prefix_popularity(doc: Doc) -> PopularityFound | None:
    """How unevenly the requests spread over the tenants' prompts: a Zipf exponent stated
    ("Zipf with exponent 1.2"), or :data:`SKEWED_POPULARITY` where the request only says a
    few make most of the traffic; its span consumed; ``None`` if neither."""
    matches = [m for pattern in (_ZIPF, _SKEWED) if (m := pattern.search(doc.work)) is not None]
    if not matches:
        return None
    found = min(matches, key=lambda m: m.start())
    stated = found.groupdict().get("s")
    doc.consume(found.start(), found.end())
    exponent = float(stated) if stated else SKEWED_POPULARITY
    return PopularityFound(exponent, stated is None, found.start(), found.end())
