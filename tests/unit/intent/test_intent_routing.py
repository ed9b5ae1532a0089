"""How the deployment's router picks replicas, where a request says: read into the intent,
amended by a follow-up, and taken by the planner."""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.types import Routing
from predeploy.intent.build import build_intent
from predeploy.intent.conversation import Conversation
from predeploy.intent.explain import intent_lines
from predeploy.intent.llm import EXTRACTION_SCHEMA
from predeploy.intent.rules import RuleExtractor

AWARE, RANDOM = Routing.PREFIX_AWARE, Routing.RANDOM


@pytest.mark.parametrize(
    ("text", "routing"),
    [
        ("chatbot for 3k users, 6-turn conversations, we run llm-d", AWARE),
        ("support bot for 5k users with sticky sessions", AWARE),
        ("RAG QA for 500 users with prefix-aware routing and a 2,000-token system prompt", AWARE),
        ("code completion for 200 devs, KV-cache aware routing via the inference gateway", AWARE),
        ("chatbot for 1k users; our gateway keeps session affinity", AWARE),
        ("chatbot for 2k users behind a round-robin load balancer", RANDOM),
        ("chatbot for 2k users, no session affinity", RANDOM),
        ("chatbot for 2k users, without sticky sessions", RANDOM),
        # Neither a cache nor a prefix alone names a router.
        ("chatbot for 2k users with a 1,000-token system prompt and prefix caching", None),
        ("support bot for 5k users", None),
    ],
)
def test_the_router_is_read_where_the_request_names_one(
    rules: RuleExtractor, text: str, routing: Routing | None
) -> None:
    assert rules.read(text).routing == routing


def test_the_intent_states_the_router_with_its_evidence(rules: RuleExtractor) -> None:
    text = "chatbot for 3k users, 6-turn conversations, we run llm-d"
    draft = rules.read(text)
    intent = build_intent(draft, rules.catalog, rules.index, text).intent
    assert intent.routing == AWARE and intent.conversation_turns == 6
    source = intent.sources["routing"]
    assert source.origin == "stated" and "llm-d" in (source.evidence or "")
    assert any("routed by prefix" in line.value for line in intent_lines(intent))
    # What the request does not say stays unset: the planner's default (random) applies.
    plain = build_intent(rules.read("chatbot for 3k users"), rules.catalog, rules.index, "x")
    assert plain.intent.routing is None


def test_a_follow_up_changes_the_router(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    chat = Conversation(rules, catalog)
    assert chat.send("chatbot for 3k users, 6-turn conversations").intent.routing is None
    assert chat.send("we use sticky sessions").intent.routing == AWARE
    turn = chat.send("actually it is plain round-robin")
    assert turn.intent.routing == RANDOM and turn.intent.conversation_turns == 6


def test_the_llm_is_asked_for_the_router() -> None:
    routing = EXTRACTION_SCHEMA["properties"]["routing"]
    assert "Routing" in str(routing) or "prefix_aware" in str(routing)
