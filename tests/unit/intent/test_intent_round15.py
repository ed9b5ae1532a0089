"""Mechanisms found by blind round 15, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import UseCase
from predeploy.intent.rules import RuleExtractor
from predeploy.intent.text import normalize

U = UseCase


# --- numbers: a whole and a fraction of a scale, "grand" or a unit; round "N-odd" counts -------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("one and a half thousand queries", "1500 queries"),
        ("two and a half million rows", "2500000 rows"),
        ("3 and a quarter million tokens", "3250000 tokens"),
        ("twenty-five and a half thousand users", "25500 users"),
        ("two and a half dozen nurses", "30 nurses"),
        ("one and a half seconds", "1.5 seconds"),
        ("four and a half grand a month", "$4.5k a month"),
        ("forty-odd pages", "40 pages"),
        ("a hundred-odd engineers", "100 engineers"),
        ("twenty odd reviewers", "20 reviewers"),
    ],
)
def test_whole_and_fraction_numbers(text: str, want: str) -> None:
    assert normalize(text) == want


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # no scale or unit after the fraction: words stay words
        ("one and a half of the team", "1 and a half of the team"),
        # "odd" after a number that is not round is no approximation
        ("3 odd requests", "3 odd requests"),
        ("an odd number of GPUs", "an odd number of gpus"),
        # a plural fraction keeps its number word: "two thirds" is a share, not 2 of anything
        ("two thirds of the nurses", "two thirds of the nurses"),
    ],
)
def test_whole_and_fraction_near_misses(text: str, want: str) -> None:
    assert normalize(text.lower()) == want


def test_composed_amounts_reach_the_intent(rules: RuleExtractor) -> None:
    draft = rules.read(
        "about two and a half thousand requests an hour, one and a half grand a week"
    )
    assert draft.requests_per_s == pytest.approx(2500 / 3600, rel=1e-3)
    assert draft.budget_monthly_usd == pytest.approx(1500 * 365.25 / 12 / 7, rel=1e-3)


# --- "boil down" names a summary, however long its object is ---------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        (
            "a tool that boils down board minutes that can run to 30-odd pages into a memo",
            U.LONG_DOCUMENT_SUMMARIZATION,
        ),
        ("we want to boil each support thread down to two lines", U.SUMMARIZATION),
        ("boiling down customer calls of about 1,500 tokens for 40 agents", U.SUMMARIZATION),
    ],
)
def test_boil_down_is_a_summary(rules: RuleExtractor, text: str, want: UseCase) -> None:
    assert rules.read(text).use_case == want


def test_boil_down_to_is_an_idiom(rules: RuleExtractor) -> None:
    draft = rules.read("chatbot for our shop; the choice boils down to cost")
    assert draft.use_case == U.CHATBOT


# --- a share of the people said before their count -------------------------------------------


@pytest.mark.parametrize(
    ("text", "users", "kind"),
    [
        ("a third of our 900 agents will be on it at peak", 300, "concurrent"),
        ("roughly two thirds of the 3,000 nurses will use it daily", 2000, None),
        ("10% of our 50k subscribers are online at the same time", 5000, "concurrent"),
        ("a quarter of our 1,200 engineers are expected to use the assistant", 300, None),
    ],
)
def test_share_before_the_count(
    rules: RuleExtractor, text: str, users: float, kind: str | None
) -> None:
    draft = rules.read(text)
    assert draft.users == users
    if kind is not None:
        assert draft.user_kind == kind


@pytest.mark.parametrize(
    "text",
    [
        # the share states a fact about the people, not who uses the service
        "half of our 6,000 staff work remotely; they all need the chatbot",
        # no fraction: "two of our 40 engineers built it" names builders
        "a chatbot for our 40 engineers",
    ],
)
def test_share_before_near_misses(rules: RuleExtractor, text: str) -> None:
    draft = rules.read(text)
    assert draft.users in (6000, 40)


def test_share_is_no_job_size(rules: RuleExtractor) -> None:
    # "two thirds … daily" once read as a job of 2 items a day
    draft = rules.read("roughly two thirds of the 3,000 nurses will use it daily")
    assert draft.requests_per_s is None
    assert draft.users == 2000


def test_share_after_still_read(rules: RuleExtractor) -> None:
    draft = rules.read("120k players but only ~2% ever open the help panel")
    assert draft.users == 2400


# --- group sizes without a people noun ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("we have four squads of twelve and they all want autocomplete", 48),
        ("2 shifts of 25, each on the phone all day", 50),
        ("support copilot for 3 regional teams of about 30.", 90),
    ],
)
def test_bare_group_sizes(rules: RuleExtractor, text: str, users: float) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    "text",
    [
        "3 sites of 40, chatbot",  # places need a people noun
        "2 teams of 40 requests per second each",  # a countable noun follows
        "one team of 40, chatbot",  # a single group: read by the team pattern
    ],
)
def test_bare_group_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).users in (None, 40)


# --- compound nouns for people -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("a study buddy for 800 high-schoolers", 800),
        ("homework help for 250 middle schoolers", 250),
        ("reading coach for 120 third-graders", 120),
        ("career assistant for 5,000 job-seekers", 5000),
        ("scheduling help for 300 caregivers", 300),
        ("recommendations for 20k concert-goers", 20000),
    ],
)
def test_compound_people_nouns(rules: RuleExtractor, text: str, users: float) -> None:
    assert rules.read(text).users == users


def test_compound_people_near_miss(rules: RuleExtractor) -> None:
    # "schoolers" needs no count of things: "800 school buses" stays no user count
    assert rules.read("route planning for 800 school buses").users is None
