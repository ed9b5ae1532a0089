"""Mechanisms found by blind round 16, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.rules import RuleExtractor

U = UseCase
P = Priority


# --- priority: a preference with its own subject, "rather it be right than fast" --------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("code review helper for 40 devs; we'd rather it be correct than quick", P.QUALITY),
        ("chatbot for 300 staff, I'd rather the answers were slow than wrong", P.QUALITY),
        ("support bot, we'd rather it be cheap than snappy", P.COST),
        ("tutor app, rather they be accurate than instant", P.QUALITY),
    ],
)
def test_preference_with_a_subject(rules: RuleExtractor, text: str, want: Priority) -> None:
    assert rules.read(text).priority == want


# --- priority: spend kept small as a condition ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "nightly tagging job; whenever it finishes is fine as long as the bill stays small",
        "summaries for 200 analysts, fine provided costs remain modest",
        "chat assistant, so long as our cloud spend is kept low",
    ],
)
def test_spend_kept_small_is_cost(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.COST


def test_a_small_bill_stated_as_a_fact_is_no_priority(rules: RuleExtractor) -> None:
    assert rules.read("chat assistant for 300 staff; our bill is small today").priority is None


# --- priority: a harm the job looks for is its task, not a consequence ------------------------


@pytest.mark.parametrize(
    "text",
    [
        "overnight job to flag compliance issues in 200k trade chats",
        "screen support emails for potential compliance violations, 50k a day",
        "detect regulatory breaches in call transcripts in batch",
    ],
)
def test_sought_harm_is_not_a_quality_cue(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority != P.QUALITY


def test_harm_as_an_outcome_still_reads_quality(rules: RuleExtractor) -> None:
    draft = rules.read("HR bot for 900 staff; a made-up answer means compliance issues")
    assert draft.priority == P.QUALITY


# --- use case: items pushed through a model, weekday nights -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "we want to run 2M support tickets through an LLM to find duplicates",
        "feed last month's invoices through the model to pull out totals",
        "every Sunday night, re-check the catalog descriptions for banned words",
        "each Tuesday evening we pipe the week's reviews through a model",
    ],
)
def test_items_through_a_model_are_batch(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).use_case == U.BATCH_PROCESSING


def test_peak_weekday_nights_are_no_schedule(rules: RuleExtractor) -> None:
    text = "phone agent for a taxi firm, 900 concurrent callers on Saturday nights"
    assert rules.read(text).use_case == U.CUSTOMER_SERVICE


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # "as long as" is a condition, not a long document
        ("chatbot for 200 staff, fine as long as it is cheap", U.CHATBOT),
        # a long document named outright stays a long-document cue
        ("summarize long contracts of 30k tokens for 20 lawyers", U.LONG_DOCUMENT_SUMMARIZATION),
    ],
)
def test_as_long_as_is_no_length(rules: RuleExtractor, text: str, want: UseCase) -> None:
    assert rules.read(text).use_case == want


# --- use case: answers pulled out of a source; people chatting with a bot ---------------------


@pytest.mark.parametrize(
    "text",
    [
        "our underwriters need to dig the answer out of 4,000 policy schedules",
        "something to get answers from the fine print of our supplier agreements",
        "paralegals fish answers out of case bundles all day",
    ],
)
def test_answers_out_of_a_source_are_rag(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).use_case == U.RAG_QA


def test_answers_out_of_the_model_name_no_source(rules: RuleExtractor) -> None:
    assert rules.read("we pull answers out of the model for 300 staff").use_case != U.RAG_QA


@pytest.mark.parametrize(
    "text",
    [
        "players talk to an AI companion between matches; 30k visitors a day",
        "listeners chat with a bot about the show while it airs, 8k visitors at peak",
    ],
)
def test_chatting_with_a_bot_is_a_chatbot(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).use_case == U.CHATBOT


def test_customers_with_orders_stay_customer_service(rules: RuleExtractor) -> None:
    text = "shoppers on our store talk to an AI assistant about returns and refunds"
    assert rules.read(text).use_case == U.CUSTOMER_SERVICE


# --- users: "N of us" said with using it ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("code assistant; there'll be about forty of us on it", 40),
        ("a writing helper, some 15 of us will be using it daily", 15),
        ("roughly 60 of us use it during the week", 60),
    ],
)
def test_n_of_us_using_it(rules: RuleExtractor, text: str, want: int) -> None:
    assert rules.read(text).users == want


def test_n_of_us_who_built_it_are_no_users(rules: RuleExtractor) -> None:
    assert rules.read("a coding bot; 3 of us built the prototype last year").users is None


# --- priority: an obligation to answer within a fraction of a second -------------------------


@pytest.mark.parametrize(
    "text",
    [
        "game narrator that has to produce a sentence within a fifth of a second",
        "replies must arrive in under 300 ms for 2k players",
        "the hint needs to show up in less than 0.4 s",
    ],
)
def test_sub_second_obligation_is_latency(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == P.LATENCY


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # a bound of seconds is a constraint, not a priority
        ("reports have to finish within 2 seconds", None),
        # an outright priority for another aspect wins over the bound
        ("answers must arrive within 500 ms but cost is our top priority", P.COST),
    ],
)
def test_sub_second_near_misses(rules: RuleExtractor, text: str, want: Priority | None) -> None:
    assert rules.read(text).priority == want
