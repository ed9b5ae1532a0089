"""Active windows: the hours of the day in which a daily volume arrives.

A daily volume is spread over the whole day unless the request says when the work happens:
"5,000 calls a day across a 10-hour opening window", "we're open 12 hours a day", "10k
requests a day during our 8 business hours", "mostly between 9am and 5pm". Then the rate
is ``count / (window_hours × 3600 s)``, not ``count / 86,400 s``: the planner sizes for the
load while the service is busy. Hours outside (0, 24] are no window. A deadline is no
arrival window: "200k PDFs per day; must finish within a 6 hour overnight window" keeps the
day's average (the job's items are all there at once; the labelled convention since blind
round 5b).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.intent.numerals import number_from, number_pattern

HOURS_PER_DAY = 24.0
#: Noon in a 12-hour clock, for "9am to 5pm" = 9 → 17.
_HALF_DAY_HOURS = 12

_NUM = number_pattern("num")
_NUM2 = number_pattern("num2")
_NUM3 = number_pattern("num3")
_WINDOW_KIND = (
    r"(?:opening|business|working|work|operating|office|service|support|staffed|trading"
    r"|shop|store|peak|active|school|clinic)"
)
_WINDOW = re.compile(
    # "across a 10-hour opening window", "over an 8-hour workday", "in a 12 hour shift"
    r"(?<![\w-])(?:across|over|during|within|in|throughout)\s+(?:a|an|the|our|its|their|one)\s+"
    rf"{_NUM}[- ]?(?:hours?|hrs?|h)\s+(?:{_WINDOW_KIND}\s+)?(?:window|day|workday|work ?day"
    r"|business day|shift|period|span|stretch)\b"
    # "during our 8 business hours", "across 10 opening hours"
    r"|(?<![\w-])(?:across|over|during|within|in|throughout)\s+(?:the\s+|our\s+|its\s+|their\s+)?"
    rf"{_NUM2}\s+{_WINDOW_KIND}\s+hours\b"
    # "we're open 12 hours a day", "staffed 10 hours per day"
    r"|(?<![\w-])(?:open|staffed|running|operating|active|live|online|manned)\s+(?:for\s+)?"
    rf"(?:about\s+|around\s+|roughly\s+|~)?{_NUM3}\s+(?:hours?|hrs?|h)\s+(?:a|per|each|every)"
    r"\s+day\b"
)
#: Words of a deadline right before a window: the window bounds a job, not the arrivals.
_DEADLINE_BEFORE = re.compile(
    r"\b(?:finish\w*|complet\w*|done|wrap\w* up|deadline|due|turned around)\b[^.;!?]{0,15}$"
)
#: How far before a window its deadline words are looked for (characters).
_DEADLINE_LOOKBACK_CHARS = 40
#: A clock range: "between 9am and 5pm", "from 8:00 to 18:00", "9 am - 6 pm".
_CLOCK = r"(?P<{h}>\d{{1,2}})(?::(?P<{m}>[0-5]\d))?\s*(?P<{p}>am|pm|a\.m\.|p\.m\.)?"
_CLOCK_RANGE = re.compile(
    r"(?<![\w-])(?:between|from)\s+"
    + _CLOCK.format(h="h1", m="m1", p="p1")
    + r"\s*(?:and|to|-|–|until|till)\s*"
    + _CLOCK.format(h="h2", m="m2", p="p2")
    + r"(?![\w:])"
)


@dataclass(frozen=True)
class ActiveWindow:
    """Hours per day in which the daily volume arrives, and where the text says so."""

    hours: float
    start: int
    end: int


def _clock_hours(m: re.Match[str], h: str, mins: str, period: str) -> float:
    hour = int(m.group(h)) % _HALF_DAY_HOURS if m.group(period) else int(m.group(h))
    if (m.group(period) or "").startswith("p"):
        hour += _HALF_DAY_HOURS
    return hour + int(m.group(mins) or 0) / 60.0


def _clock_window(m: re.Match[str]) -> float | None:
    """Hours of a clock range; it needs a clock mark ("am"/"pm" or ":00"), else "from 9 to 5"
    may be any range of numbers. A "5pm" end gives a bare start its own half of the day."""
    if not (m.group("p1") or m.group("p2") or m.group("m1") or m.group("m2")):
        return None
    start = _clock_hours(m, "h1", "m1", "p1")
    end = _clock_hours(m, "h2", "m2", "p2")
    if end <= start:
        return None
    return end - start


def _window_hours(m: re.Match[str]) -> float:
    name = next(n for n in ("num", "num2", "num3") if m.group(n))
    return number_from(m, name)


def find_active_window(text: str) -> ActiveWindow | None:
    """The first active window ``text`` states, if any."""
    found = [
        ActiveWindow(_window_hours(m), m.start(), m.end()) for m in _WINDOW.finditer(text)
    ] + [
        ActiveWindow(hours, m.start(), m.end())
        for m in _CLOCK_RANGE.finditer(text)
        if (hours := _clock_window(m)) is not None
    ]
    found = [
        w
        for w in found
        if 0 < w.hours <= HOURS_PER_DAY
        and not _DEADLINE_BEFORE.search(text[max(0, w.start - _DEADLINE_LOOKBACK_CHARS) : w.start])
    ]
    return min(found, key=lambda w: w.start) if found else None
