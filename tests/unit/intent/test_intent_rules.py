"""The deterministic extractor, finder by finder, on phrasing it must understand."""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.rules import RuleExtractor


def _rate(rules: RuleExtractor, text: str) -> float | None:
    return rules.read(text).requests_per_s


@pytest.mark.parametrize(
    ("text", "users", "kind"),
    [
        ("chatbot for 1.5k users", 1500, None),
        ("assistant for 12,000 staff", 12000, None),
        ("400 concurrent calls for our support line", 400, "concurrent"),
        ("store with 2.5k concurrent visitors at peak", 2500, "concurrent"),
        ("summaries for 2000 users per day", 2000, "daily"),
        ("app with 50k daily active users", 50000, "daily"),
        ("10k monthly users", 10000, "total"),
        ("a 10-person marketing team", 10, None),
        ("for a 12-lawyer team", 12, None),
        ("legal team of 30", 30, None),
        ("team of twelve", 12, None),
        ("5 000 employees", 5000, None),
        ("800 simultaneous chats", 800, "concurrent"),
        ("support bot for 5k shoppers, keep it cheap", 5000, None),
        ("1,000 users online at once", 1000, "concurrent"),
        ("Chatbot. Users: 2500. TTFT: 250ms.", 2500, None),
        ("our 40,000-student university", 40000, None),
        ("chatbot for a 300-employee company", 300, None),
        # the count after the people it counts
        ("code gen for our devs (about 1k), cost efficient", 1000, None),
        ("QA for field technicians (~700 of them), answers within 2 s", 700, None),
        ("assistant for our engineers, 250 of them", 250, None),
        # people nouns outside the list, by their agent-noun ending after "for"/"used by"
        ("summaries for 200 investors; under $3,000 a month", 200, None),
        ("a coding agent used by 40 economists", 40, None),
        ("two hundred and fifty engineers", 250, None),
        # chat shorthand and more group words
        ("our research group (~45 ppl) wants to chat", 45, None),
        ("Discord bot for our gaming clan of 250", 250, None),
    ],
)
def test_users(rules: RuleExtractor, text: str, users: int, kind: str | None) -> None:
    draft = rules.read(text)
    assert draft.users == users
    assert draft.user_kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "translate into 8 languages",
        "we have 4 H100s",
        "50-page filings",
        "2 million case documents",
        "a cache for 20 servers",
        "chatbot (about 2 s per answer)",
        "budget $600 per month",
        "TTFT under 200 ms",
        "Llama 3.1 70B",
    ],
)
def test_no_users_from_other_numbers(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).users is None


@pytest.mark.parametrize(
    ("text", "rps", "peak"),
    [
        ("60 requests per second", 60, False),
        ("40 QPS peak", 40, True),
        ("30 req/s at peak", 30, True),
        ("500 requests per hour", 500 / 3600, False),
        ("200 requests per minute", 200 / 60, False),
        ("150 requests/minute", 2.5, False),
        ("500k invoices per day", 500_000 / 86_400, False),
        ("1.2 million requests per day", 1.2e6 / 86_400, False),
        ("3 per second", 3, False),
        ("250k scanned forms per week", 250_000 / (7 * 86_400), False),
        ("300k documents daily", 300_000 / 86_400, False),
        ("tag 1M product reviews every night", 1e6 / 86_400, False),
        ("12 rpm", 0.2, False),
    ],
)
def test_rates(rules: RuleExtractor, text: str, rps: float, peak: bool) -> None:
    draft = rules.read(text)
    assert draft.requests_per_s == pytest.approx(rps, rel=1e-6)
    assert draft.rate_is_peak is peak


def test_average_and_peak_rates(rules: RuleExtractor) -> None:
    draft = rules.read("8 QPS average and 30 QPS at peak")
    assert draft.requests_per_s == 8
    assert not draft.rate_is_peak


def test_job_size_with_cadence_is_a_derived_rate(rules: RuleExtractor) -> None:
    draft = rules.read("Nightly job classifying 2 million support emails by topic")
    assert draft.requests_per_s == pytest.approx(2e6 / 86_400)
    assert draft.rate_derived


def test_per_user_rate_needs_users(rules: RuleExtractor) -> None:
    draft = rules.read("300 users, each sends 20 requests per user per day")
    assert draft.requests_per_s == pytest.approx(300 * 20 / 86_400)
    assert draft.rate_derived
    assert rules.read("20 requests per user per day").requests_per_s is None


def test_users_per_day_is_not_a_rate(rules: RuleExtractor) -> None:
    draft = rules.read("2000 users per day")
    assert draft.requests_per_s is None
    assert draft.users == 2000


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        ("summarize 8k-token contracts", 8000, None),
        ("(~3000 tokens in, 250 tokens out)", 3000, 250),
        (
            "Summarize call-center conversations (around 1500 tokens) into 100-token notes",
            1500,
            100,
        ),
        ("Long contract summarization, inputs of 10k tokens, output 800 tokens", 10000, 800),
        ("Product description writer producing ~700 token texts", None, 700),
        ("Summaries of 50-page regulatory filings (about 20k tokens each)", 20000, None),
        ("Condense long research papers (30k tokens) into abstracts", 30000, None),
        ("120k token inputs, 2k token summaries", 120_000, 2000),
        ("2,500 discharge summaries per day, each about 3,000 tokens", 3000, None),
        ("write 500-word blog posts", None, 500 * 4 / 3),
        ("summarize a 10-page report into a one-page brief", 10 * 500 * 4 / 3, 500 * 4 / 3),
        ("prompts between 2k and 4k tokens", 3000, None),
        ("prompts average 3,000 tokens and responses 300 tokens", 3000, 300),
        # a parenthesised length before a transformation is the input; tokens beat pages
        ("summarize ~5 page docs (approx 3k tokens) -> 250 token summary", 3000, 250),
        ("Summarise discharge notes (around 1,200 tokens) into 150-token summaries", 1200, 150),
        ("summarize news (~1.2k tokens each) into 3 bullet points", 1200, None),
        # "30k+" and a plural noun whose singular is a cue ("histories" -> "history")
        ("Summaries of long patient histories (often 30k+ tokens)", 30000, None),
    ],
)
def test_lengths(
    rules: RuleExtractor, text: str, prompt: float | None, output: float | None
) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens == (pytest.approx(prompt) if prompt else None)
    assert draft.output_tokens == (pytest.approx(output) if output else None)


def test_tokens_per_second_is_not_a_length(rules: RuleExtractor) -> None:
    draft = rules.read("chatbot streaming at least 20 tokens/s per user")
    assert draft.prompt_tokens is None and draft.output_tokens is None
    (target,) = draft.targets
    assert (target.metric, target.value_ms, target.derived) == ("itl_ms", 50, True)


@pytest.mark.parametrize(
    ("text", "metric", "pct", "ms"),
    [
        ("TTFT under 200 ms", "ttft_ms", None, 200),
        ("time to first token must be below 150ms", "ttft_ms", None, 150),
        ("p95 end-to-end within 5 s", "e2e_ms", "p95", 5000),
        ("inter-token latency below 30 ms", "itl_ms", None, 30),
        ("TTFT p90 under 400 ms", "ttft_ms", "p90", 400),
        ("99th percentile time to first token under 800 ms", "ttft_ms", "p99", 800),
        ("median TTFT of 250ms", "ttft_ms", "p50", 250),
        ("answers under 2 seconds end to end", "e2e_ms", None, 2000),
        ("answers within 3 seconds", "e2e_ms", None, 3000),
        ("ITL < 50ms", "itl_ms", None, 50),
        ("first token in half a second", "ttft_ms", None, 500),
        ("99.9% of requests under 2 s end-to-end", "e2e_ms", "p99", 2000),
        # a share of anything counted is a percentile, and bounds it even with no latency word
        ("95% of requests under 80ms", "ttft_ms", "p95", 80),
        ("99% of requests within 2 s", "e2e_ms", "p99", 2000),
        ("90 percent of answers in under 3 seconds", "e2e_ms", "p90", 3000),
        ("TTFT below 300 ms in 95 % of cases", "ttft_ms", "p95", 300),
    ],
)
def test_targets(rules: RuleExtractor, text: str, metric: str, pct: str | None, ms: float) -> None:
    (target,) = rules.read("chatbot, " + text).targets
    assert (target.metric, target.percentile, target.value_ms) == (metric, pct, ms)


def test_percentile_continues_the_previous_metric(rules: RuleExtractor) -> None:
    targets = rules.read("median time to first token under 250 ms; p99 under 1 s").targets
    assert [(t.metric, t.percentile, t.value_ms) for t in targets] == [
        ("ttft_ms", "p50", 250),
        ("ttft_ms", "p99", 1000),
    ]


def test_generic_latency_depends_on_streaming(rules: RuleExtractor) -> None:
    chat = rules.read("chatbot, latency under 400 ms").targets[0]
    completion = rules.read("code completion in the IDE, latency under 400 ms").targets[0]
    assert chat.metric == "ttft_ms"  # streaming template: the first token is what users see
    assert completion.metric == "e2e_ms"  # completions are shown whole


@pytest.mark.parametrize(
    ("text", "monthly", "hourly", "per_m"),
    [
        ("budget $8000 per month", 8000, None, None),
        ("at most $3 an hour", None, 3, None),
        ("20k dollars a month", 20000, None, None),
        ("$0.50 per million tokens", None, None, 0.5),
        ("budget 600 dollars monthly", 600, None, None),
        ("$10k monthly budget", 10000, None, None),
        ("hourly budget of $12", None, 12, None),
        ("under $1,500/month", 1500, None, None),
        ("$120k per year", 10000, None, None),
        ("at most 20 thousand dollars per month", 20000, None, None),
        ("budget is 2500 USD per month", 2500, None, None),
        ("$0.002 per 1k tokens", None, None, 2),
        ("$5k/mo", 5000, None, None),
    ],
)
def test_budgets(
    rules: RuleExtractor,
    text: str,
    monthly: float | None,
    hourly: float | None,
    per_m: float | None,
) -> None:
    draft = rules.read(text)
    assert draft.budget_monthly_usd == (pytest.approx(monthly) if monthly else None)
    assert draft.budget_hourly_usd == (pytest.approx(hourly) if hourly else None)
    assert draft.budget_per_million_tokens_usd == (pytest.approx(per_m) if per_m else None)


def test_budget_without_period_is_flagged(rules: RuleExtractor) -> None:
    draft = rules.read("budget of $5,000")
    assert draft.budget_monthly_usd == 5000
    assert any("had no period" in n for n in draft.notes)


def test_daily_budget_becomes_monthly(rules: RuleExtractor) -> None:
    assert rules.read("$100 a day").budget_monthly_usd == pytest.approx(100 * 365.25 / 12)


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("keep it cheap", Priority.COST),
        ("accuracy matters more than speed", Priority.QUALITY),
        ("balanced between cost and speed", Priority.BALANCED),
        ("response time is critical", Priority.LATENCY),
        ("we can tolerate higher latency for better code quality", Priority.QUALITY),
        ("throughput is what matters", Priority.THROUGHPUT),
        ("cost is the main concern", Priority.COST),
        ("latency is not a big concern but quality is", Priority.QUALITY),
        ("cost over latency", Priority.COST),
        ("actually latency matters more", Priority.LATENCY),
        ("low-latency chatbot", Priority.LATENCY),
        ("money is no object, we want the best answers", Priority.QUALITY),
        # "<aspect> is king / non-negotiable"
        ("chatbot, 3000 users, speed is king", Priority.LATENCY),
        ("accuracy is non-negotiable", Priority.QUALITY),
        # modal requirements on an aspect
        ("response latency must be low", Priority.LATENCY),
        ("costs should stay low", Priority.COST),
        # "<aspect>-oriented / -first / -focused"
        ("blog post generator, throughput-oriented", Priority.THROUGHPUT),
        ("a cost-focused setup", Priority.COST),
        ("latency-first design", Priority.LATENCY),
        # money said plainly
        ("we don't have a lot of money, maybe 500 dollars a month", Priority.COST),
        ("small startup on a budget", Priority.COST),
        # "we care about <aspect>", a softened relaxation, and ">" as a comparison
        (
            "Money isn't really an issue; we care about answer quality.",
            Priority.QUALITY,
        ),
        ("draft replies, quality > speed", Priority.QUALITY),
        ("we care most about latency", Priority.LATENCY),
    ],
)
def test_priority(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize("text", ["a chatbot for 300 users", "budget $5k per month"])
def test_no_priority_when_unsaid(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("support bot for 5k shoppers", UseCase.CUSTOMER_SERVICE),
        ("IDE autocomplete for 300 engineers", UseCase.CODE_COMPLETION),
        ("summarize 8k-token contracts for 50 lawyers", UseCase.LONG_DOCUMENT_SUMMARIZATION),
        ("Summarize internal reports of ~2000 tokens", UseCase.SUMMARIZATION),
        ("Chat with PDFs for 2000 students", UseCase.RAG_QA),
        ("Translate customer emails between Spanish and English", UseCase.TRANSLATION),
        ("Offline pipeline to tag 1M product reviews every night", UseCase.BATCH_PROCESSING),
        ("Blog and newsletter drafting tool", UseCase.CONTENT_GENERATION),
        ("Generate SQL and Python snippets from natural language", UseCase.CODE_GENERATION),
        ("General purpose chat assistant", UseCase.CHATBOT),
        # "questions about <topic>" is the topic; a bot for customers is customer service
        (
            "an AI agent that answers customer questions about billing",
            UseCase.CUSTOMER_SERVICE,
        ),
        ("Chatbot for customers of our telco", UseCase.CUSTOMER_SERVICE),
        ("answers questions from our wiki", UseCase.RAG_QA),
        ("chat w/ our docs", UseCase.RAG_QA),
        # rewriting verbs and "job ads" are writing, not a batch job
        ("LLM for rewriting job ads", UseCase.CONTENT_GENERATION),
        ("Draft replies to customer reviews on our app store page", UseCase.CONTENT_GENERATION),
    ],
)
def test_use_case(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    draft = rules.read(text)
    assert draft.use_case == use_case
    assert 0 < draft.use_case_confidence <= 1
    assert draft.evidence["use_case"].text


def test_no_use_case_cue_leaves_it_unset(rules: RuleExtractor) -> None:
    assert rules.read("we need something for 300 people").use_case is None


def test_typos_are_read(rules: RuleExtractor) -> None:
    draft = rules.read("custmer suport chatbot for 3k usres with low latancy")
    assert draft.use_case == UseCase.CUSTOMER_SERVICE
    assert draft.users == 3000
    assert draft.priority == Priority.LATENCY
    assert any("custmer" in n for n in draft.notes)


def test_subject_matter_and_languages(rules: RuleExtractor) -> None:
    draft = rules.read("Translate discharge notes for patients from Spanish into English")
    assert draft.subject_matter == "healthcare"
    assert draft.languages == ("spanish", "english")


def test_unknown_answer_and_clears(rules: RuleExtractor) -> None:
    assert rules.read("I don't know").unknown_answer
    assert rules.read("no idea, sorry").unknown_answer
    assert not rules.read("we know exactly: 300 users").unknown_answer
    assert rules.read("drop the budget").clears == ("budget",)
    assert rules.read("any GPU is fine").clears == ("gpus",)


def test_vendor_words_exclude_gpus(rules: RuleExtractor) -> None:
    no_amd = rules.read("chatbot on A100 or H200, no AMD")
    assert {g.name for g in no_amd.gpus if g.excluded} == {"MI300X"}
    nvidia_only = rules.read("chatbot, NVIDIA only")
    assert {g.name for g in nvidia_only.gpus if g.excluded} == {"MI300X"}
    assert not [g for g in nvidia_only.gpus if not g.excluded]
