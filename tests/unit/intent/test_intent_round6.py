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
