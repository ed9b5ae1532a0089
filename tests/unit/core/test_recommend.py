from __future__ import annotations

import pytest
from tests.planning_facts import CODER_ONLY, LLAMA_8B, LLAMA_70B, QWEN_7B, chat_template

from predeploy.core.errors import UnknownNameError
from predeploy.core.recommend import license_matches, shortlist_models
from predeploy.core.types import DeploymentIntent

MODELS = (LLAMA_8B, LLAMA_70B, QWEN_7B, CODER_ONLY)


def _intent(**fields: object) -> DeploymentIntent:
    return DeploymentIntent.model_validate({"use_case": "chatbot", "qps": 1, **fields})


def test_task_fit_and_quality_on_one_named_scale() -> None:
    short = shortlist_models(MODELS, _intent(), chat_template(), 2048)
    ids = {c.card.id for c in short.candidates}
    assert ids == {LLAMA_8B.id, LLAMA_70B.id}
    assert short.quality_scale == "aa-weighted (chatbot)"
    quality = {c.card.id: c.quality for c in short.candidates}
    assert quality[LLAMA_70B.id] == pytest.approx(26.88)
    assert any("covering 2 of 3" in n for n in short.notes)
    rejected = {r.candidate.model: r for r in short.rejected}
    assert rejected[CODER_ONLY.id].reason == "task_fit"
    # No quality evidence on the chosen scale: not recommended unasked...
    assert rejected[QWEN_7B.id].reason == "quality"
    assert "name the model" in rejected[QWEN_7B.id].details
    # ...but planned when named, counting as the lowest quality.
    named = shortlist_models(MODELS, _intent(models=[QWEN_7B.id]), chat_template(), 2048)
    assert {c.card.id: c.quality for c in named.candidates}[QWEN_7B.id] is None


def test_models_below_the_preferred_size_are_left_out_unless_named() -> None:
    template = chat_template()
    big_only = template.model_copy(
        update={"model": template.model.model_copy(update={"preferred_params_b": (20.0, 500.0)})}
    )
    short = shortlist_models(MODELS, _intent(), big_only, 2048)
    rejected = {r.candidate.model: r for r in short.rejected}
    assert rejected[LLAMA_8B.id].reason == "model_size"
    assert "20B" in rejected[LLAMA_8B.id].details
    assert {c.card.id for c in short.candidates} == {LLAMA_70B.id}
    named = shortlist_models(MODELS, _intent(models=[LLAMA_8B.id]), big_only, 2048)
    assert LLAMA_8B.id in {c.card.id for c in named.candidates}


def test_context_window_must_hold_the_p99_request() -> None:
    short = shortlist_models(MODELS, _intent(), chat_template(), 40_000)
    rejected = {r.candidate.model: r for r in short.rejected}
    assert rejected[QWEN_7B.id].reason == "context_length"
    assert "40k" in rejected[QWEN_7B.id].details
    assert LLAMA_8B.id in {c.card.id for c in short.candidates}


def test_required_and_preferred_models() -> None:
    required = _intent(models=["llama 3.1 70b instruct"],
                       constraints={"models_required": True})
    short = shortlist_models(MODELS, required, chat_template(), 2048)
    assert [c.card.id for c in short.candidates] == [LLAMA_70B.id]
    assert short.candidates[0].preferred
    preferred = _intent(models=[CODER_ONLY.id])
    short = shortlist_models(MODELS, preferred, chat_template(), 2048)
    assert CODER_ONLY.id in {c.card.id for c in short.candidates}  # named: task filter skipped
    with pytest.raises(UnknownNameError, match="did you mean"):
        shortlist_models(MODELS, _intent(models=["Llama-3.1-8B-Instruc"]), chat_template(), 1)


def test_license_exclusion() -> None:
    short = shortlist_models(
        MODELS, _intent(models=[CODER_ONLY.id],
                        constraints={"excluded_licenses": ["non-commercial"]}),
        chat_template(), 2048,
    )
    assert CODER_ONLY.id not in {c.card.id for c in short.candidates}
    assert license_matches("cc-by-nc-4.0", "non-commercial")
    assert license_matches("llama3.1", "llama3.1")
    assert not license_matches("apache-2.0", "non-commercial")


def test_minimum_quality_of_the_use_case() -> None:
    template = chat_template()
    strict = template.model_copy(
        update={"model": template.model.model_copy(update={"min_quality": 25.0})})
    short = shortlist_models(MODELS, _intent(), strict, 2048)
    rejected = {r.candidate.model: r.reason for r in short.rejected}
    assert rejected[LLAMA_8B.id] == "quality"
    assert rejected[QWEN_7B.id] == "quality"  # no score while others have one
    assert {c.card.id for c in short.candidates} == {LLAMA_70B.id}
