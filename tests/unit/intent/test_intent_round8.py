"""Mechanisms found by blind round 8 (batches 8a, 8b), one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import Priority, UseCase
from predeploy.intent.build import build_intent
from predeploy.intent.lengths import TOKENS_PER_PARAGRAPH, TOKENS_PER_SENTENCE
from predeploy.intent.names import NameIndex
from predeploy.intent.rules import RuleExtractor

# --- priority ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        # a negated cue is a relaxation of its aspect, not a vote for it
        ("nightly batch, we don't care about latency, just keep it cheap", Priority.COST),
        ("not latency-sensitive at all; the bill is what we watch, cost first", Priority.COST),
        # intensified comparatives
        ("accuracy matters way more than speed", Priority.QUALITY),
        ("cost is far more important than latency", Priority.COST),
        # symbols for "over"
        ("quality > everything", Priority.QUALITY),
        ("throughput >> latency for this job", Priority.THROUGHPUT),
        # what the request is after
        ("Looking for throughput: offline tagging of 5M posts", Priority.THROUGHPUT),
        ("we're optimizing for cost here", Priority.COST),
        # "<aspect> isn't the priority, <other> is"; "the main thing" as a concern
        ("speed isn't the priority, accuracy is", Priority.QUALITY),
        ("latency is not our main concern, cost is", Priority.COST),
        ("honestly cost is the main thing", Priority.COST),
    ],
)
def test_priority_families(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "we care about latency",  # no negator: still a latency cue
        "latency matters more than cost",
    ],
)
def test_priority_near_misses_keep_latency(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == Priority.LATENCY


# --- request rates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "average", "peak"),
    [
        ("bank chatbot, 20 req/s sustained, 45 peak", 20.0, 45.0),
        ("RAG bot at ~30 rps, peaks of 80", 30.0, 80.0),
        ("12 qps (spikes to 40) on weekdays", 12.0, 40.0),
        ("300 rpm average, bursting to 600", 5.0, 10.0),
    ],
)
def test_peak_beside_a_rate_keeps_its_unit(
    rules: RuleExtractor, text: str, average: float, peak: float
) -> None:
    draft = rules.read(text)
    assert draft.requests_per_s == pytest.approx(average)
    assert not draft.rate_is_peak
    assert draft.peak_requests_per_s == pytest.approx(peak)


def test_peak_beside_a_rate_reaches_the_intent(
    rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    draft = rules.read("support bot, 20 req/s sustained, 45 peak")
    intent = build_intent(draft, catalog, NameIndex(catalog)).intent
    assert (intent.qps, intent.peak_qps) == (20.0, 45.0)


@pytest.mark.parametrize(
    "text",
    [
        "10 qps, 20 engineers",  # a count of people, not a peak
        "we do 40 qps peak",  # one rate, itself the peak
    ],
)
def test_no_peak_beside_without_a_bare_peak_number(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).peak_requests_per_s is None


@pytest.mark.parametrize(
    ("text", "requests_per_s"),
    [
        # per-user rates with singular people nouns
        ("2,000 analysts, ~10 completions/min per analyst", 2000 * 10 / 60),
        ("1,000 devs, roughly 2 PRs per dev per day", 1000 * 2 / 86_400),
        ("12,000 employees, about 1 question per employee per week", 12_000 / 604_800),
        # "each" as the subject before the rate
        ("10 analysts, each runs maybe 5 per hour", 10 * 5 / 3600),
        ("300 reps, each does ~8 calls/day", 300 * 8 / 86_400),
        # "each" after the period, a two-word request noun, a hedge before "every"
        ("600 agents fire off a suggestion request roughly every 30 seconds each", 20.0),
        # any noun after a verb of firing
        ("60 sessions concurrently, each sends a chunk every 5 seconds", 12.0),
    ],
)
def test_per_user_rates(rules: RuleExtractor, text: str, requests_per_s: float) -> None:
    assert rules.read(text).requests_per_s == pytest.approx(requests_per_s)


@pytest.mark.parametrize(
    ("text", "requests_per_s"),
    [
        ("each day 5000 requests, 100 users", 5000 / 86_400),  # "each day" is no subject
        ("100 users, we process 5 docs every day", 5 / 86_400),  # no verb of firing
    ],
)
def test_rates_that_are_not_per_user(
    rules: RuleExtractor, text: str, requests_per_s: float
) -> None:
    assert rules.read(text).requests_per_s == pytest.approx(requests_per_s)


# --- users ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("chat assistant for 30 pilots in our flight-ops team", 30),
        ("a tool for 12 chefs who plan menus", 12),
        ("helper for 25 cadets on the squad", 25),
        ("live captions: ~60 sessions concurrently", 60),
        ("handles 40 calls at once", 40),
    ],
)
def test_people_read_from_their_context(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    "text",
    [
        "5 servers in our office",  # things, not people
        "we process 500 documents in our team folder",
        "we get 300 requests at peak",  # a load, not a concurrency word after the noun
    ],
)
def test_things_in_a_people_context_are_no_users(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).users is None


# --- lengths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("each job sends ~8k tokens of context and gets back ~1k tokens", 8000, 1000),
        ("the model returns 500 tokens for 3k tokens of input", 3000, 500),
        ("review bot, diffs ~4k tokens, replies of 300 tokens", 4000, 300),
        # a token count restating pages replaces them (tokens outrank pages)
        ("feed whole contracts (30-80 pages, up to 40k tokens)", 40_000, None),
    ],
)
def test_length_roles_from_verbs_and_inputs(
    rules: RuleExtractor, text: str, prompt: float | None, output: float | None
) -> None:
    draft = rules.read(text)
    assert (draft.prompt_tokens, draft.output_tokens) == (prompt, output)


def test_up_to_with_context_stays_a_context(rules: RuleExtractor) -> None:
    draft = rules.read("summarize 50-page reports, up to 100k tokens of context")
    assert draft.min_context_tokens == 100_000
    assert draft.prompt_tokens == pytest.approx(50 * 500 * 4 / 3)


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("support bot, one-line answers mostly", None, TOKENS_PER_SENTENCE),
        ("answers should be one paragraph max", None, TOKENS_PER_PARAGRAPH),
        ("booking assistant, output 1-2 short paragraphs", None, 1.5 * TOKENS_PER_PARAGRAPH),
        ("summaries of a paragraph or two from 3k-token reports", 3000, 1.5 * TOKENS_PER_PARAGRAPH),
        (
            "paste a few paragraphs and get a 1-sentence summary",
            3 * TOKENS_PER_PARAGRAPH,
            TOKENS_PER_SENTENCE,
        ),
        # a stated token count wins over a vague size of the same role
        ("replies of ~300 tokens (a paragraph or so)", None, 300),
    ],
)
def test_vague_sizes(
    rules: RuleExtractor, text: str, prompt: float | None, output: float | None
) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens == (pytest.approx(prompt) if prompt else None)
    assert draft.output_tokens == (pytest.approx(output) if output else None)


@pytest.mark.parametrize(
    "text",
    [
        "we have 2 phone lines",  # not an answer size
        "500 sentences per day to translate",  # a rate, and beyond a vague count
        "hotlines for 3 regions",
    ],
)
def test_vague_size_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).output_tokens is None


# --- use case ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("copilot for our support reps, drafts answers", UseCase.CUSTOMER_SERVICE),
        ("an assistant for 200 care specialists", UseCase.CUSTOMER_SERVICE),
        # a named function for support staff decides by itself
        ("knowledge-base search with cited answers for 3k support agents", UseCase.RAG_QA),
        # a weak long cue alone is no summary request
        ("serve DeepSeek R1 for researchers doing long reasoning", UseCase.CHATBOT),
        # ... but a long stated prompt with a long-document noun still is
        (
            "throw depositions at it (25k tokens each), get a few bullet points",
            UseCase.LONG_DOCUMENT_SUMMARIZATION,
        ),
    ],
)
def test_use_case_families(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    draft = rules.read(text)
    assert (draft.use_case or UseCase.CHATBOT) == use_case
