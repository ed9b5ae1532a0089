"""Mechanisms found by blind round 10, one test per family.

Each family is checked on wordings other than the blind requests that revealed it, with the
near misses that must keep their old reading (``None``: the text states no priority).
"""

from __future__ import annotations

import pytest

from predeploy.core.types import Priority, UseCase
from predeploy.intent.priority_consequences import find_consequences
from predeploy.intent.rules import RuleExtractor

P = Priority

# --- priority: consequences, conditions and verdicts ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        # an impatience outcome names latency by itself
        ("answers must stream or shoppers bounce", P.LATENCY),
        ("a voice bot for the clinic; otherwise callers just hang up", P.LATENCY),
        ("if the game master stalls, immersion is ruined", P.LATENCY),
        ("a subtitle assistant; viewers tune out when the captions lag", P.LATENCY),
        # a generic outcome takes the aspect of its clause, or of the clause before it
        ("conversations need to flow without long pauses, otherwise users churn", P.LATENCY),
        ("if the numbers are wrong, users stop using it", P.QUALITY),
        ("if the bill creeps up, the client will leave", P.COST),
        ("slow answers are fine, but wrong ones cost us customers", P.QUALITY),
        # harm names quality by itself; a failure judged worthless names its aspect
        ("a made-up citation gets us sued", P.QUALITY),
        ("a quote that comes too late is useless to a trader", P.LATENCY),
    ],
)
def test_consequence_states_priority(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        # an outcome with no aspect around it states nothing
        "users churn less when onboarding is guided",
        "summarize why customers leave, from the exit surveys",
        "a bot that explains why players quit the tutorial",
    ],
)
def test_consequence_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None
    assert find_consequences(text) == []


# --- priority: a refused failure alone --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("a tutor for kids; it can't be sluggish", P.LATENCY),
        ("an internal bot that mustn't get pricey", P.COST),
        ("drafts for the legal team that must not be sloppy", P.QUALITY),
        # beside another aspect's cue it stays a floor (round 9)
        ("keep it cheap, but it can't be slow", P.BALANCED),
        ("cheapest possible, but it can't be slow", P.COST),
    ],
)
def test_refused_failure_alone(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


def test_failure_not_refused_states_nothing(rules: RuleExtractor) -> None:
    assert rules.read("the old system was sluggish, we are replacing it").priority is None


# --- priority: comparisons of phrases and of avoided failures ---------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("staying under the monthly budget matters more than shaving a few milliseconds", P.COST),
        ("answers within a second count more than a small bill", P.LATENCY),
        ("thoroughness matters more than turnaround time", P.QUALITY),
        ("we'd sooner wait an extra second than show wrong prices", P.QUALITY),
        ("happy to spend more to avoid laggy replies", P.LATENCY),
        ("we'd rather pay a little more than keep clients waiting", P.LATENCY),
        ("we'd rather be right than fast", P.QUALITY),
    ],
)
def test_comparisons(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "the summary matters more than the title",
        "agents answer chats rather than emails, the bot drafts the replies",
    ],
)
def test_comparison_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None


# --- priority: volume per GPU, spend watchers, relaxations -------------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("push as many documents through each card as we can", P.THROUGHPUT),
        ("squeeze every last token out of our GPUs", P.THROUGHPUT),
        ("our CFO scrutinizes every cloud invoice", P.COST),
        ("finance will kill it if the GPU bill grows", P.COST),
        ("finance watches every line item", P.COST),
        ("we'd accept slightly slower answers if it keeps the bill in check", P.COST),
        ("no lag is acceptable for the live captions", P.LATENCY),
    ],
)
def test_volume_spend_and_relaxations(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "a finance team of 40 needs summaries of board reports",
        "a few seconds of delay is acceptable for the report bot",
        "each GPU has as much memory as an H100",
    ],
)
def test_volume_spend_and_relaxation_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None


# --- use case: service topics and clinical sources ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        ("handles check-in and upgrade questions for hotel guests", UseCase.CUSTOMER_SERVICE),
        ("answers rebooking and luggage questions for travellers", UseCase.CUSTOMER_SERVICE),
        ("nurses look up dosing from our clinical protocols", UseCase.RAG_QA),
        ("pharmacists check interactions against the formulary", UseCase.RAG_QA),
        # near misses: a summary of the source stays a summary
        ("summarize our clinical protocols into one-page briefs", UseCase.SUMMARIZATION),
    ],
)
def test_use_case_topics_and_sources(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


# --- use case: nobody waits outranks the kind of text -----------------------------------------


@pytest.mark.parametrize(
    ("text", "use_case"),
    [
        (
            "Generate 30k product descriptions in a weekend job; nobody is waiting on them.",
            UseCase.BATCH_PROCESSING,
        ),
        (
            "write ad copy variants for 2M SKUs - no human waits for the results",
            UseCase.BATCH_PROCESSING,
        ),
        (
            "generate unit tests for the monorepo; nobody reads them until Monday",
            UseCase.BATCH_PROCESSING,
        ),
        # near misses: people do wait, or nobody-waits is not said
        ("a blog drafting tool; nobody wants to wait for drafts", UseCase.CONTENT_GENERATION),
        (
            "product description writer for 5 copywriters who review drafts live",
            UseCase.CONTENT_GENERATION,
        ),
    ],
)
def test_nobody_waits_outranks_content(rules: RuleExtractor, text: str, use_case: UseCase) -> None:
    assert rules.read(text).use_case == use_case


# --- priority: refused failure nouns, lost sales, compliance -----------------------------------


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("answers can take a while; what we can't have is made-up facts", P.QUALITY),
        ("we won't tolerate lag in the live captions", P.LATENCY),
        ("we cannot risk surprise bills", P.COST),
        ("a late answer is a lost sale", P.LATENCY),
        ("wrong answers here mean a compliance breach", P.QUALITY),
    ],
)
def test_refused_nouns_and_losses(rules: RuleExtractor, text: str, priority: Priority) -> None:
    assert rules.read(text).priority == priority


@pytest.mark.parametrize(
    "text",
    [
        "summarize lost sales reports for the regional managers",
        "a report on why delays happen in our shipping, for 20 planners",
        "we can't have the same model for both teams",
    ],
)
def test_refused_noun_near_misses(rules: RuleExtractor, text: str) -> None:
    assert rules.read(text).priority is None
