"""How a request weighs aspects against each other, beyond naming one: equal weights, relaxed
lists, and speed said of a job rather than of an answer.

- Equal weights are a balanced priority: "accuracy and speed matter about equally", "equal
  weight on cost and latency", "latency matters as much as cost", "both cost and quality
  matter". The aspect words inside the phrase name no priority of their own.
- A relaxed list gives up every aspect in it: "they're forgiving about speed and quality",
  "we're not picky about latency or cost" (each a relaxation of that aspect).
- Speed asked of a job's completion is volume, not latency: "the job just has to finish as
  fast as the hardware allows", "the backfill needs to be done as quickly as possible"; the
  speed words inside the phrase name no latency.

Each reading is a :class:`Tradeoff` with its weight (in the units of
:mod:`predeploy.intent.priority`: 4 states a priority outright) and whether its span hides the
aspect cues inside it from the phrase tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types import Priority
from predeploy.intent.priority_idioms import ASPECT_NOUNS

P = Priority

#: Weight of a balanced priority read from equal weights (states it outright).
EQUAL_WEIGHT_SCORE = 4.0
#: Weight of each aspect in a relaxed list (a relaxation, like a negated cue).
RELAXED_ASPECT_WEIGHT = -2.0
#: Weight of throughput read from speed asked of a job (states it outright).
JOB_SPEED_SCORE = 4.0

_ASPECT = "|".join(f"(?:{nouns})" for nouns in ASPECT_NOUNS.values())
_ASPECT_PATTERNS = tuple(
    (re.compile(rf"^(?:{nouns})$"), prio) for prio, nouns in ASPECT_NOUNS.items()
)
_DET = r"(?:(?:the|our|its|their) )?"
#: Two aspects joined: "accuracy and speed", "cost and latency".
_PAIR = rf"{_DET}(?:{_ASPECT}) (?:and|&) {_DET}(?:{_ASPECT})"
_ABOUT = r"(?:(?:about|roughly|more or less|pretty much|just|basically|fairly|almost) )?"
_EQUAL = re.compile(
    rf"(?<![\w-])(?:{_PAIR} (?:both )?(?:matter|count|weigh|are|rank) {_ABOUT}(?:equally"
    r"|the same|as much|evenly)"
    rf"|{_PAIR} are (?:both )?{_ABOUT}(?:equally|just as) (?:important|critical|crucial)"
    rf"|(?:equal|the same|even) (?:weight|weighting|importance|priority|emphasis)"
    rf" (?:on|to|for|between) {_PAIR}"
    rf"|{_DET}(?:{_ASPECT}) (?:matters|counts|is|are) (?:just )?as (?:much|important) as"
    rf" {_DET}(?:{_ASPECT})"
    rf"|both {_PAIR} (?:matter|count|are (?:important|critical|crucial|key)))(?![\w-])"
)
#: Being easy about a list of aspects: "forgiving about speed and quality".
_RELAXED = re.compile(
    r"(?<![\w-])(?:forgiving|tolerant|lenient|relaxed|flexible|easygoing|easy-going"
    r"|not (?:too |very |that |particularly )?(?:picky|fussy|strict|demanding))"
    r" (?:about|of|on|with|regarding|when it comes to) "
    rf"(?P<list>{_DET}(?:{_ASPECT})(?:(?:,| and| or|, and|, or) {_DET}(?:{_ASPECT}))*)"
)
_LIST_SPLIT = re.compile(r",? (?:and|or) |, ")
#: The things a job-completion speed is said of.
_JOB_NOUNS = (
    r"job|jobs|batch|batches|run|runs|backlog|pipeline|migration|import|backfill|reprocessing"
    r"|workload|it all|everything|the whole thing"
)
_SPEED = r"as (?:fast|quickly|soon) as"
_HARDWARE = (
    r"(?:the |our )?(?:hardware|gpus?|cluster|cards?|machines?|nodes?|infrastructure|budget)"
)
_JOB_SPEED = re.compile(
    rf"(?<![\w-])(?:{_SPEED} {_HARDWARE} (?:allows?|permits?|lets? us|can (?:go|manage|handle"
    r"|take|do)|will (?:go|let us|allow))"
    rf"|(?:{_JOB_NOUNS}) (?:just |simply )?(?:has to|have to|needs? to|must|should|to|can)"
    r" (?:finish|complete|be done|be finished|wrap up|get done|be processed|run)"
    rf" (?:{_SPEED} (?:possible|we can|it can)|fast|quickly|asap))(?![\w-])"
)


@dataclass(frozen=True)
class Tradeoff:
    """One weighing read from the text: the aspect, its weight, where it was said, and
    whether the aspect cues inside that span are hidden from the phrase tables."""

    priority: Priority
    weight: float
    start: int
    end: int
    evidence: str
    masks: bool


def _aspect_of(words: str) -> Priority | None:
    words = re.sub(r"^(?:the|our|its|their) ", "", words.strip())
    return next((prio for pattern, prio in _ASPECT_PATTERNS if pattern.match(words)), None)


def find_tradeoffs(text: str) -> list[Tradeoff]:
    """Equal weights, relaxed lists and job speeds in ``text`` (lower-case)."""
    out: list[Tradeoff] = []
    for m in _EQUAL.finditer(text):
        out.append(Tradeoff(P.BALANCED, EQUAL_WEIGHT_SCORE, m.start(), m.end(), m.group(0), True))
    for m in _RELAXED.finditer(text):
        aspects = {_aspect_of(part) for part in _LIST_SPLIT.split(m.group("list"))}
        for prio in sorted((a for a in aspects if a is not None), key=lambda a: a.value):
            out.append(
                Tradeoff(prio, RELAXED_ASPECT_WEIGHT, m.start(), m.end(), m.group(0), True)
            )
    for m in _JOB_SPEED.finditer(text):
        out.append(Tradeoff(P.THROUGHPUT, JOB_SPEED_SCORE, m.start(), m.end(), m.group(0), True))
    return out
