"""Mechanisms found by blind round 12, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority
from predeploy.intent.priority import find_priority
from predeploy.intent.rules import RuleExtractor

P = Priority


def _priority(text: str) -> Priority | None:
    guess = find_priority(text.lower())
    return None if guess is None else guess.priority


# --- priority: cost idioms (a cost noun kept low, the bank not broken, bang for the buck) -------


@pytest.mark.parametrize(
    "text",
    [
        "an internal bot; please keep our cloud bill as small as possible",
        "holding spend down is what the board asked for",
        "we won't break the bank for a chatbot",
        "we do not want to overspend on this pilot",
        "looking for more bang for our buck than the current vendor",
        "keep the hosting costs in check",
    ],
)
def test_cost_idioms(text: str) -> None:
    assert _priority(text) == P.COST


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # a cost noun kept somewhere else is not a wish for low cost
        ("keep the bill of materials in our wiki", None),
        ("a bot that explains the bank's fees", None),
        # not overspending beside a latency floor is a trade-off
        ("we don't want to overspend, but it shouldn't feel sluggish either", P.BALANCED),
    ],
)
def test_cost_idiom_near_misses(text: str, want: Priority | None) -> None:
    assert _priority(text) == want


# --- priority: a rate pushed to its maximum ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "we need as many summaries per hour as possible",
        "translate as many documents a day as the hardware allows",
        "the highest number of tickets classified per GPU-hour",
        "maximum count of records tagged per dollar",
    ],
)
def test_rate_maximised_is_throughput(text: str) -> None:
    assert _priority(text) == P.THROUGHPUT


@pytest.mark.parametrize(
    "text",
    [
        "we get as many as 20 requests per hour",
        "the maximum number of users is 300",
    ],
)
def test_rate_maximised_near_misses(text: str) -> None:
    assert _priority(text) != P.THROUGHPUT


# --- priority: completeness at stake ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "summaries of board packs; nothing important should be left out",
        "we can't miss a single clause in these contracts",
        "don't care about speed, care that nothing gets lost",
    ],
)
def test_completeness_is_quality(text: str) -> None:
    assert _priority(text) == P.QUALITY


def test_completeness_near_miss() -> None:
    assert _priority("nothing else is needed, it is a plain chatbot") is None


# --- users: the speakers counting themselves ("12 of us") ------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("we're a tiny agency (9 of us) and want a copywriting assistant", 9),
        ("there are about 40 of us in the research group; we need a chatbot", 40),
        ("all 25 of us would use a coding assistant", 25),
        ("a chatbot for our lab (roughly 60 of us)", 60),
    ],
)
def test_speakers_counting_themselves(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    "text",
    [
        "three of us built the prototype chatbot last year",
        "all 4 of us maintain the current support bot",
    ],
)
def test_builders_are_not_users(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).users not in (3, 4)


# --- lengths: the length before "<transformed> into/to" is the input --------------------------


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("summarize reports of about 4k tokens compressed into 200 tokens", 4000, 200),
        ("call notes: 2,500 tokens condensed into a 120 token recap", 2500, 120),
        ("articles of ~1,800 tokens shortened to 300 tokens for the app", 1800, 300),
    ],
)
def test_transformed_length_is_input(
    rules: RuleExtractor, text: str, prompt: int, output: int
) -> None:
    intent = rules.read(text)
    assert (intent.prompt_tokens, intent.output_tokens) == (prompt, output)


def test_length_after_transformation_stays_output(rules: RuleExtractor) -> None:
    # the verb comes before the length: the length is the result
    intent = rules.read("summarize support tickets into 150 tokens")
    assert intent.output_tokens == 150


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("chat with our policy repository, 200 analysts", "rag_qa"),
        ("talk to our handbooks and manuals, 300 staff", "rag_qa"),
        ("explain our code repository to 50 new developers", "code_generation"),
        ("a chatbot to chat with our customers, 500 users", "chatbot"),
    ],
)
def test_a_repository_of_documents_is_retrieval_not_code(
    text: str, use_case: str, rules: RuleExtractor
) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    "text",
    ["speed matters less than getting clauses right", "we have to get diagnoses right",
     "getting summaries right matters most"],
)
def test_getting_what_is_produced_right_is_quality(text: str) -> None:
    guess = find_priority(text)
    assert guess is not None and guess.priority == Priority.QUALITY


def test_getting_rights_is_not_about_quality() -> None:
    assert find_priority("getting rights cleared for 30 editors") is None
