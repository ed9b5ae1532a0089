"""How long a user pauses between a reply and their next message: "users take about a
minute between messages", "30 s of think time", "a 45-second pause between turns", "think
time of 2 min".

Only a pause said to be one (think time, a pause, a gap or the time between turns, messages or
replies) counts: a bare duration is a latency target ("replies within 30 seconds"). Read
before the targets, its span consumed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.text import Doc

_NUM = number_pattern("num")
#: "a minute", "half a minute", "one minute": a spelled-out count of one (or a half).
_ONE = r"(?P<half>half\s+)?(?:a|an|one)"
_UNIT = r"(?P<unit>s|secs?|seconds?|mins?|minutes?)\b"
_ABOUT = r"(?:(?:about|around|roughly|approx\.?|approximately|~|on average|an average of)\s*)*"
_PAUSE = (
    r"(?:think(?:ing)?[- ]time|pauses?|gaps?|(?:reading|idle)\s+time)"
)
_BETWEEN = r"between\s+(?:turns|messages|replies|questions|requests|prompts)"
_AMOUNT = rf"(?:{_NUM}|{_ONE})\s*(?:-\s*)?{_UNIT}"
_PATTERNS = (
    # "think time of 30 s", "pauses of about a minute between messages"
    re.compile(rf"{_PAUSE}\s+(?:of\s+|is\s+|averaging\s+|averages\s+)?{_ABOUT}{_AMOUNT}"),
    # "30 s of think time", "a 45-second pause", "a minute between messages"
    re.compile(rf"{_ABOUT}{_AMOUNT}\s+(?:of\s+)?(?:{_PAUSE}|{_BETWEEN})"),
    # "take about a minute between messages", "wait 20 seconds between turns"
    re.compile(rf"{_ABOUT}{_AMOUNT}\s+(?:\w+\s+){{0,2}}{_BETWEEN}"),
)
#: Seconds per unit word.
_UNIT_S = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "min": 60.0,
           "mins": 60.0, "minute": 60.0, "minutes": 60.0}


@dataclass(frozen=True)
class ThinkFound:
    seconds: float
    start: int
    end: int


def find_think_time(doc: Doc) -> ThinkFound | None:
    """The first pause between a conversation's turns the request states, in seconds, its
    span consumed; ``None`` if none."""
    matches = [m for pattern in _PATTERNS if (m := pattern.search(doc.work)) is not None]
    if not matches:
        return None
    found = min(matches, key=lambda m: (m.start(), -m.end()))
    count = 0.5 if found.group("half") else (
        1.0 if found.group("num") is None else number_from(found)
    )
    doc.consume(found.start(), found.end())
    return ThinkFound(count * _UNIT_S[found.group("unit")], found.start(), found.end())
