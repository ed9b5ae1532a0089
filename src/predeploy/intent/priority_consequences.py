"""Priorities stated through what goes wrong: consequences, conditions and verdicts.

People often name a priority by the damage its failure does, not by the aspect's name:
"replies have to come back fast or immersion breaks", "no awkward pauses, otherwise users
churn", "players will roast us if it lags", "a hallucinated dose could hurt a patient", "an
answer that arrives late is worthless". Each sentence is cut into clauses; an *outcome* (a bad
result: users churn, callers hang up, erodes trust, is worthless) marks the clause it sits in,
or else the clause before it, as the thing that must not fail. The aspect is read from that
clause's words, failures ("slow", "wrong", "expensive": weight 2) above goals ("fast",
"accurate": weight 1); when the clause names no aspect, an outcome that is itself about waiting
("callers hang up", "kids close the tab", "immersion breaks") names latency and one about harm
("lands us in court", "hurts a patient") names quality. A generic outcome ("users churn") with
no aspect around it states nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import Priority

P = Priority

#: Weight of a priority read from a consequence (a strong cue, below an outright statement).
CONSEQUENCE_WEIGHT = 3.0

#: Who suffers or reacts: the subject of an outcome ("users churn", "callers hang up").
_ACTOR = (
    r"(?:(?:the |our |their |most |many )?(?:users?|customers?|people|players?|gamers?|callers?"
    r"|kids|children|students?|visitors?|shoppers?|buyers?|they|clients?|readers?|viewers?"
    r"|learners?|members?|agents?|patients?|fans?|subscribers?|folks|guests?|passengers?"
    r"|drivers?|riders?|devs|developers?|engineers?|traders?|everyone|nobody|we)"
    r"(?: will| would| just| simply| quickly| immediately| instantly| start to| then)*)"
)
#: Outcomes that are about waiting by themselves: they name latency with no other cue.
_IMPATIENT = (
    r"hang(?:s|ing)? up|clos(?:e|es|ing) (?:the |their |our )?(?:tab|app|window|chat|page)"
    r"|bounc(?:e|es|ing)|abandon(?:s|ing)?(?: \w+){0,2}|give up waiting|walk(?:s)? away"
    r"|drop(?:s)? off|tune(?:s)? out|rage[- ]?quit\w*|lose (?:their |the )?patience"
    r"|immersion (?:breaks|is broken|is ruined|is gone|dies)|break(?:s|ing)? (?:the )?immersion"
    r"|dead air|stare at (?:a |the )?spinner"
)
#: Outcomes that are harm by themselves: they name quality with no other cue.
_HARMFUL = (
    r"(?:land|get|put)s? us in (?:court|trouble|jail|the news)|get(?:s)? us sued|lawsuits?"
    r"|hurts? (?:a |the )?(?:patient|customer|user|person|someone)s?|harm(?:s)? (?:a |the )?"
    r"(?:patient|customer|user|person|someone)s?|take(?:s)? (?:\w+ ){0,2}down"
    r"|erod(?:e|es|ing) (?:\w+ )?trust|los(?:e|es|ing) (?:\w+ )?trust|compliance (?:issues?"
    r"|violations?|breach(?:es)?|problems?)|regulatory (?:trouble|fines?|breach(?:es)?)"
    r"|(?:legal|regulatory) (?:risk|exposure|liability)"
)
#: Outcomes that need the clause around them to say which aspect failed.
_GENERIC = (
    rf"{_ACTOR} ?(?:churn|leave|quit|complain|roast us|uninstall|stop using (?:it|us|the \w+)"
    r"|switch(?: to (?:a )?competitors?)?|get (?:angry|annoyed|frustrated)|hate (?:it|us))"
    r"|(?:is|are|means?) (?:a )?lost (?:sales?|customers?|deals?|users?|revenue|business"
    r"|bookings?|orders?|conversions?)"
    r"|(?:cost|lose)(?:s)? us (?:\w+ )?(?:conversions|customers|users|sales|deals|revenue"
    r"|money|business)"
    r"|(?:is|are|becomes?|would be|'s) (?:completely |totally )?(?:worthless|useless|pointless"
    r"|no good|of no use)"
    # damage to a party: "could cost a client millions", "costs the bank a fortune"
    r"|(?:cost|costs|costing) (?:us|them|(?:a|the|our|their|one) \w+|\w+s) (?:\w+ )?(?:millions"
    r"|billions|thousands|a fortune|dearly|a lot|big|real money)"
    # damage to how the product is used: "kills engagement", "ruins the experience"
    r"|(?:kill|kills|killing|ruin|ruins|ruining|tank|tanks|tanking|wreck|wrecks|hurts?"
    r"|destroys?) (?:the |our |their )?(?:\w+ )?(?:engagement|experience|retention|conversions?"
    r"|immersion|flow|mood|session|conversation|trust)"
    # what the audience perceives: "players notice any lag immediately", "users notice every
    # mistake"
    rf"|{_ACTOR} ?notices? (?:any|every|each|even (?:a|the|one)|the (?:slightest|smallest)"
    r"|immediately|right away|instantly)"
)
_OUTCOME = re.compile(
    rf"(?<![\w-])(?:{_ACTOR} ?(?P<imp>{_IMPATIENT})|(?P<imp2>{_IMPATIENT})"
    rf"|(?P<harm>{_HARMFUL})|(?P<gen>{_GENERIC}))(?![\w-])"
)
#: Clause boundaries: sentence ends, dashes, colons, commas and a contrasting "but".
_CLAUSE = re.compile(r"[.;:!?]+(?:\s|$)|\s+-+\s+|,|\s+but\s+|\s+whereas\s+")
#: Words in a clause that name an aspect: (regex, aspect, weight); failures weigh more.
_ASPECT_WORDS: tuple[tuple[re.Pattern[str], Priority, float], ...] = tuple(
    (re.compile(rf"(?<![\w-])(?:{words})(?![\w-])"), prio, weight)
    for words, prio, weight in (
        (
            r"slow\w*|sluggish|lag\w*|late|delays?|delayed|pauses?|stall\w*|wait\w*|dead air"
            r"|spinners?|hangs|freez\w+|takes? (?:too |so )?(?:long|forever|ages)|stutter\w*"
            r"|hiccups?|jank\w*|choppy",
            P.LATENCY,
            2.0,
        ),
        (
            r"fast|quick\w*|instant\w*|snappy|seconds?|milliseconds?|ms|real[- ]?time|latency"
            r"|responsive\w*|speed",
            P.LATENCY,
            1.0,
        ),
        (
            r"wrong|errors?|mistakes?|bad|hallucinat\w*|inaccura\w+|sloppy|incorrect|made[- ]up"
            r"|garbage|nonsense|buggy|broken|misleading|false",
            P.QUALITY,
            2.0,
        ),
        (r"accura\w+|correct\w*|quality|precise|reliable", P.QUALITY, 1.0),
        (
            r"expensive|pricey|costly|overspend\w*|over budget|bills?|invoices?|spend\w*"
            r"|costs?|budget|money|price\w*",
            P.COST,
            2.0,
        ),
    )
)


#: A harm noun that is what the job looks for is the task, not an outcome: "flag compliance
#: issues", "detect potential regulatory breaches", "screen chats for compliance violations".
_SOUGHT = re.compile(
    r"(?<![\w-])(?:flag|flags|flagging|detect|detects|detecting|spot|spots|spotting|catch"
    r"|catches|catching|find|finds|finding|identify|identifies|identifying|surface|surfaces"
    r"|screen|screens|screening|check|checks|checking|scan|scans|scanning"
    r"|audit|audits|auditing)"
    r"(?: [\w'-]+){0,2}? (?:for )?(?:any |possible |potential |likely |all |the )?$"
)


@dataclass(frozen=True)
class Consequence:
    """One outcome read as a priority, with the words that showed it."""

    priority: Priority
    evidence: str


def _clauses(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each clause of ``text``."""
    spans, start = [], 0
    for m in _CLAUSE.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def clause_aspect(clause: str) -> Priority | None:
    """The aspect a clause names most strongly (failures count double), if any."""
    scores: dict[Priority, float] = {}
    for pattern, prio, weight in _ASPECT_WORDS:
        hits = len(pattern.findall(clause))
        if hits:
            scores[prio] = scores.get(prio, 0.0) + weight * hits
    if not scores:
        return None
    best = max(scores, key=lambda p: scores[p])
    tied = [p for p, s in scores.items() if s == scores[best]]
    return best if len(tied) == 1 else None


def find_consequences(text: str) -> list[Consequence]:
    """Priorities that ``text`` states through the consequences of failing them."""
    clauses = _clauses(text)
    found: list[Consequence] = []
    for i, (lo, hi) in enumerate(clauses):
        for m in _OUTCOME.finditer(text, lo, hi):
            if m.group("harm") and _SOUGHT.search(text, lo, m.start()):
                continue  # "flag compliance issues": what the job looks for
            rest = text[lo : m.start()] + " " + text[m.end() : hi]
            aspect = clause_aspect(rest)
            if aspect is None and i > 0:
                aspect = clause_aspect(text[clauses[i - 1][0] : clauses[i - 1][1]])
            if aspect is None:
                if m.group("imp") or m.group("imp2"):
                    aspect = P.LATENCY
                elif m.group("harm"):
                    aspect = P.QUALITY
            if aspect is not None:
                found.append(Consequence(aspect, m.group(0).strip()))
    return found
