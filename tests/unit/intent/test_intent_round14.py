"""Mechanisms found by blind round 14, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import UseCase
from predeploy.intent.numerals import spell_out_numbers
from predeploy.intent.rules import RuleExtractor
from predeploy.intent.text import normalize

U = UseCase


# --- numbers: fractions of a scale or a unit, counts of dozens, "grand" ------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a quarter of a million documents", "250000 documents"),
        ("three quarters of a million users", "750000 users"),
        ("a third of a million", "333333"),
        ("one tenth of a billion", "100000000"),
        ("a quarter million rows", "250000 rows"),
        ("half a billion tokens", "500000000 tokens"),
        ("a fifth of a second", "0.2 seconds"),
        ("three tenths of a second", "0.3 seconds"),
        ("a quarter of an hour", "0.25 hours"),
        ("two dozen attorneys", "24 attorneys"),
        ("3 dozen nurses", "36 nurses"),
        ("eight grand a month", "$8k a month"),
        ("$2.5 grand per quarter", "$2.5k per quarter"),
    ],
)
def test_composed_numbers(text: str, want: str) -> None:
    assert normalize(text) == want


@pytest.mark.parametrize(
    "text",
    [
        "a quarter of our users",
        "a third of the traffic",
        "the grand total",
        "a dozen engineers",
        "dozens of teams",
    ],
)
def test_composed_number_near_misses(text: str) -> None:
    # no scale or unit after the fraction, no count before "grand": left as words
    # ("a dozen" keeps its old reading, 12)
    assert spell_out_numbers(text) == text.replace("a dozen", "12")


def test_composed_numbers_reach_the_intent(rules: RuleExtractor) -> None:
    assert rules.read("we screen about a quarter of a million posts per day").requests_per_s == (
        pytest.approx(250_000 / 86_400, rel=1e-3)
    )
    assert rules.read("a team of roughly three dozen paralegals").users == 36
    assert rules.read("leadership approved ten grand a month").budget_monthly_usd == 10_000
    # a number before "grand" is money, never a count per month
    assert rules.read("leadership approved ten grand a month").requests_per_s is None


# --- latency: the start of speech or output is the first token; pauses are latency ------------


@pytest.mark.parametrize(
    ("text", "metric", "value_ms"),
    [
        ("the avatar has to begin talking within 300 ms", "ttft_ms", 300.0),
        ("no more than a quarter of a second before it starts speaking", "ttft_ms", 250.0),
        ("it should start typing its answer in under 0.4 s", "ttft_ms", 400.0),
        ("the kiosk must begin to speak within half a second", "ttft_ms", 500.0),
        ("any pause longer than a tenth of a second feels broken", "ttft_ms", 100.0),
        ("a lag of more than 300 ms is noticeable in the headset", "ttft_ms", 300.0),
    ],
)
def test_start_of_speech_and_pauses(
    rules: RuleExtractor, text: str, metric: str, value_ms: float
) -> None:
    targets = rules.read(text).targets
    assert [(t.metric, t.value_ms) for t in targets] == [(metric, pytest.approx(value_ms))]


@pytest.mark.parametrize(
    "text",
    [
        "we started writing the spec 2 minutes ago",
        "the team will start writing the prompts 10 minutes later",
        "the job ran for 3 hours",
    ],
)
def test_start_of_speech_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).targets == ()


# --- budgets over a span: "for the whole year", "over the entire quarter" ----------------------


@pytest.mark.parametrize(
    ("text", "monthly"),
    [
        ("we've set aside 24,000 dollars for the whole year", 2000.0),
        ("finance gave us $36k for the year", 3000.0),
        ("a budget of $6k over the entire quarter", 2000.0),
        ("$1,500 for the coming month", 1500.0),
    ],
)
def test_budget_over_a_span(rules: RuleExtractor, text: str, monthly: float) -> None:
    assert rules.read(text).budget_monthly_usd == pytest.approx(monthly, rel=1e-3)


def test_budget_span_near_miss(rules: RuleExtractor) -> None:
    # no period at all: a large amount is still read as monthly, noted as an assumption
    assert rules.read("we can spend $9,000 on this").budget_monthly_usd == 9000.0


# --- users: a concurrency word after a participle ("calls going at once") ---------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("expect around 120 calls going at once", 120),
        ("about 40 chats active at any one time", 40),
        ("up to 75 sessions running at a time", 75),
        ("some 300 conversations in progress simultaneously", 300),
    ],
)
def test_concurrency_after_a_participle(rules: RuleExtractor, text: str, users: int) -> None:
    draft = rules.read(text)
    assert (draft.users, draft.user_kind) == (users, "concurrent")


def test_concurrency_near_miss(rules: RuleExtractor) -> None:
    # calls without a concurrency word are requests, not users
    draft = rules.read("we log 500 calls per day")
    assert draft.users is None
    assert draft.requests_per_s == pytest.approx(500 / 86_400)


# --- rates: a cadence adjective describes its noun ("quarterly earnings reports") -------------


@pytest.mark.parametrize(
    "text",
    [
        "think quarterly earnings reports, often a hundred pages or more",
        "our weekly reports cover 2,000 stores",
        "monthly newsletters of about 30 articles",
    ],
)
def test_attributive_cadence_is_no_rate(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).requests_per_s is None


@pytest.mark.parametrize(
    ("text", "rps"),
    [
        # the count is of the noun the cadence describes
        ("we receive 50k monthly invoices and extract totals", 50_000 / (365.25 / 12 * 86_400)),
        # the cadence schedules a job
        ("tag 30k reviews in a nightly batch", 30_000 / 86_400),
        ("tag 1M product reviews with sentiment every night", 1e6 / 86_400),
    ],
)
def test_scheduling_cadence_keeps_its_rate(rules: RuleExtractor, text: str, rps: float) -> None:
    assert rules.read(text).requests_per_s == pytest.approx(rps, rel=1e-3)


# --- use case: assistants built into consumer devices are general chatbots ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "voice assistant for a smart-speaker line, 2,400 concurrent users",
        "an in-car voice assistant for 50k drivers",
        "an assistant on our smart TVs that answers anything",
        "an Alexa-like assistant for our headphones",
    ],
)
def test_device_assistants_are_chatbots(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).use_case == U.CHATBOT


@pytest.mark.parametrize(
    "text",
    [
        "voice agent for our bank's customers",
        "phone assistant answering callers for a dental clinic",
    ],
)
def test_voice_agents_for_customers_stay_customer_service(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).use_case == U.CUSTOMER_SERVICE


# --- use case: a short written product made from a source is a summary --------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("students upload lecture notes and get back a one-page study guide", U.SUMMARIZATION),
        (
            "we feed in 60k-token filings and want a two-page brief out",
            U.LONG_DOCUMENT_SUMMARIZATION,
        ),
        ("turn each 3k-token chapter into a cheat sheet", U.SUMMARIZATION),
        ("a one-pager for every 4-page board pack", U.SUMMARIZATION),
    ],
)
def test_short_products_are_summaries(rules: RuleExtractor, text: str, want: UseCase) -> None:
    assert rules.read(text).use_case == want


def test_long_page_products_are_no_summary(rules: RuleExtractor) -> None:
    # a long written product is writing, not a reduction
    assert rules.read("write 10-page marketing reports for our blog").use_case != U.SUMMARIZATION


# --- lengths: what is sent to the model is the prompt, even an output noun ---------------------


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        (
            "students upload lecture notes, ten to twelve pages apiece, and get back a "
            "one-page study guide",
            11 * 2000 / 3,
            2000 / 3,
        ),
        ("we paste meeting notes of roughly 3k tokens and want a summary", 3000.0, None),
        ("users upload 2k-token notes", 2000.0, None),
        ("clinicians forward their 1,500-token handover notes", 1500.0, None),
    ],
)
def test_sent_objects_are_prompts(
    rules: RuleExtractor, text: str, prompt: float, output: float | None
) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens == pytest.approx(prompt, rel=1e-3)
    assert draft.output_tokens == (None if output is None else pytest.approx(output, rel=1e-3))


@pytest.mark.parametrize(
    ("text", "output"),
    [
        ("the bot sends back 300-token notes", 300.0),
        ("we send requests that generate ~500 tokens", 500.0),
        ("the scribe writes 200-token visit notes", 200.0),
    ],
)
def test_sent_object_near_misses(rules: RuleExtractor, text: str, output: float) -> None:
    draft = rules.read(text)
    assert draft.output_tokens == pytest.approx(output)
    assert draft.prompt_tokens is None
