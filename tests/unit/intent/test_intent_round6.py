"""Phrasing families found by blind round 6 (batches 6a, 6b, 6c), one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading.
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.rules import RuleExtractor

# --- 6a ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # a chat widget on a site is a general chat; a support/help widget is customer service
        ("chat widget on our landing page, 30 rps", UseCase.CHATBOT),
        ("gpt-oss for the support widget", UseCase.CUSTOMER_SERVICE),
        ("help widget for our shoppers", UseCase.CUSTOMER_SERVICE),
        # "chat with <adjective> PDFs / documents" is retrieval
        ("chat with lecture PDFs for 300 students", UseCase.RAG_QA),
        ("chat with internal policy documents", UseCase.RAG_QA),
        ("Chat with PDFs for 2000 students", UseCase.RAG_QA),
        # a coach giving feedback on the learner's work is a tutor, not a writer
        ("interview coach for 500 job seekers", UseCase.CHATBOT),
        ("coding coach that gives feedback on students' solutions", UseCase.CHATBOT),
        ("writing coach for 200 students that gives feedback on essays", UseCase.CHATBOT),
        # the near miss: writing the essays is content generation
        ("essay writing tool for 40 copywriters", UseCase.CONTENT_GENERATION),
    ],
)
def test_use_case_families_6a(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    "text",
    [
        "fast-responding assistant for 2k users",
        "a quick-answering helpdesk bot",
        "rapid-response chatbot for our players",
    ],
)
def test_hyphenated_speed_adjectives_are_latency(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority == Priority.LATENCY


# --- 6b ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # a reduction of a source into something shorter is a summary
        ("compress support threads into 3-bullet recaps", UseCase.SUMMARIZATION),
        ("shorten product reviews into one-line takeaways", UseCase.SUMMARIZATION),
        ("boil down call transcripts into action items", UseCase.SUMMARIZATION),
        ("executive briefs from quarterly board packs", UseCase.SUMMARIZATION),
        ("a synopsis of each research grant application", UseCase.SUMMARIZATION),
        # near misses: writing headlines or briefs from nothing is content generation
        ("editors need headline and standfirst suggestions", UseCase.CONTENT_GENERATION),
        ("draft creative briefs for our agency", UseCase.CONTENT_GENERATION),
        # "ask-your-<source>" tools are retrieval
        ("an ask-your-documents tool for 600 staff", UseCase.RAG_QA),
        ("ask-the-wiki bot for engineers", UseCase.RAG_QA),
    ],
)
def test_use_case_families_6b(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    "text",
    ["prioritize throughput", "we are prioritising throughput", "optimize for throughput"],
)
def test_prioritize_throughput(rules: RuleExtractor, text: str) -> None:
    assert rules.read(f"batch translation of manuals; {text}").priority == Priority.THROUGHPUT


def test_reduction_into_shorter_outputs_reads_both_lengths(rules: RuleExtractor) -> None:
    draft = rules.read("compress ~1,100-token press articles into 40-token headlines, 8 rps")
    assert draft.use_case == UseCase.SUMMARIZATION
    assert draft.prompt_tokens == 1100
    assert draft.output_tokens == 40


# --- 6c ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # "the gist / précis of X" asks for a summary
        ("the gist of each support thread for 12 team leads", UseCase.SUMMARIZATION),
        ("a precis of every board paper", UseCase.SUMMARIZATION),
        # "<source> chat" is retrieval over that source
        ("document chat for 300 paralegals", UseCase.RAG_QA),
        ("PDF chatbot for the sales team", UseCase.RAG_QA),
        ("knowledge-base chat for field engineers", UseCase.RAG_QA),
        # the kind of message names what is written, even when a rate counts the messages
        ("personalized sales emails, 30 emails a minute", UseCase.CONTENT_GENERATION),
        ("cold outreach messages for 20 SDRs", UseCase.CONTENT_GENERATION),
        # near miss: a pile of emails to sort stays a batch job
        ("classify 50k support emails per day", UseCase.BATCH_PROCESSING),
    ],
)
def test_use_case_families_6c(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    "text",
    [
        "lowest price possible",
        "the lowest possible cost",
        "least expensive option",
        "spend as low as possible",
    ],
)
def test_lowest_price_is_cost(rules: RuleExtractor, text: str) -> None:
    assert rules.read(f"chatbot for 200 users, {text}").priority == Priority.COST


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("handbook Q&A for 1,000 new hires", 1000),
        ("onboarding bot for 250 recruits", 250),
        ("orientation assistant for 1,500 freshmen", 1500),
        ("tutor for 300 women in tech", 300),
    ],
)
def test_more_people_nouns(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


def test_a_failed_match_never_reads_part_of_a_number(rules: RuleExtractor) -> None:
    """ "for 1,000 <unknown noun>," must not fall back to "for 1" before ",000"."""
    assert rules.read("wiki Q&A for 1,000 widgets, fast").users is None
    assert rules.read("wiki Q&A for 1,000, fast").users == 1000
    assert rules.read("answers in 2.5 s for 40 analysts").users == 40


# --- 6d ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        # software artifacts and frameworks name code generation
        ("generate Vue components from Figma mocks for 40 developers", UseCase.CODE_GENERATION),
        (
            "an assistant that writes ETL pipelines in Spark for 20 engineers",
            UseCase.CODE_GENERATION,
        ),
        ("scaffold REST endpoints and Dockerfiles for our platform team", UseCase.CODE_GENERATION),
        # near miss: an ETL job that processes records stays a batch job
        ("nightly ETL pipeline that tags 2M records", UseCase.BATCH_PROCESSING),
        # querying a body of documents is retrieval
        ("let 300 lawyers query our case archive", UseCase.RAG_QA),
        ("search the engineering library for answers, 20 rps", UseCase.RAG_QA),
        # turning a source into a short form is a summary; into code or a language is not
        ("turn 4k-token call transcripts into 200-token action items", UseCase.SUMMARIZATION),
        ("convert board minutes into bullet points", UseCase.SUMMARIZATION),
        ("turn English descriptions into SQL for analysts", UseCase.CODE_GENERATION),
        ("turn our English manuals into German", UseCase.TRANSLATION),
        # helplines and hotlines are customer service
        ("customer helpline bot in 4 languages for 14k users", UseCase.CUSTOMER_SERVICE),
        ("24/7 hotline assistant for a utility company", UseCase.CUSTOMER_SERVICE),
    ],
)
def test_use_case_families_6d(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("super-responsive chatbot for gamers", Priority.LATENCY),
        ("an ultra-snappy autocomplete", Priority.LATENCY),
        ("getting the answers right matters most", Priority.QUALITY),
        ("it has to get the facts right", Priority.QUALITY),
    ],
)
def test_priority_families_6d(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


# --- 6e ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("pair-programming assistant for 300 engineers", UseCase.CODE_GENERATION),
        ("let employees chat with their benefits handbook", UseCase.RAG_QA),
        ("chat with my lecture slides", UseCase.RAG_QA),
        ("help-center bot over our product docs", UseCase.RAG_QA),
        # customer <noun> questions are customer service, even in a "chatbot"
        ("chatbot answering customer billing questions for a utility", UseCase.CUSTOMER_SERVICE),
        ("assistant for client account inquiries at a bank", UseCase.CUSTOMER_SERVICE),
    ],
)
def test_use_case_families_6e(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("we'd rather wait longer for better suggestions", Priority.QUALITY),
        ("happy to wait a bit longer if the code is right", Priority.QUALITY),
        ("correct explanations are non-negotiable", Priority.QUALITY),
        ("accurate answers are what matters", Priority.QUALITY),
        ("aggregate tokens per second across the cluster is what we optimize", Priority.THROUGHPUT),
        ("total throughput is key", Priority.THROUGHPUT),
    ],
)
def test_priority_families_6e(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(f"coding assistant for 80 devs; {text}").priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "token-level latency of 20 ms or less",
        "time between tokens under 20 ms",
        "token gaps below 20 ms",
    ],
)
def test_token_level_latency_is_itl(rules: RuleExtractor, text: str) -> None:
    targets = rules.read(f"chat assistant, {text}").targets
    assert [(t.metric, t.value_ms) for t in targets] == [("itl_ms", 20.0)]


@pytest.mark.parametrize(
    ("text", "prompt", "output"),
    [
        # the head of a compound noun is its last word
        ("support emails (~700 tokens) summarized into 80-token ticket notes", 700, 80),
        ("summarize 3k-token call transcripts into 120-token case notes", 3000, 120),
        # a role word keeps its role; a preposition is no head
        ("summaries of 2k-token input documents, 200 tokens out", 2000, 200),
        ("summarize a 10-page report into a 300-token brief", 6666.667, 300),
    ],
)
def test_compound_noun_heads_decide_length_roles(
    rules: RuleExtractor, text: str, prompt: float, output: float
) -> None:
    draft = rules.read(text)
    assert draft.prompt_tokens == pytest.approx(prompt, rel=1e-3)
    assert draft.output_tokens == pytest.approx(output, rel=1e-3)


@pytest.mark.parametrize(
    ("text", "users"),
    [
        ("let students chat with their textbooks: 10,000 of them", 10000),
        ("chemistry tutor for 2,000 undergraduates", 2000),
        ("our nurses use it, about 900 of them", 900),
    ],
)
def test_people_counted_after_their_noun(rules: RuleExtractor, text: str, users: int) -> None:
    assert rules.read(text).users == users


def test_of_them_without_people_is_no_user_count(rules: RuleExtractor) -> None:
    assert rules.read("tag our invoices, 10,000 of them, overnight").users is None


# --- 6g ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("we'd rather be right than fast", Priority.QUALITY),
        ("better to be correct than quick", Priority.QUALITY),
        ("fast rather than accurate", Priority.LATENCY),
        ("lag is unacceptable", Priority.LATENCY),
        ("delays are not an option for our players", Priority.LATENCY),
        ("spend as little as possible", Priority.COST),
        ("we want maximum tokens per GPU-hour", Priority.THROUGHPUT),
    ],
)
def test_priority_families_6g(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(f"assistant for 300 staff; {text}").priority == priority


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("each weekend we re-score 12M search queries for relevance", UseCase.BATCH_PROCESSING),
        ("re-rank 5M product listings every sunday", UseCase.BATCH_PROCESSING),
        ("re-tag the whole photo archive captions", UseCase.BATCH_PROCESSING),
    ],
)
def test_reprocessing_jobs_are_batch(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


def test_people_plurals_are_not_repaired_into_other_words(rules: RuleExtractor) -> None:
    draft = rules.read("summaries of 150k-token impact statements for 9 regulators")
    assert draft.users == 9
    assert not draft.notes


def test_a_stated_request_rate_beats_a_job_cadence(rules: RuleExtractor) -> None:
    draft = rules.read("translate 3M support macros overnight, 60 requests per second")
    assert draft.requests_per_s == 60
    # "maximum" about something else does not make the rate a peak
    draft = rules.read("60 requests per second, we want maximum tokens per GPU-hour")
    assert draft.requests_per_s == 60
    assert draft.rate_is_peak is False


def test_max_next_to_a_rate_is_a_peak(rules: RuleExtractor) -> None:
    assert rules.read("chatbot, 60 rps max").rate_is_peak is True
    assert rules.read("chatbot, max 60 rps").rate_is_peak is True


def test_ms_between_streamed_tokens_is_itl(rules: RuleExtractor) -> None:
    draft = rules.read("chat app: tokens should stream with no more than 40 ms between them")
    assert [(t.metric, t.value_ms) for t in draft.targets] == [("itl_ms", 40.0)]


def test_recaps_are_outputs(rules: RuleExtractor) -> None:
    draft = rules.read("meeting transcripts of ~2,500 tokens boiled down to 120-token recaps")
    assert (draft.prompt_tokens, draft.output_tokens) == (2500, 120)
