"""Phrasing families found by blind rounds 5 and 5b, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.rules import RuleExtractor
from predeploy.intent.text import clean_text, mark_list_lines, normalize

DAY_S = 86_400.0
MONTH_S = 365.25 / 12 * DAY_S
YEAR_S = 365.25 * DAY_S


def _targets(rules: RuleExtractor, text: str) -> list[tuple[str | None, str | None, float]]:
    return [(t.metric, t.percentile, round(t.value_ms, 3)) for t in rules.read(text).targets]


# --- text: list lines and loose quantities ------------------------------------------------------


def test_list_items_and_labelled_lines_end_clauses() -> None:
    text = "Needs:\n* TTFT p50 < 400ms, p99 < 1.5s\n- ITL p95 < 60ms\nUsers: 75\n2) budget 3k"
    cleaned = clean_text(mark_list_lines(text)).text
    assert cleaned == "Needs:; TTFT p50 < 400ms, p99 < 1.5s; ITL p95 < 60ms; Users: 75; budget 3k"
    # a wrapped sentence keeps its line break as a space
    assert clean_text(mark_list_lines("first token\nunder 200 ms")).text == (
        "first token under 200 ms"
    )


def test_percentile_on_a_bullet_keeps_its_own_metric(rules: RuleExtractor) -> None:
    text = "* support chat\n* TTFT p50 < 400ms, p99 < 1.5s\n* ITL p95 < 60ms"
    assert _targets(rules, text) == [
        ("ttft_ms", "p50", 400.0),
        ("ttft_ms", "p99", 1500.0),
        ("itl_ms", "p95", 60.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a couple hundred engineers", "200 engineers"),
        ("a couple of thousand users", "2000 users"),
        ("a few thousand members", "3000 members"),
        ("half a dozen editors", "6 editors"),
        ("a couple hundred thousand requests", "200000 requests"),
        ("a couple of h100s", "2 h100s"),
    ],
)
def test_loose_quantities_of_a_scale(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95_e2e_ms: 1500", "p95 e2e 1500 ms"),
        ("peak_rps: 35", "peak 35 rps"),
        ("monthly_budget_usd: 12000", "monthly budget 12000 usd"),
        ("qps = 20", "20 qps"),
        ("ttft-ms: 250", "ttft 250 ms"),
        ("use_case: translation", "use_case: translation"),
    ],
)
def test_structured_fields_read_as_phrases(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_structured_request(rules: RuleExtractor) -> None:
    draft = rules.read(
        "use_case: translation\npeak_rps: 35\np95_e2e_ms: 1500\nmonthly_budget_usd: 12000"
    )
    assert draft.requests_per_s == 35
    assert draft.budget_monthly_usd == 12000
    assert [(t.metric, t.percentile, t.value_ms) for t in draft.targets] == [
        ("e2e_ms", "p95", 1500.0)
    ]


# --- users ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "users", "kind"),
    [
        # counts joined by "+", "plus", "and" are one user base
        ("a lab of 8 PhD students + 2 postdocs", 10, None),
        ("helpdesk for 30k students and 5k staff", 35000, None),
        ("120 nurses plus 30 doctors", 150, None),
        # a share of the base that is active
        ("1.5M registered users, ~3% active at peak hour", 45000, "concurrent"),
        ("120k players but only ~2% ever open the help panel", 2400, None),
        ("DAU 300k, maybe 5% chatting at any moment", 15000, "concurrent"),
        ("10k employees, 20 percent of them use it", 2000, None),
        # a concurrency beside a total is the load to plan for
        ("2,400 nurses, perhaps 300 concurrent at peak", 300, "concurrent"),
        ("250k MAU, peak concurrency ~4k", 4000, "concurrent"),
        # metric names before their value, and game and compound nouns
        ("20k CCU peak", 20000, "concurrent"),
        ("MAU: 2M", 2_000_000, "total"),
        ("approximately 1200 caseworkers", 1200, None),
        ("for 90 salespeople", 90, None),
    ],
)
def test_user_base_phrasings(rules: RuleExtractor, text: str, users: int, kind: str | None) -> None:
    draft = rules.read(text)
    assert draft.users == users
    assert draft.user_kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "5,000 employees; 95% of requests under 2 s",
        "5,000 employees, keep a 10% margin",
        "2,000 users and 40 requests per second",
        "2,000 users with 10 concurrent gpu jobs",
    ],
)
def test_user_base_keeps_its_count_beside_other_numbers(rules: RuleExtractor, text: str) -> None:
    draft = rules.read(text)
    assert draft.users in (5000, 2000)


# --- rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rps"),
    [
        ("maybe twice a second at peak", 2.0),
        ("5 times a minute", 5 / 60),
        ("a request every five seconds or so", 0.2),
        ("one query every 2 minutes", 1 / 120),
        ("2.4 million scanned forms annually", 2.4e6 / YEAR_S),
        ("90k invoices quarterly", 90e3 / (3 * MONTH_S)),
        ("200k PDFs of customs paperwork per day", 200e3 / DAY_S),
        ("batch-annotate 2M abstracts with labels over the next month", 2e6 / MONTH_S),
        ("translate 10k pages within 2 weeks", 10e3 / (14 * DAY_S)),
    ],
)
def test_frequency_and_span_rates(rules: RuleExtractor, text: str, rps: float) -> None:
    got = rules.read(text).requests_per_s
    assert got == pytest.approx(rps, rel=1e-3)


def test_request_every_n_seconds_by_each_user(rules: RuleExtractor) -> None:
    draft = rules.read(
        "8,000 concurrent sessions at peak, each fires a completion every ~3s while typing"
    )
    assert draft.requests_per_s == pytest.approx(8000 / 3)
    assert draft.targets == ()  # "every ~3s" is a period, not a latency bound


@pytest.mark.parametrize(
    "text",
    [
        "we run the batch once a day",
        "must finish within a 6 hour overnight window",
        "a corpus of 2M documents",
    ],
)
def test_no_rate_from_job_cadence_or_window(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).requests_per_s is None


# --- lengths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "role", "tokens"),
    [
        ("case files, often 30-40k tokens", "prompt", 35000),
        ("transcripts are 12-15k tokens", "prompt", 13500),
        ("inputs of 500-2k tokens", "prompt", 1250),
        ("bullet-point minutes (max 500 tokens)", "output", 500),
    ],
)
def test_length_ranges_and_caps(rules: RuleExtractor, text: str, role: str, tokens: float) -> None:
    draft = rules.read("summarise " + text)
    assert getattr(draft, f"{role}_tokens") == tokens


def test_collection_size_is_no_request_length(rules: RuleExtractor) -> None:
    draft = rules.read(
        "our knowledge base is 3M tokens in total; prompts end up around 4k tokens, "
        "answers ~300 tokens"
    )
    assert draft.prompt_tokens == 4000
    assert draft.output_tokens == 300
    assert rules.read("a corpus of 40M tokens; 2k-token questions").prompt_tokens == 2000


def test_context_needs_the_word_context(rules: RuleExtractor) -> None:
    assert rules.read("max 8k tokens of context").min_context_tokens == 8000
    assert rules.read("context window of 32k tokens").min_context_tokens == 32000
    assert rules.read("replies of max 300 tokens").min_context_tokens is None


# --- latency targets -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tokens streaming at least 30 tok/s", [("itl_ms", None, 33.333)]),
        ("answers stream at 40 tokens/s", [("itl_ms", None, 25.0)]),
        ("needs to finish within 20s", [("e2e_ms", None, 20000.0)]),
        ("jobs must be done in under 90 s", [("e2e_ms", None, 90000.0)]),
        ("answer must come fast, maximum 2 second", [("e2e_ms", None, 2000.0)]),
        ("TTFT should be low, at most 300 ms", [("ttft_ms", None, 300.0)]),
    ],
)
def test_latency_phrasings(
    rules: RuleExtractor, text: str, expected: list[tuple[str, str | None, float]]
) -> None:
    assert _targets(rules, "chatbot. " + text) == expected


def test_aggregate_throughput_stays_a_throughput(rules: RuleExtractor) -> None:
    draft = rules.read("batch job with a throughput of 5000 tokens/s")
    assert draft.targets == ()
    assert draft.min_output_tokens_per_s == 5000
    assert _targets(rules, "chatbot, we have 5 GPUs, maximum 2") == []


# --- budgets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "monthly"),
    [
        ("Budget is $15k per quarter", 5000.0),
        ("a quarterly budget of $9,000", 3000.0),
        ("Budget's 10k a month", 10000.0),
        ("our last vendor quoted $90,000 per year; we'd like to stay under $45k a year", 3750.0),
        ("we currently pay $8,000 a month and want to spend at most $5,000 a month", 5000.0),
        ("$6,000/month max, a $9,000/month quote was too much", 6000.0),
    ],
)
def test_budget_phrasings(rules: RuleExtractor, text: str, monthly: float) -> None:
    assert rules.read(text).budget_monthly_usd == pytest.approx(monthly)


# --- priority ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("we care most about keeping the bill low", Priority.COST),
        ("keeps our costs down", Priority.COST),
        ("Throughput more important than latency", Priority.THROUGHPUT),
        ("accuracy far more important than cost", Priority.QUALITY),
        ("Cost efficiency is the primary consideration", Priority.COST),
        ("answer quality is our main driver", Priority.QUALITY),
        ("We have almost no money", Priority.COST),
        ("has to be sub-200ms to first token or it's useless", Priority.LATENCY),
    ],
)
def test_priority_phrasings(rules: RuleExtractor, text: str, priority: Priority) -> None:
    found = rules.read(text).priority
    assert found == priority


def test_no_budget_limit_is_not_a_cost_priority(rules: RuleExtractor) -> None:
    assert rules.read("no budget limit, translation of manuals").priority is None


# --- use cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("text-to-sql for our BI tool", UseCase.CODE_GENERATION),
        ("NL2SQL over the warehouse for analysts", UseCase.CODE_GENERATION),
        ("maths reasoning Q&A for researchers", UseCase.CHATBOT),
        ("QA scoring of calls against a rubric, results next day", UseCase.BATCH_PROCESSING),
        ("rewrites release notes into customer-friendly language", UseCase.CONTENT_GENERATION),
        ("editors need headline and standfirst suggestions", UseCase.CONTENT_GENERATION),
        ("batch-annotate abstracts with labels", UseCase.BATCH_PROCESSING),
        ("gpt-oss for the support widget", UseCase.CUSTOMER_SERVICE),
        # the near misses keep their reading
        ("Q&A over the engineering wiki", UseCase.RAG_QA),
        ("rewrite legacy code in Rust", UseCase.CODE_GENERATION),
    ],
)
def test_use_case_phrasings(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case
