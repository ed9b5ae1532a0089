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
