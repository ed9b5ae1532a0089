"""Composed user counts: a number of groups times the people in each group.

"12 squads of 15 developers" = 12 × 15 = 180 users; "3 shifts of 200 agents" = 600 people
(everyone who uses the service); "2 call centers of 350 reps each", "5 regional teams of 8
writers", "3 labs with 20 people each", "3 x 200 agents", "200 agents per shift, 3 shifts".
The group count must sit right before the people count, joined by "of", "with" or "x", or
follow it after "per <group>", or, when "each <group> is/has" heads the people count, name the
same groups later in that sentence or the next ("each cohort is 35 students and we have 6
cohorts"); "in total" after the people count means the count is already the whole ("4 teams
with 60 engineers in total" = 60).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.intent.numerals import number_pattern, parse_number

#: Plural nouns for groups of people that a count multiplies.
# fmt: off
GROUP_NOUNS = (
    "teams", "squads", "groups", "shifts", "crews", "labs", "departments", "depts", "offices",
    "branches", "stores", "shops", "sites", "centers", "centres", "locations", "clinics",
    "hospitals", "schools", "classes", "cohorts", "units", "divisions", "regions", "warehouses",
    "factories", "restaurants", "outlets", "franchises", "pods", "tribes", "chapters", "wards",
    "campuses", "studios", "agencies", "subsidiaries", "plants", "floors",
)
# fmt: on
_GROUP_PATTERN = "|".join(GROUP_NOUNS)
#: "<N> [modifier] <groups> of|with [about]" ending right where the people count starts.
_GROUPS_BEFORE = re.compile(
    rf"(?<![\w.,]){number_pattern('groups')}\s+(?:[a-z-]+\s+)?(?:{_GROUP_PATTERN})\s+"
    rf"(?:of|with)\s+(?:(?:about|around|roughly|approximately|approx\.?|~|up to)\s*)?$"
)
#: "<N> x|×|*" right before the people count: "3 x 200 agents" (the number before is the
#: number of groups).
_TIMES_BEFORE = re.compile(rf"(?<![\w.,]){number_pattern('groups')}\s*(?:x|×|\*)\s+$")


def _singular(noun: str) -> str:
    """ "branches" → "branch", "factories" → "factory", "teams" → "team"."""
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "sses", "uses")):
        return noun[:-2]
    return noun[:-1]


_GROUP_SINGULAR = "|".join(sorted({_singular(g) for g in GROUP_NOUNS}, key=len, reverse=True))
#: The groups after a per-group count: "200 agents per shift, 3 shifts a day", "25 staff in
#: each store across 10 stores", "40 reps per team and 6 teams".
_GROUPS_AFTER = re.compile(
    rf"\s*(?:each\s+)?(?:per|a|an|in each|on each|for each|at each|every)\s+"
    rf"(?:{_GROUP_SINGULAR})\b\s*(?:,|;|and|with|across|over|in|times|x|×|\*|\s)*\s*"
    rf"{number_pattern('groups')}\s+(?:[a-z-]+\s+)?(?:{_GROUP_PATTERN})\b"
)
#: The size of one group stated before its people count, the number of groups later in the
#: sentence: "each cohort is 35 students and we have 6 cohorts going at once", "a typical
#: store has 25 staff; there are 40 stores".
_EACH_GROUP_BEFORE = re.compile(
    rf"\b(?:each|every|one|1|a|the average|an average|a typical|the typical)\s+"
    rf"(?:(?:typical|average|normal|single)\s+)?(?P<group>{_GROUP_SINGULAR})\s+(?:is|has|have|holds"
    rf"|contains|includes|counts|seats|consists of|is made up of|of|with|=|:)\s+"
    rf"(?:(?:about|around|roughly|approximately|approx\.?|~|up to|some)\s*)?$"
)
#: The number of groups after such a per-group count, in the same or the next sentence
#: ("each store has 25 staff. We have 40 stores.").
_GROUPS_LATER = re.compile(
    rf"[^!?]{{0,80}}?(?<![\w.,]){number_pattern('groups')}\s+(?:[a-z-]+\s+)?"
    rf"(?P<groups_noun>{_GROUP_PATTERN})\b"
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
#: The people count is already a total: "... 60 engineers in total", "... overall".
_TOTAL_AFTER = re.compile(r"\s*(?:in total|total|overall|altogether|combined|between them)\b")
#: How far before the people count the group phrase may start (characters).
_LOOKBACK_CHARS = 60


#: Groups of people whose size may be given without a people noun: "three teams of forty",
#: "2 shifts of 25" (places such as "stores" or "sites" need the noun: "3 sites of 40" is
#: no headcount).
# fmt: off
PEOPLE_GROUP_NOUNS = (
    "teams", "squads", "shifts", "crews", "classes", "cohorts", "pods", "tribes", "groups",
)
# fmt: on
#: "<N> [modifier] <people groups> of [about] <M>" with nothing countable after M: N × M users.
_BARE_GROUPS = re.compile(
    rf"(?<![\w.,]){number_pattern('groups')}\s+(?:[a-z-]+\s+)?(?:{'|'.join(PEOPLE_GROUP_NOUNS)})"
    rf"\s+(?:of|with)\s+(?:(?:about|around|roughly|approximately|approx\.?|~|up to)\s*)?"
    rf"{number_pattern('size')}(?:\s+(?:each|apiece|people|persons|members|folks))?"
    r"(?=\s*(?:[,;.:)!?]|$|and\b|but\b|who\b|that\b|working\b|using\b|plus\b))"
)


@dataclass(frozen=True)
class GroupCount:
    """A number of groups read around a per-group people count, and the span of both."""

    groups: float
    start: int
    end: int


def group_multiplier(text: str, start: int, end: int) -> GroupCount | None:
    """The groups when the people count at ``text[start:end]`` is per group
    ("12 squads of" before "15 developers"), else ``None``.

    ``text`` is the normalized lower-case request; the users are then ``groups × count``.
    """
    if _TOTAL_AFTER.match(text, end):
        return None
    lo = max(0, start - _LOOKBACK_CHARS)
    before = text[lo:start]
    m = _GROUPS_BEFORE.search(before) or _TIMES_BEFORE.search(before)
    if m is not None:
        groups, group_start, group_end = _groups_of(m), lo + m.start(), end
    elif (after := _GROUPS_AFTER.match(text, end)) is not None:
        groups, group_start, group_end = _groups_of(after), start, after.end()
    elif (later := _groups_later(text, before, end)) is not None:
        groups, group_start, group_end = _groups_of(later), start, later.end()
    else:
        return None
    if groups < 2:
        return None
    return GroupCount(groups=groups, start=group_start, end=group_end)


def _groups_later(text: str, before: str, end: int) -> re.Match[str] | None:
    """The count of the same groups that "each <group> is/has" (in ``before``) sizes, in the
    rest of its sentence or the next one."""
    each = _EACH_GROUP_BEFORE.search(before)
    later = _GROUPS_LATER.match(text, end) if each is not None else None
    if each is None or later is None:
        return None
    if _singular(later.group("groups_noun")) != each.group("group"):
        return None  # "each team has 8 engineers across 3 regions": other groups
    return later if len(_SENTENCE_END.findall(text, end, later.start("groups"))) <= 1 else None


def _groups_of(m: re.Match[str]) -> float:
    return parse_number(m.group("groups"), m.group("groups_scale"))


@dataclass(frozen=True)
class BareGroups:
    """People in groups sized without a people noun ("three teams of forty" = 120)."""

    people: float
    start: int
    end: int


def bare_groups(text: str) -> BareGroups | None:
    """The people of "<N> teams of <M>" when no noun follows M (``None`` below 2 groups)."""
    m = _BARE_GROUPS.search(text)
    if m is None:
        return None
    groups = _groups_of(m)
    if groups < 2:
        return None
    size = parse_number(m.group("size"), m.group("size_scale"))
    return BareGroups(people=groups * size, start=m.start(), end=m.end())
