"""GPU and model names found in text, normalized to catalog names through aliases."""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.intent.extractor import understand
from predeploy.intent.names import NameIndex
from predeploy.intent.rules import RuleExtractor
from predeploy.kb.seed_files import seed_catalog


@pytest.mark.parametrize(
    ("raw", "ids"),
    [
        ("Llama 3.1 70B", ("meta-llama/Llama-3.1-70B-Instruct",)),
        ("Qwen3 32B", ("Qwen/Qwen3-32B",)),
        ("gpt-oss-20b", ("openai/gpt-oss-20b",)),
        ("Mistral 7B Instruct", ("mistralai/Mistral-7B-Instruct-v0.3",)),
        ("gemma 2 9b", ("google/gemma-2-9b-it",)),
        ("DeepSeek R1 Distill Llama 8B", ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B",)),
        ("Phi-3 mini", ("microsoft/Phi-3-mini-4k-instruct",)),
        ("GPT-5", ()),
    ],
)
def test_model_names(catalog: InMemoryCatalog, raw: str, ids: tuple[str, ...]) -> None:
    assert NameIndex(catalog).model(raw) == ids


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("H100s", ("H100-SXM", "H100-PCIe", "H100-NVL")),  # a family: every member
        ("A100 80GB", ("A100-80GB",)),
        ("l40s", ("L40S",)),
        ("nvidia L4", ("L4",)),
        ("H200", ("H200",)),
        ("V100", ()),
    ],
)
def test_gpu_names(catalog: InMemoryCatalog, raw: str, names: tuple[str, ...]) -> None:
    assert NameIndex(catalog).gpu(raw) == names


def test_gpu_counts_and_exclusions(rules: RuleExtractor) -> None:
    draft = rules.read("we have 4 H200s and 8x A100 80GB, but no L4")
    got = {(g.name, g.count, g.excluded) for g in draft.gpus}
    assert got == {("H200", 4, False), ("A100-80GB", 8, False), ("L4", None, True)}


@pytest.mark.parametrize(
    ("text", "allowed", "excluded"),
    [
        # a negation stops at a clause mark followed by new words, or at a contrast
        ("no H100s, we have L40S", {"L40S"}, {"H100-SXM", "H100-PCIe", "H100-NVL"}),
        ("not the A10G but L4", {"L4"}, {"A10G"}),
        ("without L4 - we use H200", {"H200"}, {"L4"}),
        # a bare list keeps it
        ("no A10G, L4 or L40S", set(), {"A10G", "L4", "L40S"}),
        ("we don't have H200s, only L4", {"L4"}, {"H200"}),
    ],
)
def test_negation_scope(
    rules: RuleExtractor, text: str, allowed: set[str], excluded: set[str]
) -> None:
    gpus = rules.read("chatbot, " + text).gpus
    assert {g.name for g in gpus if not g.excluded} == allowed
    assert {g.name for g in gpus if g.excluded} == excluded


def test_count_glued_to_gpu_name(rules: RuleExtractor) -> None:
    draft = rules.read("RAG, 100 qps, 8xH200")
    assert [(g.name, g.count) for g in draft.gpus] == [("H200", 8)]
    assert draft.requests_per_s == 100


def test_excluded_gpus_reach_the_intent(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    intent = understand("chatbot for 300 users on L40S, not A10G", rules, catalog).intent
    assert intent.gpus == ["L40S"]
    assert intent.constraints.excluded_gpus == ("A10G",)


@pytest.mark.parametrize(
    ("text", "required"),
    [
        ("must run Mistral 7B Instruct", True),
        ("only Qwen3 32B", True),
        ("we'd like gpt-oss-20b", False),
        ("prefer Llama 3.1 8B", False),
    ],
)
def test_required_models(rules: RuleExtractor, text: str, required: bool) -> None:
    draft = rules.read("chatbot, " + text)
    assert len(draft.models) == 1
    assert draft.models_required is required


def test_model_numbers_are_not_counts(rules: RuleExtractor) -> None:
    draft = rules.read("chatbot with Llama 3.1 8B on 2 L4 for 300 users")
    assert draft.models == ("meta-llama/Llama-3.1-8B-Instruct",)
    assert [(g.name, g.count) for g in draft.gpus] == [("L4", 2)]
    assert draft.users == 300


def test_only_catalog_names_leave_the_extractor(
    rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    intent = understand("chatbot on MyCustomGPU-9000 running SuperLLM-70B", rules, catalog).intent
    assert intent.gpus == [] and intent.models == []


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("chatbot for 100 users, only H900", "'H900' is not a GPU in the catalog"),
        ("support bot on 4 H900s", "'H900' is not a GPU in the catalog"),
        ("we have B400 gpus for a chatbot", "'B400' is not a GPU in the catalog"),
    ],
)
def test_an_unknown_gpu_name_is_noted_with_suggestions(
    rules: RuleExtractor, text: str, note: str
) -> None:
    draft = rules.read(text)
    assert not draft.gpus
    assert any(note in n and "did you mean" in n for n in draft.notes)


@pytest.mark.parametrize(
    "text",
    ["chatbot on 2 H100s", "chatbot answering vitamin b12 questions", "chatbot with h264 videos",
     "we own 8 L40S for a chatbot"],
)
def test_known_or_non_gpu_tokens_get_no_unknown_gpu_note(rules: RuleExtractor, text: str) -> None:
    assert not any("is not a GPU" in n for n in rules.read(text).notes)


@pytest.fixture(scope="module")
def shipped_rules() -> RuleExtractor:
    return RuleExtractor(seed_catalog())


@pytest.mark.parametrize(
    ("text", "gpus"),
    [
        ("prompts of 4090 tokens, answers of 300 tokens", set()),
        ("a support bot for 3090 users", set()),
        ("contracts of 30-80 pages", set()),
        ("prompts of 2000-4090 tokens", set()),
        ("we have two 4090s", {("RTX-4090", 2)}),
        ("it runs on a 3090", {("RTX-3090", None)}),
        ("our RTX 3080 box", {("RTX-3080", None)}),
    ],
)
def test_a_bare_model_number_with_a_unit_is_a_quantity(
    shipped_rules: RuleExtractor, text: str, gpus: set[tuple[str, int | None]]
) -> None:
    """"4090 tokens" and "30-80 pages" are quantities, "two 4090s" are GPUs (the shipped
    catalog's GeForce cards have their bare model numbers as aliases)."""
    draft = shipped_rules.read("chatbot, " + text)
    assert {(g.name, g.count) for g in draft.gpus} == gpus


def test_huawei_is_a_vendor_and_its_npu_a_gpu(shipped_rules: RuleExtractor) -> None:
    """"no Huawei" rules the Ascend 910Bs out; "on 8 Ascend 910B" names it with its count."""
    no_huawei = shipped_rules.read("chatbot for 500 users, no Huawei")
    assert {g.name for g in no_huawei.gpus if g.excluded} == {
        "Ascend-910B", "Ascend-910B2", "Ascend-910B4"
    }
    owned = shipped_rules.read("chatbot for 500 users on 8 Ascend 910B")
    assert [(g.name, g.count) for g in owned.gpus if not g.excluded] == [("Ascend-910B", 8)]
