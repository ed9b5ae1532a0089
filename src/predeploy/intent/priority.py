"""Priority (latency, cost, quality, throughput, balanced) from how the request is phrased.

Phrases add or subtract weight per priority (:data:`PRIORITY_PHRASES`); comparisons
("accuracy matters more than speed", "cost over latency") give the first aspect +4 and the
second −2; relaxations ("we can tolerate higher latency", "cost is no concern") subtract. The
highest positive score wins; none positive means the user did not say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import Priority
from predeploy.intent.priority_idioms import hedged_aspects, idiom_phrases
from predeploy.intent.text import phrase_views

P = Priority

#: What people say an aspect "is" when it decides: "speed is king", "cost is non-negotiable".
_DECIDES = (
    r"critical|crucial|key|essential|paramount|everything|king|all that matters|what counts"
    r"|non-negotiable|number one|#1|the name of the game|a must|vital"
)
#: "<aspect>-oriented", "<aspect>-first" and the like.
_ORIENTED = r"[- ](?:oriented|focused|first|optimi[sz]ed|driven|centric|bound)"

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

#: "the main", "our top", "the only" … before :data:`_CONCERN`.
_RANK = r"(?:main |primary |biggest |key |top |only |first )?"
_MAIN = rf"(?:the |our )?{_RANK}"
#: What an aspect "is" when it leads: "cost efficiency is the primary consideration".
_CONCERN = (
    r"(?:concern|priority|focus|goal|factor|requirement|consideration|driver|objective|thing"
    r"|worry|issue|constraint)"
)

#: (phrase regex, priority, weight); negative weights are relaxations of that aspect.
PRIORITY_PHRASES: tuple[tuple[str, Priority, float], ...] = (
    # "<aspect> is the main concern / our top priority / the key factor"
    (
        rf"(?:latency|speed|response times?|responsiveness) (?:is|are) {_MAIN}{_CONCERN}",
        P.LATENCY,
        4,
    ),
    (
        r"(?:cost|costs|price|money|spend(?:ing)?|budget)(?:[- ]efficiency| control)?"
        rf" (?:is|are) {_MAIN}(?:{_CONCERN}|constraint)",
        P.COST,
        4,
    ),
    (
        rf"(?:quality|accuracy|correctness) (?:is|are) {_MAIN}{_CONCERN}",
        P.QUALITY,
        4,
    ),
    (
        rf"throughput (?:is|are) {_MAIN}{_CONCERN}",
        P.THROUGHPUT,
        4,
    ),
    # "we care (most) about <aspect>"
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:answer |output"
        r" |code )?(?:quality|accuracy|correctness)",
        P.QUALITY,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:latency|speed"
        r"|response times?)",
        P.LATENCY,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about (?:the )?(?:cost|costs"
        r"|price|spend(?:ing)?|the bill)",
        P.COST,
        3,
    ),
    (
        r"care (?:most |mostly |a lot |deeply |more |much more )?about throughput",
        P.THROUGHPUT,
        3,
    ),
    # latency
    (
        r"low[- ]latency|latency[- ](?:sensitive|critical)|real[- ]?time|instant(?:ly|aneous)?"
        r"|snappy|responsive|ultra[- ]fast|blazing|as fast as possible|minimal latency"
        r"|(?:super|ultra|hyper|extra|very)[- ](?:responsive|fast|quick|snappy|speedy"
        r"|low[- ]latency)"
        r"|lowest latency",
        P.LATENCY,
        3,
    ),
    # "lag is unacceptable", "delays are not an option"
    (
        r"(?:lag|lags|delays?|latency|waiting|slowness|slow (?:answers|responses|replies))"
        r" (?:is|are) (?:unacceptable|not acceptable|not an option|a no-?go|not ok(?:ay)?)"
        r"|(?:no|zero|without) (?:noticeable |perceptible |visible )?(?:lag|delay)",
        P.LATENCY,
        4,
    ),
    # a latency bound the product cannot live without: "sub-200ms or it's useless"
    (
        r"or (?:it's|it is|they're|they are|that's|it becomes|it'?ll be) (?:useless|pointless"
        r"|worthless|unusable|a deal-?breaker|dead on arrival)"
        r"|(?:latency|speed) is a deal-?breaker",
        P.LATENCY,
        3,
    ),
    (
        rf"(?:latency|speed|response time|responsiveness|fast responses?|being fast)"
        rf"(?: \w+){{0,2}} (?:is|are) (?:{_DECIDES}"
        r"|the (?:top |main |first |highest )?priority|what matters|most important|important)",
        P.LATENCY,
        4,
    ),
    (
        r"(?:latency|response times?|responses?|speed|ttft|wait(?:ing)? times?|replies)"
        r"(?: \w+)? (?:must|should|needs? to|has to|have to) (?:be |stay |remain |feel )?"
        r"(?:very |really |super )?(?:low|minimal|fast|quick|short|snappy|instant|tiny|small)"
        rf"|(?:latency|speed){_ORIENTED}",
        P.LATENCY,
        4,
    ),
    (
        r"(?:latency|speed|response time) (?:matters|counts)(?: the)? most|latency first"
        r"|speed first|prioriti[sz]e (?:latency|speed)|optimi[sz]e for (?:latency|speed)",
        P.LATENCY,
        4,
    ),
    (
        r"fast|quick(?:ly)?|speedy|rapid|low wait|no lag|without lag|sub-second"
        r"|(?:fast|quick|rapid)[- ](?:respon\w+|answer\w*|reacting|replying)",
        P.LATENCY,
        2,
    ),
    (
        r"(?:tolerate|accept|fine with|ok with|okay with) (?:a )?(?:bit )?(?:higher|more|some"
        r"|slower|longer|extra)(?: \w+)? (?:latency|wait|response times?|responses)"
        r"|latency (?:is not|isn't) (?:a )?(?:big |major )?(?:concern|issue|priority|critical)"
        r"|no latency requirement|not latency[- ]sensitive|not time[- ]sensitive|can wait"
        r"|slower is fine|don't need real[- ]?time|doesn't need to be fast"
        r"|(?:rather|happy to|willing to|can|could|don't mind|do not mind|ok to|okay to|fine to)"
        r" (?:\w+ )?wait(?:ing)? (?:a (?:bit|little) )?(?:longer|more|a bit|a while)",
        P.LATENCY,
        -5,
    ),
    # cost
    (
        r"cheap(?:est|er|ly)?|inexpensive|low[- ]cost|lowest cost|cost[- ](?:sensitive|conscious"
        r"|efficient|effective|optimi[sz]ed)|budget[- ](?:friendly|conscious|sensitive|constrained)"
        r"|affordable|economical|frugal|tight budget|limited budget|shoestring|save money"
        r"|lowest (?:possible )?(?:price|prices|spend|bill|cost)s?|least expensive"
        r"|(?:spend|spending|pay|paying|cost|costs|costing) as little as (?:possible|we can)"
        r"|(?:price|cost|spend|bill)s? as low as possible"
        r"|(?:minimi[sz]e|reduce|keep down|lower|cut)(?: the)? (?:cost|costs|spend|spending|bill)"
        r"|(?:don't|do not|doesn't|does not|don't really) have (?:a lot of|lots of|much|a big"
        r"|a large|big|deep) (?:money|budget|cash|funds?|funding|pockets)|not (?:a lot of|much)"
        r" (?:money|budget|cash|funding)|limited (?:funds|funding|money|cash|means)"
        r"|(?:small|low|modest|tiny|lean|strict) budget|on a budget|money is tight"
        r"|cash[- ]strapped|(?:can't|cannot|can not) afford(?! (?:to (?:get|have|give|make|ship"
        r"|send|show|be|wait)|any |mistakes|errors|wrong|hallucinat|inaccura|lag|delays?|slow))"
        r"|tight on (?:money|budget|cash)"
        r"|keep(?:ing|s)? (?:the |our )?(?:costs?|spend(?:ing)?|bills?) (?:down|low)"
        r"|(?:almost|practically|virtually|basically|next to|very little) (?:no )?(?:money|budget"
        r"|funds|funding|cash)|no money",
        P.COST,
        3,
    ),
    (
        rf"(?:cost|price|money|spend(?:ing)?|budget) (?:is|are) (?:{_DECIDES}|the (?:top"
        r" |main |first )?priority|what matters|most important|tight)"
        r"|(?:cost|costs|spend(?:ing)?|bill|price)s? (?:must|should|needs? to|has to|have to)"
        r" (?:be |stay |remain )?(?:low|minimal|small|down|modest)"
        rf"|(?:cost|budget){_ORIENTED}"
        r"|(?:cost|price) (?:matters|counts)(?: the)? most|cost first|prioriti[sz]e cost"
        r"|optimi[sz]e for cost",
        P.COST,
        4,
    ),
    (
        r"(?:cost|money|price|budget) (?:is (?:not|no)|isn't)"
        r"(?: really| much| that much| too much)?(?: of)?(?: an?)? (?:issue|concern|object"
        r"|problem|constraint)|money is no object|regardless of cost|whatever it costs",
        P.COST,
        -5,
    ),
    # quality
    (
        r"(?:best|high(?:est)?|top|better|maximum|max) (?:possible )?(?:\w+ )?(?:quality|accuracy"
        r"|answers|results|outputs?|suggestions|completions|code|summaries|translations)"
        r"|most (?:accurate|capable|intelligent)|smartest"
        r"|state[- ]of[- ]the[- ]art|frontier",
        P.QUALITY,
        3,
    ),
    (
        rf"(?:quality|accuracy|correctness|precision|reasoning) (?:\w+ )?(?:is|are) (?:{_DECIDES}"
        r"|the (?:top |main |first |highest )?priority"
        r"|what matters|most important|important)|(?:quality|accuracy|correctness)"
        r" (?:matters|counts|comes)(?: the)? (?:most|first)|(?:quality|accuracy|correctness)"
        r" first|prioriti[sz]e (?:quality|accuracy)|optimi[sz]e for (?:quality|accuracy)"
        r"|(?:quality|accuracy) over everything"
        rf"|(?:quality|accuracy){_ORIENTED}",
        P.QUALITY,
        4,
    ),
    (r"accurate|high[- ]quality|hallucinat\w*|reliable answers", P.QUALITY, 1.5),
    # "correct explanations are non-negotiable", "accurate answers are what matters"
    (
        r"(?:correct|accurate|precise|right|factual|reliable|exact) (?:\w+ )?(?:answers?"
        r"|explanations?|outputs?|results?|responses?|information|facts|code|translations?"
        rf"|summaries|solutions?) (?:is|are) (?:{_DECIDES}|the (?:top |main |first |highest )?"
        r"priority|what matters|most important)",
        P.QUALITY,
        4,
    ),
    # a relaxation bought with quality: "fine with slower responses if the code is right"
    (
        r"(?:if|as long as|provided) (?:the )?(?:code|answers?|outputs?|results?|suggestions"
        r"|summaries|translations|quality) (?:is|are|gets?) (?:\w+ )?(?:right|correct|better"
        r"|accurate|good)",
        P.QUALITY,
        3,
    ),
    # "getting the answers right matters most", "it has to get the facts right"
    (
        r"(?:get|gets|getting) (?:the |our |its |their )?(?:answers?|facts?|it|things|details"
        r"|results?|code|outputs?)(?: \w+)? right|(?:right|correct) answers (?:matter|count|first)",
        P.QUALITY,
        4,
    ),
    (
        r"(?:but|while|whereas) (?:answer |code |output )?(?:quality|accuracy|correctness)"
        r" (?:is|does|matters|counts)",
        P.QUALITY,
        3,
    ),
    (r"(?:but|while|whereas) (?:cost|price|budget) (?:is|does|matters|counts)", P.COST, 3),
    (
        r"(?:but|while|whereas) (?:latency|speed|response time) (?:is|does|matters|counts)",
        P.LATENCY,
        3,
    ),
    # throughput
    (
        r"(?:high|max(?:imum|imi[sz]e)?|maximal|more) throughput|throughput (?:is|matters)"
        r"|throughput over|throughput first|as many (?:\w+ )?as possible|(?:huge|high|large)"
        r" volumes?|tokens per dollar|prioriti[sz](?:e|es|ing) (?:the )?throughput"
        r"|(?:max(?:imum|imi[sz]e)?|most) tokens per (?:gpu[- ]?hours?|gpu|dollar|second)"
        r"|tokens per gpu[- ]?hours?"
        r"|(?:aggregate|total|overall|cluster[- ]wide) (?:throughput|tokens? per (?:second|sec|s)"
        r"|tok/s|tokens/s)"
        r"|optimi[sz](?:e|es|ing) for throughput",
        P.THROUGHPUT,
        3,
    ),
    (
        rf"throughput(?: \w+){{0,2}} (?:is|are) (?:{_DECIDES}|what matters|the (?:top |main )?"
        r"priority|most important)|throughput (?:matters|counts)(?: the)? most"
        rf"|throughput{_ORIENTED}",
        P.THROUGHPUT,
        4,
    ),
    # balanced
    (
        r"balanced?|balance between|trade-?off|good compromise|middle ground|best value"
        r"|(?:good|reasonable|decent) (?:cost|price|latency|speed|quality) and"
        r" (?:cost|price|latency|speed|quality|performance)",
        P.BALANCED,
        4,
    ),
)

#: Words that name each aspect in comparisons ("X matters more than Y").
_ASPECTS: dict[str, Priority] = {
    "latency": P.LATENCY,
    "speed": P.LATENCY,
    "response time": P.LATENCY,
    "responsiveness": P.LATENCY,
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
_ALL_ASPECTS = {**_ADJECTIVE_ASPECTS, **_ASPECTS, **_NEGATIVE_ASPECTS}
_COMPARISONS = (
    # the failure one accepts names the aspect given up: "we'd rather be slow than wrong",
    # "I'll take expensive over inaccurate"
    re.compile(
        rf"(?:rather|better|prefer to|happier to) (?:be |get it |have it |go )?(?P<b>{_NEG})"
        rf" than (?:be |get it |have it )?(?P<a>{_NEG})\b"
        rf"|(?:take|accept|prefer) (?P<b3>{_NEG}) (?:over|to) (?P<a3>{_NEG})\b"
    ),
    # an elliptical contrast: "speed per request doesn't matter, volume does", "not cost
    # but accuracy"
    re.compile(
        rf"(?P<b>{_ASPECT})(?: [\w-]+){{0,3}} (?:doesn't|does not|don't|do not|isn't|is not"
        r"|aren't|are not) (?:really |much |that )?(?:matter|count|important|critical"
        rf"|(?:a|the|our|my) {_RANK}{_CONCERN})[,;]? "
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
    re.compile(rf"(?P<a>{_ASPECT})\s*(?:>+|beats|trumps|wins over)\s*(?P<b>{_ASPECT})"),
    re.compile(rf"(?:prefer|favou?r|prioriti[sz]e) (?P<a>{_ASPECT}) (?:over|to) (?P<b>{_ASPECT})"),
    re.compile(
        rf"(?:sacrifice|trade|give up) (?:some )?(?P<b>{_ASPECT}) for (?:better |more |lower )?"
        rf"(?P<a>{_ASPECT})"
    ),
    re.compile(rf"(?:more|most) important(?: \w+)? (?:is|than) (?P<a>{_ASPECT})"),
    re.compile(rf"(?P<a>{_ASPECT}) (?:matters|counts) {_INTENSIFIER}more"),
    re.compile(
        rf"(?:rather|prefer to|better to) (?:be |get it |get things )?(?P<a>{_ADJ})(?: and slow)?"
        rf" than (?:be )?(?P<b>{_ADJ})|(?P<a3>{_ADJ}) (?:rather than|over|beats) (?P<b3>{_ADJ})\b"
    ),
)
_COMPILED = tuple(
    (re.compile(rf"(?<![\w-])(?:{p})(?![\w-])"), prio, w)
    for p, prio, w in (*PRIORITY_PHRASES, *idiom_phrases())
)


#: A score at or above this states a priority outright ("cost is our top priority").
DECISIVE_SCORE = 4.0
#: Weight of a trade-off read from an aspect named as a floor beside another aspect's cue.
FLOOR_TRADE_OFF_WEIGHT = 4.0
_SUPERLATIVE = re.compile(r"\b(?:\w+est|most|least|as \w+ as possible)\b")


def _weigh_floors(
    text: str, scores: dict[Priority, float], hits: dict[Priority, list[str]]
) -> None:
    """A trade-off: one aspect as a floor ("keep it reasonably quick") beside a mild cue for
    another ("don't overspend") is balanced; beside an outright or superlative one ("cost is
    our top priority", "cheapest possible") it leaves that one standing."""
    for floor in hedged_aspects(text):
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
    _weigh_floors(text, scores, hits)
    best = max(scores, key=lambda p: scores[p])
    if scores[best] <= 0:
        return None
    others = sorted((v for p, v in scores.items() if p != best), reverse=True)
    margin = scores[best] - max(others[0], 0.0)
    confidence = min(0.95, 0.55 + 0.1 * margin)
    return PriorityGuess(best, round(confidence, 3), ", ".join(hits[best])[:200])
