"""Mechanisms found by blind round 9, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.priority_idioms import hedged_aspects
from predeploy.intent.rules import RuleExtractor

# --- priority: a refused failure is a floor ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        # a mild cue for one aspect beside a refused failure of another is a trade-off
        ("keep it affordable, but we can't have it sluggish either", Priority.BALANCED),
        ("a cheap setup that mustn't be too slow", Priority.BALANCED),
        ("fast replies, without being overly expensive", Priority.BALANCED),
        ("accurate answers, but it shouldn't feel laggy", Priority.BALANCED),
        # beside a superlative or outright cue that cue stands
        ("cheapest possible, but it can't be slow", Priority.COST),
        ("cost is our top priority; it can't be painfully slow though", Priority.COST),
    ],
)
def test_refused_failure_is_a_floor(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    ("text", "floors"),
    [
        ("we can't have it sluggish", [Priority.LATENCY]),
        ("without it being pricey", [Priority.COST]),
        ("it must not be sloppy", [Priority.QUALITY]),
        ("reasonably quick and not too slow", [Priority.LATENCY]),  # one floor, listed once
        # near misses: the failure is not refused
        ("slow is fine for this job", []),
        ("the old system was sluggish", []),
        ("we can't afford expensive GPUs", []),
    ],
)
def test_floors_read(text: str, floors: list[Priority]) -> None:
    assert hedged_aspects(text) == floors


# --- priority: speed adverbs, volume-rate goals --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "the NPC has to reply snappily",
        "our agent must respond promptly to shoppers",
        "answers should come back right away",
        "it needs to answer swiftly",
    ],
)
def test_speed_adverbs_are_latency(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == Priority.LATENCY


def test_reply_adverb_stays_a_mild_cue_beside_a_floor(rules: RuleExtractor) -> None:
    # "reply quickly" next to a hedged cost floor is still a trade-off, not a decisive cue
    assert rules.read("keep it reasonably cheap but reply quickly").priority == Priority.BALANCED


@pytest.mark.parametrize(
    "text",
    [
        "offline job, optimise for tokens per second",
        "we want to maximize documents per hour on the nightly run",
        "tuned for requests per GPU-hour",
    ],
)
def test_volume_rate_goals_are_throughput(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == Priority.THROUGHPUT


@pytest.mark.parametrize(
    "text",
    [
        "optimise for tokens per second per user",  # a speed each user sees
        "we get 40 requests per second",  # a load, not a goal
    ],
)
def test_volume_rate_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority != Priority.THROUGHPUT


# --- use cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # nobody waits on the result: a batch job, even when it writes text
        (
            "auto-generate alt text for 2M archive images in bulk; no one's waiting on it",
            UseCase.BATCH_PROCESSING,
        ),
        ("enrich catalogue records with keywords; it's not user-facing", UseCase.BATCH_PROCESSING),
        ("non-interactive tagging of support transcripts", UseCase.BATCH_PROCESSING),
        # promotional writing is content generation
        ("write teasers and promotional blurbs for podcast episodes", UseCase.CONTENT_GENERATION),
        ("generate loglines for our film catalogue", UseCase.CONTENT_GENERATION),
        ("create show synopses for the streaming app", UseCase.CONTENT_GENERATION),
        # a public or utility service answering the people it serves
        (
            "taxpayers ask about their tax returns and fines through the portal",
            UseCase.CUSTOMER_SERVICE,
        ),
        ("municipal 311 line: residents ask about garbage collection", UseCase.CUSTOMER_SERVICE),
        ("tenants check on repairs and rent through a web form", UseCase.CUSTOMER_SERVICE),
    ],
)
def test_use_case_families(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # a synopsis of a source is a summary; blurbs cut from articles too
        ("generate synopses of our 5k-token research reports", UseCase.SUMMARIZATION),
        ("summarise news articles into 3-sentence blurbs", UseCase.SUMMARIZATION),
        ("turn press releases into short blurbs", UseCase.SUMMARIZATION),
        # a count of 311 is no public service
        ("chatbot for 311 users", UseCase.CHATBOT),
        # a city website chatbot names no service questions
        ("chatbot for a city government website", UseCase.CHATBOT),
    ],
)
def test_use_case_near_misses(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


# --- users ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("maintenance techs (around 700 of them) ask about manuals", 700),
        ("shop-floor welders (roughly 300 of them) need answers from manuals", 300),
        ("our safety inspectors, 45 of them, query the regulations", 45),
        ("a chat assistant for 120 execs", 120),
    ],
)
def test_people_before_n_of_them(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    "text",
    [
        "we scan supplier invoices (around 700 of them) every night",
        "our GPU servers (around 70 of them) need a chatbot",
        "the generators (about 30 of them) log errors",
    ],
)
def test_things_before_n_of_them_are_no_users(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).users is None
