"""A user's pause between a reply and their next message: read apart from latency targets,
and carried to the planner's traffic."""

from __future__ import annotations

import pytest
from tests.planning_facts import chat_template

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.traffic import plan_traffic
from predeploy.core.types import DeploymentIntent
from predeploy.intent.build import build_intent
from predeploy.intent.conversation import Conversation
from predeploy.intent.explain import intent_lines
from predeploy.intent.llm import EXTRACTION_SCHEMA
from predeploy.intent.rules import RuleExtractor


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("chatbot for 3k users, 8-turn conversations, users take about a minute between "
         "messages", 60.0),
        ("chat app, 30 seconds of think time, 500 users", 30.0),
        ("assistant, a 45-second pause between turns", 45.0),
        ("chatbot with a think time of 2 min", 120.0),
        ("support chat, half a minute between turns", 30.0),
        ("chatbot, gaps of 90 seconds between questions", 90.0),
        # A bare duration is a deadline, not a pause.
        ("chatbot for 2k users, replies within 30 seconds, 6-turn chats", None),
        ("chatbot for 2k users, e2e under 5 s", None),
    ],
)
def test_a_pause_between_turns_is_read_apart_from_the_targets(
    rules: RuleExtractor, text: str, seconds: float | None
) -> None:
    assert rules.read(text).think_time_s == seconds


def test_the_intent_states_the_pause_and_the_traffic_carries_it(rules: RuleExtractor) -> None:
    text = "chatbot for 3k users, 8-turn conversations, users take about a minute between messages"
    intent = build_intent(rules.read(text), rules.catalog, rules.index, text).intent
    assert intent.think_time_s == 60.0
    assert intent.sources["think_time_s"].origin == "stated"
    assert any("60 s between a reply" in line.value for line in intent_lines(intent))
    assert intent.slo.e2e_ms.p99 != 60_000  # not read as a deadline
    traffic = plan_traffic(intent, chat_template())
    assert (traffic.think_time_s, traffic.conversation_turns) == (60.0, 8)
    assert any(line.startswith("think time: 60 s") for line in traffic.derivation)
    # Without a conversation to remember, a pause changes nothing.
    single = DeploymentIntent(use_case="chatbot", qps=2.0, think_time_s=60.0)
    assert plan_traffic(single, chat_template()).think_time_s is None


def test_the_llm_is_asked_for_the_pause() -> None:
    assert "think_time_s" in EXTRACTION_SCHEMA["properties"]


def test_a_follow_up_states_the_pause(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    chat = Conversation(rules, catalog)
    assert chat.send("chatbot for 3k users, 8-turn conversations").intent.think_time_s is None
    turn = chat.send("users take about 45 seconds between messages")
    assert turn.intent.think_time_s == 45.0 and turn.intent.conversation_turns == 8
    assert turn.intent.slo.e2e_ms.p99 != 45_000
