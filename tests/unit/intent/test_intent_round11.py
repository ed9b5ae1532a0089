"""Mechanisms found by blind round 11, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.groups import group_multiplier
from predeploy.intent.priority import find_priority
from predeploy.intent.rules import RuleExtractor

P = Priority
U = UseCase

# --- users: groups times people per group ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("an assistant for 4 shifts of 50 nurses", 200),
        ("our 6 pods of 12 engineers each want inline completions", 72),
        ("2 regional offices of about 150 employees use the helpdesk bot", 300),
        ("five clinics with 30 physicians each", 150),
        ("ten stores with 25 staff each", 250),
    ],
)
def test_group_counts_multiply(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    ("text", "users"),
    [
        # the people count is already the whole
        ("4 teams with 60 engineers in total", 60),
        ("3 departments of 90 staff overall", 90),
        # a team of N is one group, not a multiplier
        ("a team of 30 engineers", 30),
        # things that are not groups of people
        ("we run 3 models for 200 analysts", 200),
        ("a chatbot for 500 users across 3 regions", 500),
    ],
)
def test_group_count_near_misses(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


def test_group_multiplier_needs_two_groups() -> None:
    text = "1 team of 40 engineers"
    start = text.index("40")
    assert group_multiplier(text, start, start + len("40 engineers")) is None


def test_group_nouns_are_not_batch_items(rules: RuleExtractor) -> None:
    # "5 regional teams" is no job size, and a "monthly cap" dates money, not work
    draft = rules.read("copy generator for 5 regional teams of 8 writers. monthly cap is 2.5k usd")
    assert draft.users == 40
    assert draft.requests_per_s is None
    assert draft.budget_monthly_usd == 2500


# --- lengths: a bare count beside a length takes its unit --------------------------------------


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("summarize notes, 3k tokens in, 250 out", 3000, 250),
        ("reports of 1,200 tokens in / 90 out", 1200, 90),
        ("prompts of 4k tokens and ~300 back", 4000, 300),
        ("answers of 400 tokens out, 2k in", 2000, 400),
    ],
)
def test_unitless_partner_length(
    rules: RuleExtractor, text: str, prompt: float, output: float
) -> None:
    draft = rules.read(text)
    assert (draft.prompt_tokens, draft.output_tokens) == (prompt, output)


@pytest.mark.parametrize(
    "text",
    [
        # a count of people or a total after a length is not the other direction
        "summaries of 300 tokens, 30 in total for our team",
        "a 2k token prompt, 40 users in parallel",
    ],
)
def test_unitless_partner_near_misses(rules: RuleExtractor, text: str) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens is None or draft.prompt_tokens >= 300
    assert draft.output_tokens is None or draft.output_tokens >= 300


# --- use case: agent assist and open-domain Q&A ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("a copilot that drafts replies to customer tickets for our reps", U.CUSTOMER_SERVICE),
        ("suggest responses to client emails for the service desk", U.CUSTOMER_SERVICE),
        ("a general Q&A chatbot for the whole company", U.CHATBOT),
        ("a general knowledge assistant for 300 staff", U.CHATBOT),
    ],
)
def test_use_case_families(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # replies that are posts, not answers to customers, stay writing
        ("drafts replies to LinkedIn comments for our marketing team", U.CONTENT_GENERATION),
        # Q&A over a named document source stays retrieval
        ("Q&A over our product manuals and wiki for 300 staff", U.RAG_QA),
    ],
)
def test_use_case_near_misses(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


# --- priority: spending less, the least money, an aspect ranked below another ------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("we would rather pay less, even if answers are slower", P.COST),
        ("run it for the least money possible", P.COST),
        ("as little money as we can, please", P.COST),
        ("push as many requests through each node as we can", P.THROUGHPUT),
        ("speed is secondary to accuracy", P.QUALITY),
        ("cost matters far less than correctness", P.QUALITY),
        ("quality takes a back seat to latency here", P.LATENCY),
    ],
)
def test_priority_families(text: str, priority: Priority) -> None:
    found = find_priority(text)
    assert found is not None
    assert found.priority == priority


@pytest.mark.parametrize(
    "text",
    [
        # no aspect ranked or named
        "the least we can do is log every request",
        "a second tier of support for 40 agents",
        "at least 300 users, even if it grows",
    ],
)
def test_priority_near_misses(text: str) -> None:
    assert find_priority(text) is None


def test_replies_to_customer_reviews_stay_writing(rules: RuleExtractor) -> None:
    # public replies to reviews are content, not answers to a customer's own case
    assert rules.read("draft replies to customer reviews").use_case == U.CONTENT_GENERATION
    assert rules.read("draft replies to customers for the support team").use_case == (
        U.CUSTOMER_SERVICE
    )


@pytest.mark.parametrize(
    ("text", "users"),
    [
        # "x" between the group count and the people count
        ("an assistant for 3 x 200 agents", 600),
        # the groups after a per-group count
        ("support copilot, 200 agents per shift and 3 shifts a day", 600),
        ("25 staff in each store across 10 stores", 250),
        ("40 reps per team, 6 teams", 240),
    ],
)
def test_group_counts_other_orders(rules: RuleExtractor, text: str, users: int) -> None:
    draft = rules.read(text)
    assert draft.users == users
    assert draft.requests_per_s is None  # "3 shifts a day" is no request rate


def test_per_group_count_without_groups_stays(rules: RuleExtractor) -> None:
    assert rules.read("50 users per team").users == 50
    # a request rate next to groups is still a rate
    draft = rules.read("rag for 40 teams, 500 questions per day")
    assert draft.requests_per_s == pytest.approx(500 / 86_400)


# --- budget: a bare amount named a budget after its period -------------------------------------


@pytest.mark.parametrize(
    ("text", "monthly"),
    [
        ("chatbot for 500 users, 60k/yr budget", 5000.0),
        ("chatbot for 500 users, 5k a month budget", 5000.0),
        ("chatbot for 500 users, 2,000/month spend cap", 2000.0),
    ],
)
def test_amount_period_budget_word(rules: RuleExtractor, text: str, monthly: float) -> None:
    draft = rules.read(text)
    assert draft.budget_monthly_usd == pytest.approx(monthly)
    assert draft.requests_per_s is None


def test_item_rate_before_budget_word_stays_rate(rules: RuleExtractor) -> None:
    draft = rules.read("50k docs/day, budget approval pending")
    assert draft.budget_monthly_usd is None
    assert draft.requests_per_s == pytest.approx(50_000 / 86_400)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("we want to keep the gpu bill in check", P.COST),
        ("keeping our cloud spend low matters", P.COST),
    ],
)
def test_keep_named_bill_down(text: str, priority: Priority) -> None:
    found = find_priority(text)
    assert found is not None and found.priority == priority


def test_keep_other_things_is_no_priority() -> None:
    assert find_priority("keep the users happy and the logs tidy") is None


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("agents are on the phone, so every second of delay hurts", P.LATENCY),
        ("each millisecond counts in the trading desk", P.LATENCY),
        ("speed is nice to have, but the real constraint is the budget", P.COST),
        ("our main concern is latency", P.LATENCY),
        ("we care most about how many documents we can process per hour", P.THROUGHPUT),
        ("our cfo wants the smallest possible invoice", P.COST),
    ],
)
def test_indirect_priority_families(text: str, priority: Priority) -> None:
    found = find_priority(text)
    assert found is not None and found.priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "the smallest possible team of 3 people",
        "every second user asks twice",
        "how many users we have is unknown",
        "the only limit is the context window",
    ],
)
def test_indirect_priority_near_misses(text: str) -> None:
    assert find_priority(text) is None
