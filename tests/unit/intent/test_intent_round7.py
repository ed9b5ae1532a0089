"""Mechanisms found by blind round 7 (batches 7a, 7b), one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.rules import RuleExtractor
from predeploy.intent.spelling import correct_word
from predeploy.intent.text import phrase_views, split_compounds

# --- durations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metric", "value_ms"),
    [
        # minutes, and one unit after a bound word
        ("research assistant over our archive, results within a minute", "e2e_ms", 60_000.0),
        ("reports over the wiki, answers in under 2 minutes", "e2e_ms", 120_000.0),
        ("the full answer within half a minute", "e2e_ms", 30_000.0),
        ("support bot, first token in under a second", "ttft_ms", 1000.0),
        # a bound per request needs no latency word
        ("translate chat messages, under two seconds per message", "e2e_ms", 2000.0),
        ("summaries of calls, at most 30 s per call", "e2e_ms", 30_000.0),
    ],
)
def test_durations_are_latency_bounds(
    rules: RuleExtractor, text: str, metric: str, value_ms: float
) -> None:
    targets = rules.read(text).targets
    assert [(t.metric, t.value_ms) for t in targets] == [(metric, value_ms)]


@pytest.mark.parametrize(
    ("text", "requests_per_s"),
    [
        # near misses: "a minute" after a count is a period, "every" makes a period
        ("chatbot, 300 requests a minute", 5.0),
        ("chatbot, 2 requests every 2 minutes", 1 / 60),
        # a job done within a span is a rate, not a latency
        ("re-index 10k docs in 30 minutes", 10_000 / 1800),
    ],
)
def test_minutes_of_rates_stay_rates(
    rules: RuleExtractor, text: str, requests_per_s: float
) -> None:
    draft = rules.read(text)
    assert draft.targets == ()
    assert draft.requests_per_s == pytest.approx(requests_per_s)


def test_a_duration_per_item_without_a_bound_is_no_target(rules: RuleExtractor) -> None:
    assert rules.read("batch job, takes 2 seconds per document").targets == ()


def test_minutes_after_a_count_are_no_meeting_minutes(rules: RuleExtractor) -> None:
    assert rules.read("a request every 2 minutes per user, 300 users").use_case is None
    assert rules.read("turn call recordings into meeting minutes").use_case == (
        UseCase.SUMMARIZATION
    )


# --- hyphenated compounds ------------------------------------------------------------------------


def test_split_compounds_keeps_offsets_and_lexical_units() -> None:
    text = "a super-responsive, non-real-time, fast-growing, cheap-ish 8x-h100 bot"
    split = split_compounds(text)
    assert len(split) == len(text)
    assert "super responsive" in split
    assert "non-real-time" in split  # negated
    assert "fast-growing" in split  # a lexical unit
    assert "cheap-ish" in split  # hedged
    assert "8x-h100" in split  # not a letter compound
    assert phrase_views("plain words") == ("plain words",)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("a lightning-fast chatbot for 500 users", Priority.LATENCY),
        ("crazy-fast autocomplete for 100 devs", Priority.LATENCY),
        ("cost-driven offline tagging of 1M reviews nightly", Priority.COST),
        ("accuracy-obsessed legal Q&A over contracts for 30 lawyers", Priority.QUALITY),
        # near misses: lexical compounds, negations and hedges keep their reading
        ("our fast-growing startup needs a support bot for 300 customers", None),
        ("a quick-service restaurant chain wants a voice agent", None),
        ("non-real-time summarization of calls", None),
    ],
)
def test_cues_inside_compounds(rules: RuleExtractor, text: str, priority: Priority | None) -> None:
    assert rules.read(text).priority == priority


def test_use_case_cues_inside_compounds(rules: RuleExtractor) -> None:
    assert rules.read("pair-programming helper for 40 devs").use_case == UseCase.CODE_GENERATION
    assert rules.read("self-service support-bot for 2k shoppers").use_case == (
        UseCase.CUSTOMER_SERVICE
    )


# --- priority idioms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        # verdicts on an aspect noun
        ("support bot; the cloud bill is our top concern", Priority.COST),
        ("legal Q&A where factuality is our north star", Priority.QUALITY),
        ("capacity is critical for the holiday peak", Priority.THROUGHPUT),
        ("what matters most is answer quality", Priority.QUALITY),
        ("it's all about speed for our traders", Priority.LATENCY),
        ("we're obsessed with accuracy", Priority.QUALITY),
        # directions
        ("minimize latency for the chatbot", Priority.LATENCY),
        ("maximize throughput on the nightly job", Priority.THROUGHPUT),
        # every unit counts
        ("every millisecond matters for our autocomplete", Priority.LATENCY),
        ("every penny counts, support bot for 2k customers", Priority.COST),
        # stakes
        ("we can't afford wrong answers in medical Q&A", Priority.QUALITY),
        ("no room for error: translation of legal contracts", Priority.QUALITY),
        ("nobody wants to wait for an autocomplete suggestion", Priority.LATENCY),
        ("we can't afford to wait for answers", Priority.LATENCY),
        ("chatbot without breaking the bank", Priority.COST),
        ("we need to crunch through 5M documents", Priority.THROUGHPUT),
        # adjectives that decide
        ("tutor bot; it has to be correct above all", Priority.QUALITY),
        ("needs to be fast at all costs", Priority.LATENCY),
        # near misses
        ("we can't afford a big GPU cluster, support bot", Priority.COST),
        ("nightly tagging job, no one is waiting on it", None),
    ],
)
def test_priority_idiom_families(
    rules: RuleExtractor, text: str, priority: Priority | None
) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("hotel concierge bot; don't overspend but keep it reasonably quick", Priority.BALANCED),
        ("fairly cheap but responsive enough support bot", Priority.BALANCED),
        # near misses: an outright or superlative cue keeps its aspect
        ("cheapest possible chatbot, but reasonably accurate", Priority.COST),
        ("cost is our top priority, reasonably fast is fine", Priority.COST),
        ("a reasonably fast chatbot for 200 users", Priority.LATENCY),
    ],
)
def test_an_aspect_as_a_floor_is_a_trade_off(
    rules: RuleExtractor, text: str, priority: Priority
) -> None:
    assert rules.read(text).priority == priority


# --- use case ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("Line completion for 300 Go developers", UseCase.CODE_COMPLETION),
        ("multi-line completions in VS Code for 40 devs", UseCase.CODE_COMPLETION),
        ("autocomplete in Jupyter notebooks for 60 data scientists", UseCase.CODE_COMPLETION),
        # paper notebooks are records; asking years of them is retrieval
        ("scientists query ten years of lab notebooks, 55 users", UseCase.RAG_QA),
        ("search 20 years of field reports for answers, 30 users", UseCase.RAG_QA),
    ],
)
def test_use_case_families_7(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


# --- lengths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "prompt_tokens", "output_tokens"),
    [
        # "digest"/"recap" as verbs read the source
        ("Digest about 3k tokens of logs per incident into a short note", 3000.0, None),
        ("we recap about 2k tokens of chat history for 80 agents", 2000.0, None),
        ("the bot digests roughly 4k tokens of tickets", 4000.0, None),
        # near misses: as nouns they are the output
        ("a daily digest of about 400 tokens for 200 employees", None, 400.0),
        ("we want a recap of about 150 tokens for each call", None, 150.0),
        # a length heading a noun after "from" is the source; "from N to M" is a range
        ("produce a digest of ~300 tokens from 5k-token news feeds", 5000.0, 300.0),
        ("blog posts from 500 to 800 tokens, 20 writers", None, 650.0),
    ],
)
def test_reading_verbs_and_sources(
    rules: RuleExtractor, text: str, prompt_tokens: float | None, output_tokens: float | None
) -> None:
    draft = rules.read(text)
    assert (draft.prompt_tokens, draft.output_tokens) == (prompt_tokens, output_tokens)


# --- 7c: typo repair, people nouns, preferences between failures, service questions -----------


@pytest.mark.parametrize(
    ("word", "fixed"),
    [
        ("suppory", "support"),  # a neighbouring key
        ("budjet", "budget"),  # a sound-alike consonant
        ("chatbott", "chatbot"),  # a doubled last letter
        ("waiting", "waiting"),  # a for r is another word, not a slip ("writing")
        ("writer", "writer"),  # an ending, not a typo
    ],
)
def test_typo_repair_needs_a_plausible_slip(word: str, fixed: str) -> None:
    assert correct_word(word) == fixed


def test_waiting_is_not_read_as_writing(rules: RuleExtractor) -> None:
    draft = rules.read(
        "Patient intake assistant: 6k patients a day chat with it; we're fine waiting longer."
    )
    assert draft.use_case != UseCase.CONTENT_GENERATION
    assert not draft.notes


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("one-page minutes for 15 company secretaries", 15),
        ("Q&A for 40 librarians over our catalogue", 40),
        ("chatbot for 300 retirees", 300),
        # near miss: lists of things are no people
        ("a tool that writes 25 checklists", None),
    ],
)
def test_people_nouns_by_suffix(rules: RuleExtractor, text: str, users: int | None) -> None:
    assert rules.read(text).users == users


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("math tutor; we'd rather be slow than wrong", Priority.QUALITY),
        ("we'd rather be expensive than slow", Priority.LATENCY),
        ("i'll take slow over inaccurate", Priority.QUALITY),
        ("nightly job: speed per request doesn't matter, volume does", Priority.THROUGHPUT),
        ("support bot: cost doesn't matter, accuracy does", Priority.QUALITY),
        ("not speed but accuracy", Priority.QUALITY),
        # near miss: a positive comparison keeps its reading
        ("we'd rather be right than fast", Priority.QUALITY),
    ],
)
def test_preferences_between_failures_and_ellipses(
    rules: RuleExtractor, text: str, priority: Priority
) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("pet owners ask about appointments, bills and meds", UseCase.CUSTOMER_SERVICE),
        ("a bot that helps car owners check on their claims", UseCase.CUSTOMER_SERVICE),
        # near misses: product owners are staff; policies in a handbook are documents
        ("chatbot for 300 product owners in our agile teams", UseCase.CHATBOT),
        ("employees ask about our policies in the handbook", UseCase.RAG_QA),
    ],
)
def test_service_questions(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case
