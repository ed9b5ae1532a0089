"""Field-by-field edits: validated, with errors naming the field."""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.errors import InputError
from predeploy.core.types import DeploymentIntent, Priority, UseCase
from predeploy.intent.edit import edit_intent, editable_paths
from predeploy.intent.extractor import understand
from predeploy.intent.rules import RuleExtractor


@pytest.fixture
def intent(rules: RuleExtractor, catalog: InMemoryCatalog) -> DeploymentIntent:
    return understand("chatbot for 500 users", rules, catalog).intent


def test_edit_percentile_rescales_unstated_ones(intent: DeploymentIntent) -> None:
    edited = edit_intent(intent, "slo.ttft_ms.p90", "250")
    ttft = edited.slo.ttft_ms
    assert ttft.p90 == 250
    assert ttft.p50 is not None and ttft.p99 is not None
    assert ttft.p50 <= 250 <= ttft.p99
    assert edited.sources["slo.ttft_ms.p90"].origin == "stated"
    assert "slo.ttft_ms.p90" in edited.model_dump(mode="json")["stated"]


def test_edit_conflicting_with_a_stated_percentile_fails(intent: DeploymentIntent) -> None:
    edited = edit_intent(intent, "slo.ttft_ms.p99", "400")
    with pytest.raises(
        InputError,
        match=r"slo\.ttft_ms\.p90 = 500 conflicts with the stated "
        r"slo\.ttft_ms\.p99",
    ):
        edit_intent(edited, "slo.ttft_ms.p90", "500")


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        ("users", "2k", lambda i: i.users == 2000),
        ("qps", "12.5", lambda i: i.qps == 12.5),
        ("priority", "cost", lambda i: i.priority == Priority.COST),
        ("use_case", "translation", lambda i: i.use_case == UseCase.TRANSLATION),
        ("budget.monthly_usd", "$5000", lambda i: i.budget.monthly_usd == 5000),
        ("budget.monthly_usd", "none", lambda i: i.budget.monthly_usd is None),
        ("slo.e2e_ms.p95", "7 s", lambda i: i.slo.e2e_ms.p95 == 7000),
        ("models_required", "yes", lambda i: i.constraints.models_required),
        ("user_kind", "concurrent", lambda i: i.user_kind == "concurrent"),
    ],
)
def test_valid_edits(intent: DeploymentIntent, path: str, value: str, check) -> None:  # type: ignore[no-untyped-def]
    assert check(edit_intent(intent, path, value))


def test_name_edits_go_through_the_catalog(
    intent: DeploymentIntent, catalog: InMemoryCatalog
) -> None:
    edited = edit_intent(intent, "gpus", "4x H200, L4", catalog)
    assert [(g.gpu, g.count) for g in edited.constraints.gpus] == [("H200", 4), ("L4", None)]
    edited = edit_intent(edited, "models", "Llama 3.1 8B", catalog)
    assert edited.models == ["meta-llama/Llama-3.1-8B-Instruct"]
    with pytest.raises(InputError, match="gpus: unknown GPU 'V100'"):
        edit_intent(intent, "gpus", "V100", catalog)
    with pytest.raises(InputError, match="need the catalog"):
        edit_intent(intent, "gpus", "L4")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("users", "-5", "users = '-5' is invalid: users: Input should be greater than 0"),
        ("users", "5000000000000", "users: Input should be less than or equal to 1000000000"),
        ("users", "lots", "users: expected a number"),
        ("priority", "speed", "priority: Input should be 'latency'"),
        ("slo.ttft_ms.p90", "0", "slo.ttft_ms.p90 = '0' is invalid"),
        ("foo.bar", "1", "unknown field 'foo.bar'; editable fields include"),
        ("slo", "3", "slo: pick one of its fields"),
        ("stated", "x", "not editable"),
        ("models_required", "maybe", "models_required: expected true or false"),
        ("slo.ttft_ms.p90", "1e309ms", "slo.ttft_ms.p90 = '1e309ms' is invalid"),
        ("description", "a\x1b[2J", "description = 'a\\x1b[2J' is invalid"),
        ("languages", "de\x07", "control character"),
    ],
)
def test_invalid_edits_name_the_field(
    intent: DeploymentIntent, path: str, value: str, message: str
) -> None:
    with pytest.raises(InputError) as info:
        edit_intent(intent, path, value)
    assert message in str(info.value)


def test_editable_paths(intent: DeploymentIntent) -> None:
    paths = editable_paths(intent)
    assert {"users", "slo.ttft_ms.p90", "budget.monthly_usd", "gpus", "priority"} <= set(paths)
    assert "sources" not in paths and "stated" not in paths
