"""Request rates: how many requests per second, from any unit, cadence or job size.

Rates in any unit become requests/s: ``rate_per_s = count / seconds(unit)``; a day shrinks
to its active window when the text states one (:mod:`.windows`: "across a 10-hour opening
window"). A job size with a
cadence ("tag 50k tickets in an overnight batch") becomes a derived daily rate, and one with a
span ("2M abstracts over the next month") a derived rate over that span. Frequencies are
rates too: "twice a second" = 2 / s, "a request every 5 seconds" = 1 / 5 s (per user when
"each" user fires it: "each fires a completion every ~3 s").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from predeploy.intent.cadence import described_items
from predeploy.intent.groups import GROUP_NOUNS
from predeploy.intent.load import (
    ITEMS_PATTERN,
    NOUN_WORDS,
    PERSON_PATTERN,
    USER_PATTERN,
    Found,
    has_user_noun,
    noun_phrase_ok,
)
from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.periods import (
    CADENCE_WORDS,
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    SECONDS_PER_MINUTE,
    TIME_UNITS,
)
from predeploy.intent.text import Doc
from predeploy.intent.windows import find_active_window

#: Abbreviated rate units and their period in seconds.
RATE_ABBREVIATIONS: dict[str, float] = {
    "qps": 1.0,
    "rps": 1.0,
    "req/s": 1.0,
    "reqs/s": 1.0,
    "requests/s": 1.0,
    "queries/s": 1.0,
    "req/sec": 1.0,
    "requests/sec": 1.0,
    "rpm": SECONDS_PER_MINUTE,
    "req/min": SECONDS_PER_MINUTE,
    "rph": SECONDS_PER_HOUR,
    "req/h": SECONDS_PER_HOUR,
    "req/hr": SECONDS_PER_HOUR,
    "rpd": SECONDS_PER_DAY,
    "req/day": SECONDS_PER_DAY,
}


_NUM = number_pattern("num")
_NUM2 = number_pattern("num2")
_NUM3 = number_pattern("num3")
_UNIT = "|".join(sorted((re.escape(u) for u in TIME_UNITS), key=len, reverse=True))
_CADENCE = "|".join(sorted((re.escape(c) for c in CADENCE_WORDS), key=len, reverse=True))
_ABBR = "|".join(sorted((re.escape(a) for a in RATE_ABBREVIATIONS), key=len, reverse=True))
_RATE_ABBR = re.compile(rf"{_NUM}\+?\s*(?P<abbr>{_ABBR})(?![\w/])")
#: "per day", "a second", "/min", "/s": a word separator needs a space and a unit word; the
#: slash also takes single-letter units.
_WORD_UNIT = "|".join(
    sorted((re.escape(u) for u in TIME_UNITS if len(u) > 1), key=len, reverse=True)
)
#: A period named by an example of it: "5,000 calls on a typical day", "in an average week".
_TYPICAL_PERIOD = (
    r"(?:on|in|during|over)\s+(?:a|an|any|the)\s+(?:typical|normal|average|regular|usual|busy"
    r"|given|standard|ordinary|good|slow|quiet|single|busier|quieter)"
)
_RATE_PER = re.compile(
    rf"{_NUM}\+?\s*{NOUN_WORDS}(?:(?:per|a|an|each|every|{_TYPICAL_PERIOD})\s+"
    rf"(?P<unit>{_WORD_UNIT})"
    rf"|/\s*(?P<slash_unit>{_UNIT}))(?![\w/])"
)
_RATE_CADENCE = re.compile(rf"{_NUM}\+?\s*{NOUN_WORDS}(?P<cadence>{_CADENCE})\b")
_PER_USER_TAIL = re.compile(
    rf"\s*(?:each|apiece|per (?:{PERSON_PATTERN}|head|person|user|seat)|for each"
    rf" (?:{PERSON_PATTERN}|user))\b"
)
_PER_USER_RATE = re.compile(
    rf"{_NUM}\s*{NOUN_WORDS}per (?:{PERSON_PATTERN}|head|person)\s*(?:per|/|a|an|each|every)\s*"
    rf"(?P<unit>{_UNIT})\b"
)
#: Who fires a rate, just before it: "10 analysts, each runs maybe 5 per hour", "every
#: developer sends 20 a day", "each of them does ~8 calls/day", "each fires a completion
#: every ~3 s" ("each day" is a cadence, no subject).
_EACH_SUBJECT = re.compile(
    rf"\b(?:each|(?:every|per) (?:{PERSON_PATTERN}|user|person|head|one|session|client|tab))"
    rf"(?: of (?:them|those|these|us))?(?:\s+(?!per\b|every\b|each\b|(?:{_UNIT})\b)[a-z]+)"
    rf"{{0,2}}"
    rf"\s*(?:~|about|around|roughly|maybe|perhaps|approx(?:imately)?)?\s*$"
)
_JOB_SIZE = re.compile(
    rf"{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,3}}?)(?P<item>[a-z][a-z-]*s)\b"
)
#: Plural nouns that are never the items of a batch job.
_NOT_ITEMS = frozenset(
    {
        "tokens",
        "languages",
        "gpus",
        "dollars",
        "seconds",
        "minutes",
        "hours",
        "days",
        "weeks",
        "months",
        "years",
        "nights",
        "percents",
        "times",
        "cards",
        "nodes",
        "replicas",
        "models",
        # groups of people ("5 regional teams") are counted, never processed
        *GROUP_NOUNS,
    }
)
_GROUP_WORD = re.compile(rf"\b(?:{'|'.join(GROUP_NOUNS)})\b")
#: A cadence word that dates money, not work: "monthly cap", "a monthly budget of $2k".
_MONEY_CADENCE = re.compile(
    rf"\b(?:{_CADENCE})\s+(?:cap|budget|spend(?:ing)?|limit|ceiling|bill|cost|costs|fee"
    rf"|allowance|max(?:imum)?|target)\b"
)
#: Items of something per period: "200k PDFs of customs paperwork per day".
_RATE_OF_PER = re.compile(
    rf"{_NUM}\+?\s*(?P<words>)(?P<item>[a-z][a-z-]*s)\s+of\s+(?P<words2>(?:[a-z][a-z'-]*\s+)"
    rf"{{1,3}}?)(?:per|a|an|each|every)\s+(?P<unit>{_WORD_UNIT})(?![\w/])"
)
#: Multiples of a short period: "twice a second", "5 times a minute" (longer periods are the
#: cadence of a job, not a request rate).
_TIMES = {"once": 1.0, "twice": 2.0, "thrice": 3.0}
_FREQUENCY = re.compile(
    rf"(?:(?P<word>once|twice|thrice)|{_NUM}\s*(?:times|x))\s+(?:a|an|per|each|every)\s+"
    rf"(?P<unit>second|sec|minute|min)\b"
)
#: Things one request is called.
_REQUEST_NOUN = (
    r"requests?|quer(?:y|ies)|calls?|completions?|messages?|questions?|prompts?|generations?"
    r"|suggestions?|lookups?|hits?|api calls?|inferences?"
)
#: "a request every 5 seconds", "2 queries every minute", "a completion every ~3s".
#: Verbs of firing a request: after one, any noun is the request ("sends a chunk every 5 s").
_FIRE_VERB = (
    r"(?:sends?|sending|fires?(?: off)?|firing(?: off)?|makes?|making|submits?|submitting"
    r"|asks?|asking|posts?|posting|triggers?|triggering|issues?|issuing|pushes|pushing|hits?)"
)
_APPROX_WORD = r"(?:(?:~|about|around|roughly|approx(?:imately)?|maybe|perhaps)\s*)?"
_EVERY = re.compile(
    rf"(?:(?P<verb>{_FIRE_VERB})\s+)?(?:(?P<a>an?|one)|{_NUM})\s+(?:new\s+)?"
    rf"(?P<noun>(?:[a-z-]+\s+)?[a-z-]+)\s+{_APPROX_WORD}every\s*"
    rf"{_APPROX_WORD}\s*(?:{_NUM2}\s*)?(?P<unit>{_UNIT})(?![\w/])"
)
_REQUEST_NOUN_END = re.compile(rf"(?:^|\s)(?:{_REQUEST_NOUN})$")
#: A job done over a span: "over the next month", "within 2 weeks", "in a day".
_SPAN = re.compile(
    rf"[^;.!?]{{0,60}}?\b(?:over|within|in|during|across)\s+(?:the\s+(?:next|coming|first"
    rf"|following)\s+|a\s+|an\s+|one\s+)?(?:{_NUM2}\s+)?(?P<unit>{_WORD_UNIT})\b"
)
#: "max"/"maximum" marks a peak rate only next to a number or a word for load ("max 60 rps",
#: "60 rps max"), not in "maximum tokens per GPU-hour" or "maximum quality".
_PEAK_WORDS = re.compile(
    r"\b(?:peak|at (?:the )?busiest|burst(?:s|y)?|spikes?|max(?:imum)?(?=\s*(?:of\s*)?(?:[\d~]"
    r"|$|[,;.)]|rps|qps|load|rate|traffic|requests?|concurren)))\b"
)
#: A peak that leaves the unit of the rate before it unsaid: "20 req/s sustained, 45 peak",
#: "~30 rps, peaks of 80", "12 qps (spikes to 40)".
_ELIDED_PEAK = re.compile(
    r"(?:\s*(?:sustained|average|avg|steady|typical(?:ly)?|normal(?:ly)?|on average|baseline"
    r"|usually))?"
    rf"[\s,;(]*(?:and |with |but |up to |~|about |around )*(?:{_NUM2}\s*(?:at )?"
    rf"(?:peak|max(?:imum)?|at (?:the )?busiest)\b|(?:peaks?|peaking|spikes?|spiking|bursts?"
    rf"|bursting)(?: of| at| to| up to)?\s*(?:~|about |around )?{_NUM3}(?![\w.]|\s*%))"
)
_LEADING_NUMBER = re.compile(_NUM)
_AVERAGE_WORDS = re.compile(r"\b(?:average|avg|on average|mean|sustained|steady|typical)\b")


@dataclass(frozen=True)
class RateFound(Found):
    peak: bool
    average: bool
    derived: bool
    item_noun: bool
    per_user: bool = False
    #: Hours of the stated active window a daily volume was spread over, if any.
    window_hours: float | None = None


def _rate_flags(doc: Doc, start: int, end: int) -> tuple[bool, bool]:
    lo, hi = doc.clause_bounds(start)
    window = doc.text[max(lo, start - 30) : min(hi, end + 25)]
    return bool(_PEAK_WORDS.search(window)), bool(_AVERAGE_WORDS.search(window))


def find_rates(doc: Doc) -> list[RateFound]:
    """Every request rate the text states, in requests/s; consumes their spans."""
    found: list[RateFound] = []
    window = find_active_window(doc.work)
    if window is not None:
        doc.consume(window.start, window.end)

    def active(period_s: float) -> float:
        """A day shrinks to its active window ("5,000 calls a day across a 10-hour window")."""
        if window is None or period_s != SECONDS_PER_DAY:
            return period_s
        return window.hours * SECONDS_PER_HOUR

    def windowed(period_s: float) -> float | None:
        return window.hours if window is not None and period_s == SECONDS_PER_DAY else None

    def add(m: re.Match[str], period_s: float, *, derived: bool, conf: float) -> None:
        window_hours = windowed(period_s)
        period_s = active(period_s)
        words = m.groupdict().get("words") or ""
        item = bool(re.search(rf"\b(?:{ITEMS_PATTERN})\b", words))
        item = item or bool(m.groupdict().get("item"))
        peak, average = _rate_flags(doc, m.start(), m.end())
        tail = doc.work[m.end() : m.end() + 30]
        lo, _ = doc.clause_bounds(m.start())
        per_user = bool(_PER_USER_TAIL.match(tail)) or bool(
            _EACH_SUBJECT.search(doc.text, max(lo, m.start() - 40), m.start())
        )
        found.append(
            RateFound(
                value=number_from(m) / period_s,
                start=m.start(),
                end=m.end(),
                confidence=conf,
                peak=peak and not average,
                average=average,
                derived=derived,
                item_noun=item,
                per_user=per_user,
                window_hours=window_hours,
            )
        )
        doc.consume(m.start(), m.end())

    for m in list(_PER_USER_RATE.finditer(doc.work)):
        if "token" in m.group("words"):
            continue
        peak, average = _rate_flags(doc, m.start(), m.end())
        found.append(
            RateFound(
                value=number_from(m) / active(TIME_UNITS[m.group("unit")]),
                start=m.start(),
                end=m.end(),
                confidence=0.8,
                peak=peak,
                average=average,
                derived=False,
                item_noun=False,
                per_user=True,
                window_hours=windowed(TIME_UNITS[m.group("unit")]),
            )
        )
        doc.consume(m.start(), m.end())
    for m in list(_RATE_ABBR.finditer(doc.work)):
        add(m, RATE_ABBREVIATIONS[m.group("abbr")], derived=False, conf=0.95)
    for m in list(_RATE_PER.finditer(doc.work)):
        words = m.group("words")
        if not noun_phrase_ok(words) or has_user_noun(words) or "token" in words:
            continue
        if _GROUP_WORD.search(words):
            continue  # "3 shifts a day" counts groups of people, not requests
        add(m, TIME_UNITS[m.group("unit") or m.group("slash_unit")], derived=False, conf=0.9)
    for m in list(_RATE_OF_PER.finditer(doc.work)):
        if not _is_job_size(m) or "token" in m.group("words2"):
            continue
        add(m, TIME_UNITS[m.group("unit")], derived=False, conf=0.85)
    for m in list(_RATE_CADENCE.finditer(doc.work)):
        words = m.group("words")
        if not words.strip() or not noun_phrase_ok(words) or has_user_noun(words):
            continue
        if words.split()[0] in TIME_UNITS:
            continue  # "a 6 hour overnight window" is a duration, not 6 items a night
        if "token" in words or _GROUP_WORD.search(words):
            continue
        add(m, CADENCE_WORDS[m.group("cadence")], derived=False, conf=0.8)
    for m in list(_FREQUENCY.finditer(doc.work)):
        count = _TIMES[m.group("word")] if m.group("word") else number_from(m)
        _add_frequency(doc, found, m, count, TIME_UNITS[m.group("unit")], per_user=False)
    for m in list(_EVERY.finditer(doc.work)):
        if not (m.group("verb") or _REQUEST_NOUN_END.search(m.group("noun"))):
            continue
        count = 1.0 if m.group("a") else number_from(m)
        period = TIME_UNITS[m.group("unit")] * (number_from(m, "num2") if m.group("num2") else 1)
        lo, _ = doc.clause_bounds(m.start())
        each = _EACH_SUBJECT.search(doc.text, max(lo, m.start() - 40), m.start()) is not None
        each = each or _PER_USER_TAIL.match(doc.work, m.end()) is not None
        _add_frequency(doc, found, m, count, period, per_user=each)
    found = _with_elided_peaks(doc, found)
    if not found:
        for m in list(_JOB_SIZE.finditer(doc.work)):
            span = _SPAN.match(doc.text, m.end())
            if span is None or not _is_job_size(m):
                continue
            many = number_from(span, "num2") if span.group("num2") else 1.0
            add(m, TIME_UNITS[span.group("unit")] * many, derived=True, conf=0.6)
            break
    if not found:
        cadence = next(
            (
                c
                for c in re.finditer(rf"\b(?:{_CADENCE})\b", doc.text)
                if not _MONEY_CADENCE.match(doc.text, c.start())
            ),
            None,
        )
        if cadence is not None:
            described = described_items(doc.text, cadence.end())
            for m in list(_JOB_SIZE.finditer(doc.work)):
                if not _is_job_size(m) or (described and m.group("item") not in described):
                    continue
                add(m, CADENCE_WORDS[cadence.group(0)], derived=True, conf=0.6)
                break
    return found


def _with_elided_peaks(doc: Doc, found: list[RateFound]) -> list[RateFound]:
    """``found`` plus the peaks written as a bare number after a rate ("20 req/s sustained,
    45 peak"): ``peak_per_s = rate_per_s × peak_count / rate_count``. The rate they follow is
    then the base rate, not itself a peak. Consumes them."""
    out: list[RateFound] = []
    for rate in found:
        m = None if rate.per_user or rate.derived else _ELIDED_PEAK.match(doc.work, rate.end)
        stated = _LEADING_NUMBER.match(doc.text, rate.start)
        if m is None or stated is None or number_from(stated) <= 0:
            out.append(rate)
            continue
        peak_per_s = rate.value * _peak_count(m) / number_from(stated)
        out.append(replace(rate, peak=False))
        out.append(
            replace(
                rate,
                value=peak_per_s,
                start=m.start(),
                end=m.end(),
                confidence=0.75,
                peak=True,
                average=False,
            )
        )
        doc.consume(m.start(), m.end())
    return out


def _peak_count(m: re.Match[str]) -> float:
    return number_from(m, "num2") if m.group("num2") else number_from(m, "num3")


def _is_job_size(m: re.Match[str]) -> bool:
    """Whether a :data:`_JOB_SIZE` match counts items (not tokens, users or time)."""
    item = m.group("item")
    if not noun_phrase_ok(m.group("words")) or item in _NOT_ITEMS:
        return False
    return not (re.fullmatch(USER_PATTERN, item) or has_user_noun(m.group("words")))


def _add_frequency(
    doc: Doc,
    found: list[RateFound],
    m: re.Match[str],
    count: float,
    period_s: float,
    *,
    per_user: bool,
) -> None:
    """Record ``count`` requests per ``period_s`` seconds read at ``m``; consumes it."""
    if period_s <= 0:
        return
    peak, average = _rate_flags(doc, m.start(), m.end())
    found.append(
        RateFound(
            value=count / period_s,
            start=m.start(),
            end=m.end(),
            confidence=0.75,
            peak=peak and not average,
            average=average,
            derived=False,
            item_noun=False,
            per_user=per_user,
        )
    )
    doc.consume(m.start(), m.end())
