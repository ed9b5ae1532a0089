from __future__ import annotations

import pytest
from pydantic import ValidationError

from predeploy.core.errors import describe_validation_error
from predeploy.core.types import (
    DeploymentIntent,
    FieldSource,
    PercentileTargets,
    SLOTargets,
    UseCase,
)


def test_contract_keys_round_trip() -> None:
    intent = DeploymentIntent.model_validate(
        {
            "use_case": "chatbot",
            "users": 800,
            "budget": {"monthly_usd": 4000},
            "gpus": ["L40S"],
            "models": ["meta-llama/Llama-3.1-8B-Instruct"],
            "slo": {"ttft_ms": {"p90": 300}},
            "sources": {"users": {"origin": "stated", "confidence": 0.95}},
        }
    )
    dumped = intent.model_dump(mode="json")
    assert dumped["budget"]["monthly_usd"] == 4000
    assert dumped["gpus"] == ["L40S"]
    assert dumped["models"] == ["meta-llama/Llama-3.1-8B-Instruct"]
    assert dumped["stated"] == ["users"]
    assert DeploymentIntent.model_validate(dumped) == intent


def test_validation_error_names_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        DeploymentIntent.model_validate({"use_case": "chatbot", "slo": {"ttft_ms": {"p90": 0}}})
    message = describe_validation_error(info.value)
    assert "slo.ttft_ms.p90" in message


def test_unknown_key_is_rejected() -> None:
    with pytest.raises(ValidationError) as info:
        DeploymentIntent.model_validate({"use_case": "chatbot", "userz": 3})
    assert "userz" in describe_validation_error(info.value)


def test_unknown_use_case_lists_valid_ones() -> None:
    with pytest.raises(ValidationError) as info:
        DeploymentIntent.model_validate({"use_case": "poetry"})
    assert "chatbot" in str(info.value)


def test_negative_users_rejected() -> None:
    with pytest.raises(ValidationError):
        DeploymentIntent(use_case=UseCase.CHATBOT, users=-5)


def test_percentile_targets_must_not_decrease() -> None:
    with pytest.raises(ValidationError):
        PercentileTargets(p50=500, p90=200)


def test_slo_flat_targets() -> None:
    slo = SLOTargets(ttft_ms=PercentileTargets(p90=200, p99=500), itl_ms=PercentileTargets(p50=30))
    assert slo.latency_targets() == [
        ("ttft_ms", "p90", 200),
        ("ttft_ms", "p99", 500),
        ("itl_ms", "p50", 30),
    ]


def test_field_source_confidence_bounds() -> None:
    with pytest.raises(ValidationError):
        FieldSource(origin="stated", confidence=1.5)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"gpus": 5}, "constraints.gpus"),
        ({"constraints": 5}, "constraints"),
        ({"constraints": "abc"}, "constraints"),
        ({"description": "chat\x1b[2J"}, "description"),
        ({"preferences": {"providers": ["aws\nlambda"]}}, "preferences.providers.0"),
        ({"preferences": {"providers": [""]}}, "preferences.providers.0"),
        ({"sources": {"users; rm": {"origin": "stated"}}}, "sources.users; rm.[key]"),
        ({"assumptions": ["\x07"]}, "assumptions.0"),
    ],
)
def test_wrong_shapes_and_control_characters_name_the_field(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        DeploymentIntent.model_validate({"use_case": "chatbot", **data})
    assert describe_validation_error(info.value).startswith(f"{field}: ")


def test_free_text_keeps_line_breaks() -> None:
    intent = DeploymentIntent.model_validate(
        {"use_case": "chatbot", "description": "line one\n\tline two",
         "preferences": {"providers": ["Lambda Labs"], "languages": ["de"]}}
    )
    assert intent.description == "line one\n\tline two"
    assert intent.preferences.providers == ("Lambda Labs",)
