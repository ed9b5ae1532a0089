"""Latency targets: metric, percentile and bound from phrases like "TTFT p90 under 400 ms".

Each duration ("150ms", "5 s", "half a second", "2 minutes", "within a minute") is attached
to the nearest metric phrase in its clause (before it, else after it). A clause with a
percentile but no metric continues the previous target's metric ("median TTFT under 250 ms;
p99 under 1 s"). A bare "latency" or "response time" is the time to first token when answers
stream and the bound is under a second, otherwise end-to-end time
(:data:`GENERIC_TTFT_MAX_MS`). A per-user streaming speed ("at least 20 tokens/s per user")
is an ITL bound of 1000 / speed ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from predeploy.core.types.base import PercentileName
from predeploy.core.types.slo import LatencyMetric
from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.text import Doc

#: Metric phrases, most specific first.
METRIC_PHRASES: tuple[tuple[str, LatencyMetric], ...] = (
    (
        r"ttft|time[- ]to[- ]first[- ]token|time to the first token|first[- ]token(?: latency"
        r"| time)?|first tokens?|first byte|ttfb|initial (?:response|token)|first words?"
        # the moment output starts: "starts talking", "begin to speak", "start streaming"
        r"|(?:start|begin)(?:s|ning|ing)?(?: to)? (?:stream|respond|answer|reply"
        r"|talk|speak|typ|writ|generat|output|show|produc)\w*",
        "ttft_ms",
    ),
    (
        r"itl|inter[- ]?token(?: latency)?|token[- ]to[- ]token|between tokens|per[- ]token"
        r"(?: latency)?|token latency|token[- ]level(?: latency)?|time between (?:output )?tokens"
        r"|(?:inter-?)?token gaps?|(?<=\btokens )[^;,.]{0,60}?between (?:them|each(?: one)?)",
        "itl_ms",
    ),
    (r"tpot|time per output token", "tpot_ms"),
    (
        r"e2e|end[- ]to[- ]end|end to end|total (?:latency|response time|time)|full (?:response"
        r"|answer|completion)|complete (?:response|answer)|whole (?:response|answer)"
        r"|overall latency|request latency|finish(?:es|ed)?|(?:be |are |is )?done"
        r"|complete[ds]?(?! (?:response|answer))|completion time",
        "e2e_ms",
    ),
)
#: Words for a latency target whose metric is not named.
GENERIC_LATENCY = (
    r"latency|latencies|response times?|respond(?:s|ing)?|responses?|answers?|answered|replies"
    r"|reply|returns?|turnaround|appear|show up|suggestions?|completions?|wait(?:ing)?"
    r"|results?|delay|speed|pauses?|lag|lags|silences?|hangs?"
)
#: A generic target at or below this bound (ms) on a streaming use case is read as TTFT.
GENERIC_TTFT_MAX_MS = 1000.0

#: "95% of requests", "90 percent of answers", "in 99 % of cases": a share of anything counted.
_SHARE_OF = r"\s?(?:%|percent|pct) of (?:the |all |our )?[a-z]+"
PERCENTILE_PHRASES: tuple[tuple[str, PercentileName], ...] = (
    (
        rf"p\s?50|50(?:th)?[- ]?(?:percentile|pct)|median|average|mean|avg|typical|50{_SHARE_OF}",
        "p50",
    ),
    (rf"p\s?90|90(?:th)?[- ]?(?:percentile|pct)|90{_SHARE_OF}", "p90"),
    (rf"p\s?95|95(?:th)?[- ]?(?:percentile|pct)|95{_SHARE_OF}", "p95"),
    (
        rf"p\s?99(?:\.9+)?|99(?:\.9+)?(?:th)?[- ]?(?:percentile|pct)|99(?:\.9+)?{_SHARE_OF}"
        r"|tail(?: latency)?|worst[- ]case|always|never (?:more|longer) than",
        "p99",
    ),
)

_NUM = number_pattern("num")
_NUM2 = number_pattern("num2")
_DURATION = re.compile(
    rf"(?P<sub>sub-)?{_NUM}\s*-?\s*(?P<unit>ms|msec|millis(?:econds?)?|milliseconds?|s|secs?"
    rf"|seconds?|mins?|minutes?)(?![\w/])"
)
MS_PER_SECOND = 1000.0
MS_PER_MINUTE = 60_000.0
_HALF_UNIT = re.compile(r"\b(?:half an? |an? half )(?P<unit>second|minute)\b")
#: "within a minute", "under a second": one unit after a bound word. Elsewhere "a minute" is
#: a period ("300 requests a minute", "twice a minute"), read in rates.py.
_ONE_UNIT = re.compile(
    r"\b(?:under|below|within|inside|in|than|most) (?:about |around |roughly |just )?"
    r"(?P<one>(?:a|one) (?P<unit>second|minute))\b"
)
_SUB_SECOND = re.compile(r"\bsub-?second\b")
_TOKENS_PER_S_PER_USER = re.compile(
    rf"{_NUM}\s*(?:tokens?|tok)\s*(?:/|per)\s*(?:s|sec|second)\b\s*(?:per|for each|each)?\s*"
    rf"(?:user|stream|request|session|conversation)"
    # a streaming speed: "tokens streaming at least 30 tok/s", "stream at 40 tokens/s"
    rf"|(?<=stream)(?:ing|s|ed)?(?:\s+(?:at|of|by|to))?"
    rf"(?:\s+(?:at least|>=?|over|above|min(?:imum)?|about|around|~))?"
    rf"\s*{_NUM2}\s*(?:tokens?|tok)\s*(?:/|per)\s*(?:s|sec|second)\b"
)
_THROUGHPUT = re.compile(rf"{_NUM}\s*(?:output )?(?:tokens?|tok)\s*(?:/|per)\s*(?:s|sec|second)\b")
_METRICS = tuple(
    (re.compile(rf"(?<![\w-])(?:{p})(?![\w-])"), metric) for p, metric in METRIC_PHRASES
)
_GENERIC = re.compile(rf"(?<![\w-])(?:{GENERIC_LATENCY})(?![\w-])")
_PERCENTILES = tuple(
    (re.compile(rf"(?<![\w.-])(?:{p})(?![\w-])"), pct) for p, pct in PERCENTILE_PHRASES
)
#: Words that make the duration after them an upper bound ("under 80 ms", "within 2 s").
_BOUND_BEFORE = re.compile(
    r"(?:under|below|within|in|less than|at most|no more than|<=?|max(?:imum)?|faster than)\s*$"
)
#: A duration after "every" is a period ("a request every 5 s"), never a latency bound.
_PERIOD_BEFORE = re.compile(r"\bevery\s*(?:~|about|around|roughly|approx(?:imately)?)?\s*$")
#: A duration before "ago" or "later" is a point in time ("started 2 minutes ago").
_AGO_AFTER = re.compile(r"\s*(?:ago|earlier|later|before that|after that)\b")
#: A bound per request needs no latency word: "under two seconds per message".
_PER_REQUEST_AFTER = re.compile(
    r"\s*(?:per|for each|for every|for any|each|a|an) (?:single |individual )?(?:message"
    r"|request|query|quer(?:y|ies)|question|translation|reply|answer|response|turn|call|item"
    r"|completion|suggestion|prompt|lookup|generation|chat turn|interaction)s?\b"
)
_CLAUSE_SPLIT = re.compile(r"[;,]|\band\b|\bbut\b|\bwhile\b")


@dataclass(frozen=True)
class TargetFound:
    metric: LatencyMetric | None  # None: a generic latency, resolved by the caller
    percentile: PercentileName | None
    value_ms: float
    start: int
    end: int
    confidence: float
    derived: bool = False


def unit_ms(unit: str) -> float:
    """Milliseconds in one ``unit`` ("ms", "millis", "s", "secs", "min", "minutes")."""
    if unit.startswith(("ms", "milli")):
        return 1.0
    return MS_PER_MINUTE if unit.startswith("min") else MS_PER_SECOND


def _segment(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """The stretch around a duration in which its metric and percentile are looked for."""
    lo, hi = doc.clause_bounds(start)
    cuts_before = [lo] + [lo + m.end() for m in _CLAUSE_SPLIT.finditer(doc.text[lo:start])]
    seg_lo = cuts_before[-1]
    after = _CLAUSE_SPLIT.search(doc.text, end, hi)
    seg_hi = after.start() if after else hi
    return seg_lo, seg_hi


def _nearest(
    patterns: tuple[tuple[re.Pattern[str], str], ...], text: str, pos: int
) -> tuple[str, int] | None:
    """The label of the match nearest to ``pos`` in ``text`` (before preferred on ties)."""
    best: tuple[str, int] | None = None
    for pattern, label in patterns:
        for m in pattern.finditer(text):
            dist = pos - m.end() if m.end() <= pos else (m.start() - pos) + 1
            if best is None or abs(dist) < abs(best[1]):
                best = (label, dist)
    return best


def _clause_lead(doc: Doc, seg_lo: int) -> str:
    """The part of the clause before the segment that starts at ``seg_lo``."""
    lo, _ = doc.clause_bounds(seg_lo)
    return doc.text[lo:seg_lo]


def find_targets(doc: Doc) -> tuple[list[TargetFound], float | None]:
    """Latency targets (ms) and a minimum output throughput (tokens/s), consuming them."""
    found: list[TargetFound] = []
    for m in list(_TOKENS_PER_S_PER_USER.finditer(doc.work)):
        speed = number_from(m) if m.group("num") else number_from(m, "num2")
        if speed > 0:
            found.append(
                TargetFound("itl_ms", None, 1000.0 / speed, m.start(), m.end(), 0.75, derived=True)
            )
        doc.consume(m.start(), m.end())
    min_tps: float | None = None
    for m in list(_THROUGHPUT.finditer(doc.work)):
        min_tps = number_from(m)
        doc.consume(m.start(), m.end())
    durations: list[tuple[int, int, float]] = []
    for m in _DURATION.finditer(doc.work):
        if _PERIOD_BEFORE.search(doc.text, max(0, m.start() - 25), m.start()):
            continue  # "a request every 3 s" is a rate, read in rates.py
        if _AGO_AFTER.match(doc.text, m.end()):
            continue  # "2 minutes ago" dates something, it bounds nothing
        durations.append((m.start(), m.end(), number_from(m) * unit_ms(m.group("unit"))))
    for m in _ONE_UNIT.finditer(doc.work):
        durations.append((m.start("one"), m.end("one"), unit_ms(m.group("unit"))))
    for m in _HALF_UNIT.finditer(doc.work):
        if not any(s <= m.start() < e for s, e, _ in durations):
            durations.append((m.start(), m.end(), unit_ms(m.group("unit")) / 2.0))
    for m in _SUB_SECOND.finditer(doc.work):
        if not any(s <= m.start() < e for s, e, _ in durations):
            durations.append((m.start(), m.end(), MS_PER_SECOND))
    durations.sort()
    previous_metric: LatencyMetric | None = None
    for start, end, value in durations:
        seg_lo, seg_hi = _segment(doc, start, end)
        segment = doc.text[seg_lo:seg_hi]
        pos = start - seg_lo
        metric_hit = _nearest(_METRICS, segment, pos)
        pct_hit = _nearest(_PERCENTILES, segment, pos)
        percentile = cast(PercentileName | None, pct_hit[0] if pct_hit else None)
        metric: LatencyMetric | None
        confidence = 0.9
        if metric_hit is not None:
            metric = cast(LatencyMetric, metric_hit[0])
        elif percentile is not None and previous_metric is not None:
            metric, confidence = previous_metric, 0.75
        elif (
            _GENERIC.search(segment)
            or _GENERIC.search(doc.text[seg_hi : seg_hi + 25])
            or (
                (percentile is not None or _PER_REQUEST_AFTER.match(doc.text, end))
                and _BOUND_BEFORE.search(doc.text, seg_lo, start)
            )
        ):
            # a bound on "95% of requests" or "under 2 s per message" is a latency target
            # even without a latency word
            metric, confidence = None, 0.7
        elif _BOUND_BEFORE.search(doc.text, seg_lo, start) and (lead := _clause_lead(doc, seg_lo)):
            # "Answer must come fast, maximum 2 second": a bare bound after a comma continues
            # the latency named earlier in its clause
            metric_hit = _nearest(_METRICS, lead, len(lead))
            metric = cast(LatencyMetric, metric_hit[0]) if metric_hit else None
            if metric is None and not _GENERIC.search(lead):
                continue
            confidence = 0.7
        else:
            continue  # a duration that is no latency target ("runs for 5 s")
        found.append(TargetFound(metric, percentile, value, start, end, confidence))
        previous_metric = metric
        doc.consume(start, end)
    return found, min_tps
