"""Drafts become intents: template defaults, origins, bounds, assumed load, contract JSON."""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import DeploymentIntent, Priority, UseCase
from predeploy.core.types.intent import MAX_USERS
from predeploy.intent.build import ASSUMED_USERS, build_intent
from predeploy.intent.draft import GpuMention, IntentDraft
from predeploy.intent.extractor import USE_CASE_QUESTION, understand
from predeploy.intent.names import NameIndex
from predeploy.intent.rules import RuleExtractor

CONTRACT_KEYS = {
    "use_case",
    "users",
    "qps",
    "priority",
    "prompt_tokens",
    "output_tokens",
    "slo",
    "budget",
    "gpus",
    "models",
    "stated",
}


def test_contract_json_has_every_key(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    intent = understand("support bot for 5k shoppers, keep it cheap", rules, catalog).intent
    data = intent.model_dump(mode="json")
    assert set(data) >= CONTRACT_KEYS
    assert set(data["slo"]) >= {"ttft_ms", "itl_ms", "e2e_ms"}
    assert set(data["slo"]["ttft_ms"]) == {"p50", "p90", "p95", "p99"}
    assert set(data["budget"]) >= {"monthly_usd", "hourly_usd"}
    assert data["prompt_tokens"] == 1000 and data["output_tokens"] == 200  # template means
    assert data["stated"] == ["priority", "use_case", "users"]
    assert DeploymentIntent.model_validate(data) == intent


def test_origins(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    intent = understand(
        "IDE autocomplete for 300 engineers, first token under 100 ms", rules, catalog
    ).intent
    src = intent.sources
    assert src["users"].origin == "stated" and "300 engineers" in (src["users"].evidence or "")
    assert src["prompt_tokens"].origin == "default"
    assert src["priority"].origin == "default"
    assert intent.priority == Priority.LATENCY  # the code-completion template's default
    assert src["slo.ttft_ms.p95"].origin == "stated"
    assert src["slo.ttft_ms.p50"].origin in {"default", "derived"}
    assert src["slo.e2e_ms.p99"].origin in {"default", "derived"}


def test_missing_load_is_assumed_and_questioned(
    rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    result = understand("a customer support bot for our shop", rules, catalog)
    assert result.intent.users == ASSUMED_USERS
    assert result.intent.sources["users"].origin == "assumed"
    assert "users" not in result.intent.model_dump(mode="json")["stated"]
    assert result.question is not None and "how many" in result.question.lower()


def test_missing_use_case_asks_that_first(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    result = understand("hello", rules, catalog)
    assert result.question == USE_CASE_QUESTION
    assert result.intent.sources["use_case"].origin == "assumed"


def test_batch_without_volume_assumes_a_rate(
    rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    intent = understand("offline batch tagging of reviews", rules, catalog).intent
    assert intent.use_case == UseCase.BATCH_PROCESSING
    assert intent.users is None and intent.qps == 1.0
    assert intent.sources["qps"].origin == "assumed"


def test_peak_rate_is_the_design_rate(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    intent = understand("RAG assistant, 40 QPS peak", rules, catalog).intent
    assert intent.qps == 40 and intent.peak_qps == 40
    assert any("peak" in a for a in intent.assumptions)


@pytest.mark.parametrize(
    ("draft", "word"),
    [
        (IntentDraft(users=5e12), "users"),
        (IntentDraft(requests_per_s=5e9), "request rate"),
        (IntentDraft(prompt_tokens=5e8), "prompt_tokens"),
        (IntentDraft(budget_monthly_usd=1e15), "budget monthly_usd"),
        (IntentDraft(users=0.1), "users"),
    ],
)
def test_out_of_bounds_values_are_dropped_with_a_note(
    catalog: InMemoryCatalog, draft: IntentDraft, word: str
) -> None:
    built = build_intent(
        draft.model_copy(update={"use_case": UseCase.CHATBOT}), catalog, NameIndex(catalog)
    )
    note = next(n for n in built.intent.assumptions if n.startswith("ignored"))
    assert word in note and "accepted range" in note


def test_users_at_the_limit_are_kept(catalog: InMemoryCatalog) -> None:
    built = build_intent(
        IntentDraft(use_case=UseCase.CHATBOT, users=MAX_USERS), catalog, NameIndex(catalog)
    )
    assert built.intent.users == MAX_USERS


def test_unknown_gpu_from_a_draft_is_dropped_with_suggestions(catalog: InMemoryCatalog) -> None:
    draft = IntentDraft(use_case=UseCase.CHATBOT, users=10, gpus=(GpuMention(name="H10O"),))
    built = build_intent(draft, catalog, NameIndex(catalog))
    assert built.intent.gpus == []
    assert any("unknown GPU 'H10O'" in n for n in built.notes)


def test_template_missing_is_reported() -> None:
    empty = InMemoryCatalog()
    built = build_intent(IntentDraft(use_case=UseCase.CHATBOT, users=5), empty, NameIndex(empty))
    assert built.intent.prompt_tokens is None
    assert any("no SLO template" in n for n in built.notes)
