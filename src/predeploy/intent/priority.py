"""Priority (latency, cost, quality, throughput, balanced) from how the request is phrased.

Phrases add or subtract weight per priority (the table in :mod:`.priority_phrases`, the idiom
families in :mod:`.priority_idioms`); comparisons ("accuracy matters more than speed", "cost
over latency") give the first aspect +4 and the second −2; a cue under a negator ("don't care
about latency") and relaxations ("we can tolerate higher latency", "cost is no concern")
subtract; equal weights, relaxed lists and speed asked of a job come from
:mod:`.priority_tradeoffs`. The highest positive score wins; none positive means the user did
not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import Priority
from predeploy.intent.priority_consequences import (
    CONSEQUENCE_WEIGHT,
    clause_aspect,
    find_consequences,
)
from predeploy.intent.priority_idioms import hedged_aspects, idiom_phrases, refused_aspects
from predeploy.intent.priority_phrases import CONCERN, PRIORITY_PHRASES, RANK
from predeploy.intent.priority_tradeoffs import find_tradeoffs
from predeploy.intent.text import phrase_views

P = Priority

#: Degree words before a comparative: "matters way more than", "far more important".
_INTENSIFIER = (
    r"(?:(?:much|far|way|a lot|lots|a bit|a little|slightly|significantly|considerably"
    r"|substantially|vastly|a great deal|even|so much|by far) )?"
)
#: Symbols written for "over": "quality > speed", "accuracy >> cost".
_OVER_SYMBOL = r"\s*>+\s*"
#: A negator right before a cue turns it into a relaxation: "don't care about latency",
#: "we do not need it fast", "never cheap".
_NEGATED_CUE = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|does not|didn'?t|won'?t|couldn'?t|never|not|no need to)"
    r"(?: really| much| even| necessarily| particularly| that| too)?\s+$"
)
#: Weight of a cue under a negator (a relaxation of its aspect).
NEGATED_CUE_WEIGHT = -2.0


#: Words that name each aspect in comparisons ("X matters more than Y").
_ASPECTS: dict[str, Priority] = {
    "latency": P.LATENCY,
    "speed": P.LATENCY,
    "response time": P.LATENCY,
    "responsiveness": P.LATENCY,
    "turnaround": P.LATENCY,
    "turnaround time": P.LATENCY,
    "being fast": P.LATENCY,
    "fast answers": P.LATENCY,
    "cost": P.COST,
    "costs": P.COST,
    "price": P.COST,
    "money": P.COST,
    "budget": P.COST,
    "being cheap": P.COST,
    "quality": P.QUALITY,
    "accuracy": P.QUALITY,
    "correctness": P.QUALITY,
    "completeness": P.QUALITY,
    "thoroughness": P.QUALITY,
    "faithfulness": P.QUALITY,
    "precision": P.QUALITY,
    "answer quality": P.QUALITY,
    "code quality": P.QUALITY,
    "throughput": P.THROUGHPUT,
    "volume": P.THROUGHPUT,
}
_ASPECT = "|".join(sorted((re.escape(a) for a in _ASPECTS), key=len, reverse=True))
#: Adjectives that name an aspect in "we'd rather be right than fast", "correct over quick".
_ADJECTIVE_ASPECTS: dict[str, Priority] = {
    "right": P.QUALITY,
    "correct": P.QUALITY,
    "accurate": P.QUALITY,
    "precise": P.QUALITY,
    "good": P.QUALITY,
    "fast": P.LATENCY,
    "quick": P.LATENCY,
    "snappy": P.LATENCY,
    "instant": P.LATENCY,
    "cheap": P.COST,
    "inexpensive": P.COST,
}
_ADJ = "|".join(_ADJECTIVE_ASPECTS)
#: Adjectives for failing an aspect: preferring "slow" to "wrong" puts quality first.
_NEGATIVE_ASPECTS: dict[str, Priority] = {
    "slow": P.LATENCY,
    "slower": P.LATENCY,
    "sluggish": P.LATENCY,
    "laggy": P.LATENCY,
    "expensive": P.COST,
    "pricey": P.COST,
    "costly": P.COST,
    "wrong": P.QUALITY,
    "inaccurate": P.QUALITY,
    "sloppy": P.QUALITY,
    "dumb": P.QUALITY,
    "mediocre": P.QUALITY,
}
_NEG = "|".join(_NEGATIVE_ASPECTS)
#: Failures one would go a long way to avoid, by aspect: "rather wait than ship sloppy code",
#: "pay more to avoid keeping clients waiting".
_AVOIDED_FAILURES: dict[str, Priority] = {
    **_NEGATIVE_ASPECTS,
    "lag": P.LATENCY,
    "lagging": P.LATENCY,
    "delays": P.LATENCY,
    "waiting": P.LATENCY,
    "late": P.LATENCY,
    "bad": P.QUALITY,
    "mistakes": P.QUALITY,
    "errors": P.QUALITY,
    "hallucinations": P.QUALITY,
    "incorrect": P.QUALITY,
    "buggy": P.QUALITY,
    "broken": P.QUALITY,
    "garbage": P.QUALITY,
    "overspending": P.COST,
    "overpaying": P.COST,
}
_AVOIDED = "|".join(_AVOIDED_FAILURES)
_ALL_ASPECTS = {**_ADJECTIVE_ASPECTS, **_ASPECTS, **_AVOIDED_FAILURES}
#: What comes between "rather" and the adjective: nothing, "be", "get it", or a subject with
#: "be"/"were" ("we'd rather it be right than fast", "rather the answers were slow than wrong").
_SUBJECT_BE = (
    r"(?:(?:(?:it|they|things|(?:the|our) [\w-]+) )?(?:be|were|was) |get it |have it |go "
    r"|get things )?"
)
_COMPARISONS = (
    # the failure one accepts names the aspect given up: "we'd rather be slow than wrong",
    # "I'll take expensive over inaccurate"
    re.compile(
        rf"(?:rather|better|prefer to|happier to) {_SUBJECT_BE}(?P<b>{_NEG})"
        rf" than (?:be |get it |have it )?(?P<a>{_NEG})\b"
        rf"|(?:take|accept|prefer) (?P<b3>{_NEG}) (?:over|to) (?P<a3>{_NEG})\b"
    ),
    # what one would rather do than fail, or pay to avoid: "they'd rather wait a bit longer
    # than fix sloppy translations", "we'd pay more to avoid keeping clients waiting"
    re.compile(
        rf"(?:rather|sooner|prefer to) (?!(?:be |get it |have it |go )?(?:{_NEG}) than)"
        rf"[^.;:]{{0,50}}? than (?:[\w'-]+ ){{0,3}}?(?P<a>{_AVOIDED})\b"
        r"|(?:pay|spend|wait|invest) (?:[\w'-]+ ){0,3}?(?:to avoid|so as not to|rather than|instead"
        rf" of) (?:[\w'-]+ ){{0,3}}?(?P<a3>{_AVOIDED})\b"
    ),
    # an elliptical contrast: "speed per request doesn't matter, volume does", "not cost
    # but accuracy"
    re.compile(
        rf"(?P<b>{_ASPECT})(?: [\w-]+){{0,3}} (?:doesn't|does not|don't|do not|isn't|is not"
        r"|aren't|are not) (?:really |much |that )?(?:matter|count|important|critical"
        rf"|(?:a|the|our|my) {RANK}{CONCERN})[,;]? "
        r"(?:but |only |just )?(?:the |our )?"
        rf"(?P<a>{_ASPECT})(?: [\w-]+)? (?:does|do|is|are|matters|counts)\b"
        rf"|\bnot (?P<b3>{_ASPECT}),? but (?P<a3>{_ASPECT})\b"
    ),
    # what the request is after: "looking for throughput:", "optimizing for cost"
    re.compile(
        r"(?:looking|optimi[sz]ing|optimi[sz]ed|aiming|going|shooting|tuned|tuning) for "
        r"(?:max(?:imum)? |high |low |the (?:best|lowest|highest|most) |raw |pure |great )?"
        rf"(?P<a>{_ASPECT})\b"
    ),
    re.compile(
        rf"(?P<a>{_ASPECT})(?: (?:above|over|before) |{_OVER_SYMBOL})(?:all(?: else)?"
        rf"|everything(?: else)?|anything"
        rf"(?: else)?)|(?P<a2>{_ASPECT}) first and foremost"
    ),
    re.compile(
        rf"(?P<a>{_ASPECT}) (?:(?:matters|counts|is) )?{_INTENSIFIER}more(?: important)?"
        rf"(?: to us)? than (?P<b>{_ASPECT})"
    ),
    re.compile(
        rf"(?P<a>{_ASPECT}) (?:over|before|rather than|above|more than|ahead of) (?P<b>{_ASPECT})"
    ),
    # the aspect named as what binds: "the real constraint is the budget", "our main concern
    # is latency"
    re.compile(
        r"(?:real|main|biggest|key|binding|hard|only|primary|overriding) (?:constraint|concern"
        r"|worry|limit|limitation|bottleneck) (?:here )?(?:is|are) (?:the |our )?"
        rf"(?P<a>{_ASPECT})\b"
    ),
    # the aspect ranked below comes first: "latency is secondary to answer quality", "cost
    # matters less than accuracy", "speed takes a back seat to correctness"
    re.compile(
        rf"(?P<b>{_ASPECT}) (?:is|are|comes?|remains?|stays?) (?:\w+ )?(?:secondary|subordinate"
        rf"|second) to (?:the |our )?(?P<a>{_ASPECT})"
        rf"|(?P<b3>{_ASPECT}) (?:(?:matters|counts|is|are) {_INTENSIFIER}less(?: important)?"
        rf"|takes? a back ?seat) (?:than|to) (?:the |our )?(?P<a3>{_ASPECT})"
    ),
    re.compile(rf"(?P<a>{_ASPECT})\s*(?:>+|beats|trumps|wins over)\s*(?P<b>{_ASPECT})"),
    re.compile(rf"(?:prefer|favou?r|prioriti[sz]e) (?P<a>{_ASPECT}) (?:over|to) (?P<b>{_ASPECT})"),
    re.compile(
        rf"(?:sacrifice|trade|give up) (?:some )?(?P<b>{_ASPECT}) for (?:better |more |lower )?"
        rf"(?P<a>{_ASPECT})"
    ),
    re.compile(rf"(?:more|most) important(?: \w+)? (?:is|than) (?P<a>{_ASPECT})"),
    re.compile(rf"(?P<a>{_ASPECT}) (?:matters|counts) {_INTENSIFIER}more"),
    re.compile(
        rf"(?:rather|prefer to|better to) {_SUBJECT_BE}(?P<a>{_ADJ})(?: and slow)?"
        rf" than (?:be )?(?P<b>{_ADJ})|(?P<a3>{_ADJ}) (?:rather than|over|beats) (?P<b3>{_ADJ})\b"
    ),
)
_COMPILED = tuple(
    (re.compile(rf"(?<![\w-])(?:{p})(?![\w-])"), prio, w)
    for p, prio, w in (*PRIORITY_PHRASES, *idiom_phrases())
)


#: A comparison between two phrases rather than two aspect names: "keeping the monthly
#: invoice under $10k matters more than shaving milliseconds"; each side's aspect is read from
#: its words (:func:`clause_aspect`).
_PHRASE_COMPARISON = re.compile(
    r"(?P<left>[^.;:,!?]{3,70}?) (?:matters?|counts?|is|are|comes?) "
    rf"{_INTENSIFIER}(?:more(?: important)?|higher)(?: to us| for us)? (?:than|over) "
    r"(?P<right>[^.;:,!?]{3,50})"
)


def _weigh_phrase_comparisons(
    text: str,
    scores: dict[Priority, float],
    hits: dict[Priority, list[str]],
    compared: set[tuple[int, int]],
) -> None:
    """Comparisons of whole phrases (+4 to the left side's aspect, −2 to the right's) where
    no aspect-name comparison already read the same words."""
    for m in _PHRASE_COMPARISON.finditer(text):
        if any(lo < m.end() and m.start() < hi for lo, hi in compared):
            continue
        a, b = clause_aspect(m.group("left")), clause_aspect(m.group("right"))
        if a is None or b is None or a == b:
            continue
        scores[a] += 4
        scores[b] -= 2
        hits[a].append(m.group(0).strip())
        compared.add((m.start(), m.end()))


#: A score at or above this states a priority outright ("cost is our top priority").
DECISIVE_SCORE = 4.0
#: Weight of a refused failure that stands alone ("it can't be slow"): a strong cue.
REFUSED_ALONE_WEIGHT = 3.0
#: Weight of a trade-off read from an aspect named as a floor beside another aspect's cue.
FLOOR_TRADE_OFF_WEIGHT = 4.0
_SUPERLATIVE = re.compile(r"\b(?:\w+est|most|least|as \w+ as possible)\b")


def _weigh_floors(
    text: str, scores: dict[Priority, float], hits: dict[Priority, list[str]]
) -> None:
    """A trade-off: one aspect as a floor ("keep it reasonably quick") beside a mild cue for
    another ("don't overspend") is balanced; beside an outright or superlative one ("cost is
    our top priority", "cheapest possible") it leaves that one standing. A refused failure
    with no other cue at all ("it can't be slow") is what the request insists on: that aspect."""
    floors = hedged_aspects(text)
    refused = refused_aspects(text)
    if refused and all(v <= 0 for v in scores.values()):
        scores[refused[0]] += REFUSED_ALONE_WEIGHT
        hits[refused[0]].append(f"refuses a {refused[0].value} failure")
        return
    for floor in floors:
        others = [
            p
            for p in (P.LATENCY, P.COST, P.QUALITY, P.THROUGHPUT)
            if p != floor
            and 0 < scores[p] < DECISIVE_SCORE
            and not _SUPERLATIVE.search(" ".join(hits[p]))
        ]
        if others:
            scores[P.BALANCED] += FLOOR_TRADE_OFF_WEIGHT
            hits[P.BALANCED].append(f"{floor.value} as a floor beside {others[0].value}")
            return


@dataclass(frozen=True)
class PriorityGuess:
    priority: Priority
    confidence: float
    evidence: str


def find_priority(text: str) -> PriorityGuess | None:
    """The priority the text states, or ``None`` when it states none."""
    scores: dict[Priority, float] = dict.fromkeys(Priority, 0.0)
    hits: dict[Priority, list[str]] = {p: [] for p in Priority}
    compared: set[tuple[int, int]] = set()
    views = phrase_views(text)
    for pattern in _COMPARISONS:
        seen = list(pattern.finditer(text))
        spans = {(m.start(), m.end()) for m in seen}
        seen += [
            m for v in views[1:] for m in pattern.finditer(v) if (m.start(), m.end()) not in spans
        ]
        for m in seen:
            groups = m.groupdict()
            first = next(groups[g] for g in ("a", "a2", "a3") if groups.get(g))
            a = _ALL_ASPECTS[first]
            scores[a] += 4
            hits[a].append(m.group(0))
            second = next((groups[g] for g in ("b", "b3") if groups.get(g)), None)
            if second is not None:
                b = _ALL_ASPECTS[second]
                if b != a:
                    scores[b] -= 2
            compared.add((m.start(), m.end()))
    _weigh_phrase_comparisons(text, scores, hits, compared)
    for t in find_tradeoffs(text):
        scores[t.priority] += t.weight
        if t.weight > 0:
            hits[t.priority].append(t.evidence)
        if t.masks:
            compared.add((t.start, t.end))
    for pattern, prio, weight in _COMPILED:
        for view, m in ((v, m) for v in views for m in pattern.finditer(v)):
            if any(lo <= m.start() < hi for lo, hi in compared) and weight > 0:
                continue  # the word is part of a comparison already counted
            if weight > 0 and _NEGATED_CUE.search(view, max(0, m.start() - 30), m.start()):
                weight = NEGATED_CUE_WEIGHT  # "don't care about latency": a relaxation
            scores[prio] += weight
            if weight > 0:
                hits[prio].append(m.group(0))
            break
    consequences = find_consequences(text)
    for aspect in dict.fromkeys(c.priority for c in consequences):
        scores[aspect] += CONSEQUENCE_WEIGHT
        hits[aspect].extend(c.evidence for c in consequences if c.priority == aspect)
    _weigh_floors(text, scores, hits)
    best = max(scores, key=lambda p: scores[p])
    if scores[best] <= 0:
        return None
    others = sorted((v for p, v in scores.items() if p != best), reverse=True)
    margin = scores[best] - max(others[0], 0.0)
    confidence = min(0.95, 0.55 + 0.1 * margin)
    return PriorityGuess(best, round(confidence, 3), ", ".join(hits[best])[:200])
