"""A prompt start every request shares (a system prompt): read apart from the prompt length."""

from __future__ import annotations

import pytest
from tests.planning_facts import chat_template

from predeploy.core.traffic import plan_traffic
from predeploy.intent.build import build_intent
from predeploy.intent.rules import RuleExtractor


@pytest.mark.parametrize(
    ("text", "prefix", "prompt", "output"),
    [
        ("support bot for 5000 users with a 2000-token system prompt", 2000, None, None),
        (
            "chatbot for 3,000 users; every request carries a 1.5k token system prompt; "
            "questions around 200 tokens",
            1500,
            200,
            None,
        ),
        ("RAG assistant, 20 qps, 4000-token prompts; the system prompt is about 1,200 tokens",
         1200, 4000, None),
        ("coding assistant, 10 req/s, a 3k-token shared prefix, 8k token prompts, answers of "
         "500 tokens", 3000, 8000, 500),
        ("support bot, system prompt of ~800 tokens, 300-token replies", 800, None, 300),
        ("support bot, system prompt: 1.2k tokens, 300 users", 1200, None, None),
        ("with ~3k tokens of system instructions, chatbot for 100 users", 3000, None, None),
        ("prompts of 2000 tokens including a 500-token system prompt", 500, 2000, None),
        # A system prompt without a length, and a length that is not the system prompt's.
        ("a system prompt and 2000-token prompts, 50 qps", None, 2000, None),
        ("answers under 300 tokens, system prompt in Spanish, 100 users", None, None, 300),
        # Instructions nobody says are shared are the request itself.
        ("chatbot for 100 users, 500-token instructions", None, 500, None),
        ("chatbot for 100 users, 400-token prompts", None, 400, None),
    ],
)
def test_shared_prefix(
    rules: RuleExtractor, text: str, prefix: float | None, prompt: float | None,
    output: float | None,
) -> None:
    draft = rules.read(text)
    assert draft.shared_prefix_tokens == prefix
    assert draft.prompt_tokens == prompt
    if output is not None:
        assert draft.output_tokens == output


def test_the_intent_states_the_prefix_with_its_evidence(rules: RuleExtractor) -> None:
    text = "support bot for 5000 users with a 2000-token system prompt"
    draft = rules.read(text)
    built = build_intent(draft, rules.catalog, rules.index, text)
    intent = built.intent
    assert intent.shared_prefix_tokens == 2000
    source = intent.sources["shared_prefix_tokens"]
    assert source.origin == "stated" and "system prompt" in (source.evidence or "")


@pytest.mark.parametrize(
    ("text", "history", "turns", "prefix", "prompt"),
    [
        ("chatbot for 2000 users, 5-turn conversations", None, 5, None, None),
        ("support bot, 1k-token system prompt, about 3k tokens of chat history, 300-token "
         "questions", 3000, None, 1000, 300),
        ("assistant for 500 users; conversations average 8 turns", None, 8, None, None),
        ("chat app, conversation history of ~1,500 tokens, 6 turns per session", 1500, 6, None,
         None),
        # One turn is no conversation to remember.
        ("chatbot, 1-turn chats, 100 users", None, None, None, None),
    ],
)
def test_conversation_history_and_turns(
    rules: RuleExtractor, text: str, history: float | None, turns: float | None,
    prefix: float | None, prompt: float | None,
) -> None:
    draft = rules.read(text)
    assert (draft.history_tokens, draft.conversation_turns) == (history, turns)
    assert (draft.shared_prefix_tokens, draft.prompt_tokens) == (prefix, prompt)


@pytest.mark.parametrize(
    ("text", "count", "prefix"),
    [
        ("support bots for 40 tenants, each with its own 2,000-token system prompt, 5k users",
         40, 2000),
        ("chatbot for 300 users; we run 12 different system prompts of about 1,500 tokens",
         12, 1500),
        ("support bot, a system prompt of 3k tokens for each of our 300 customers", 300, 3000),
        ("assistant for 100 users, 8 distinct 800-token system prompts", 8, 800),
        ("support bot for 1,000 users, 3 separate system prompts", 3, None),
        # One system prompt, a count of something else, or "per" without a count.
        ("support bot for 500 users with a 2000-token system prompt", None, 2000),
        ("support bot for 40 tenants with a 2000-token system prompt", None, 2000),
        ("chatbot, one system prompt per customer, 100 users", None, None),
        ("chatbot for 100 users, 1 different system prompt", None, None),
    ],
)
def test_several_system_prompts(
    rules: RuleExtractor, text: str, count: float | None, prefix: float | None
) -> None:
    draft = rules.read(text)
    assert (draft.prefix_count, draft.shared_prefix_tokens) == (count, prefix)


def test_the_intent_counts_the_system_prompts_or_says_why_not(rules: RuleExtractor) -> None:
    text = "support bots for 40 tenants, each with its own 2,000-token system prompt, 5k users"
    intent = build_intent(rules.read(text), rules.catalog, rules.index, text).intent
    assert (intent.prefix_count, intent.shared_prefix_tokens) == (40, 2000)
    assert intent.sources["prefix_count"].origin == "stated"
    bare = "support bot for 1,000 users, 3 separate system prompts"
    built = build_intent(rules.read(bare), rules.catalog, rules.index, bare)
    assert built.intent.prefix_count == 3 and built.intent.shared_prefix_tokens is None
    assert any("3 distinct system prompts stated without their length" in n for n in built.notes)


@pytest.mark.parametrize(
    ("text", "exponent"),
    [
        ("support bots for 40 tenants, each with its own 2,000-token system prompt, 5k users; "
         "a few tenants make most of the traffic", 1.0),
        ("40 tenants each with its own 1,500-token system prompt, tenant traffic is zipfian "
         "with exponent 1.2", 1.2),
        ("12 different system prompts of 800 tokens; most of the traffic comes from a handful "
         "of customers", 1.0),
        ("30 bots, each with its own 1k-token system prompt; requests are heavily skewed", 1.0),
        # Nothing said about how the requests spread: evenly.
        ("support bots for 40 tenants, each with its own 2,000-token system prompt", None),
    ],
)
def test_skewed_tenant_traffic_is_read_as_zipf(
    rules: RuleExtractor, text: str, exponent: float | None
) -> None:
    draft = rules.read(text)
    assert draft.prefix_popularity == exponent
    assert draft.prefix_count is not None and draft.prefix_count > 1
    intent = build_intent(draft, rules.catalog, rules.index, text).intent
    assert intent.prefix_popularity == exponent
    if exponent == 1.0:
        assert any("an estimate" in note for note in draft.notes)
        traffic = plan_traffic(intent, chat_template())
        assert traffic.prefix_popularity == 1.0
        assert any("Zipf's law (exponent 1)" in line for line in traffic.derivation)
