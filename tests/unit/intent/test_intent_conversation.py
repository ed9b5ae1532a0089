"""Multi-turn conversations: amendments, one question, "I don't know", edits."""

from __future__ import annotations

import pytest

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.errors import InputError
from predeploy.core.types import Priority, UseCase
from predeploy.intent.build import ASSUMED_USERS
from predeploy.intent.conversation import Conversation
from predeploy.intent.extractor import USE_CASE_QUESTION
from predeploy.intent.rules import RuleExtractor


@pytest.fixture
def chat(rules: RuleExtractor, catalog: InMemoryCatalog) -> Conversation:
    return Conversation(rules, catalog)


def test_amendments_change_one_thing_at_a_time(chat: Conversation) -> None:
    first = chat.send("support bot for 5k shoppers, budget $4,000 per month")
    assert first.intent.use_case == UseCase.CUSTOMER_SERVICE
    assert first.question is None
    assert chat.send("make it 2000 users").intent.users == 2000
    turn = chat.send("only H100s")
    assert turn.intent.gpus == ["H100-SXM", "H100-PCIe", "H100-NVL"]
    assert "gpus" in turn.reply
    assert chat.send("actually cost matters more than latency").intent.priority == Priority.COST
    turn = chat.send("drop the budget")
    assert turn.intent.budget.monthly_usd is None
    assert "budget.monthly_usd: removed" in turn.reply
    turn = chat.send("we also have L4")
    assert turn.intent.gpus[-1] == "L4" and len(turn.intent.gpus) == 4
    turn = chat.send("TTFT under 300 ms")
    assert turn.intent.slo.ttft_ms.p95 == 300
    # what was said before still holds
    assert turn.intent.users == 2000 and turn.intent.use_case == UseCase.CUSTOMER_SERVICE


def test_one_question_when_load_is_missing_and_a_number_answers_it(chat: Conversation) -> None:
    turn = chat.send("a chatbot for our intranet")
    assert turn.question is not None and "how many" in turn.question.lower()
    assert turn.intent.users == ASSUMED_USERS
    answer = chat.send("about 300")
    assert answer.intent.users == 300
    assert answer.question is None


def test_i_dont_know_accepts_the_assumption(chat: Conversation) -> None:
    chat.send("a chatbot for our intranet")
    turn = chat.send("I don't know")
    assert turn.question is None
    assert turn.intent.users == ASSUMED_USERS
    assert turn.intent.sources["users"].origin == "assumed"
    assert any("unknown to the user" in a for a in turn.intent.assumptions)
    assert "don't know" in turn.reply


def test_use_case_question_comes_first(chat: Conversation) -> None:
    turn = chat.send("hello")
    assert turn.question == USE_CASE_QUESTION
    turn = chat.send("code completion in VS Code")
    assert turn.intent.use_case == UseCase.CODE_COMPLETION
    assert turn.question is not None and "developers" in turn.question


def test_weak_cue_does_not_switch_the_use_case(chat: Conversation) -> None:
    chat.send("RAG assistant over our wiki for 800 staff")
    assert chat.send("the chat should feel fast").intent.use_case == UseCase.RAG_QA
    assert chat.send("actually it is for translating documents").intent.use_case == (
        UseCase.TRANSLATION
    )


def test_use_case_change_brings_its_template(chat: Conversation) -> None:
    chat.send("chatbot for 100 users")
    turn = chat.send("actually this is IDE autocomplete")
    assert turn.intent.prompt_tokens == 1500  # the code-completion template mean


def test_edits_survive_later_turns_until_restated(chat: Conversation) -> None:
    chat.send("chatbot for 100 users")
    assert chat.edit("slo.ttft_ms.p90", "250").slo.ttft_ms.p90 == 250
    assert chat.send("we have L4 GPUs").intent.slo.ttft_ms.p90 == 250
    assert chat.edit("users", "700").users == 700
    assert chat.send("make it 900 users").intent.users == 900
    with pytest.raises(InputError, match="users"):
        chat.edit("users", "-1")


def test_start_over(chat: Conversation) -> None:
    chat.send("chatbot for 100 users")
    turn = chat.send("start over")
    assert turn.question == USE_CASE_QUESTION
    assert chat.intent is None
    assert chat.send("translation for 20 people").intent.users == 20


def test_history_is_recorded(chat: Conversation) -> None:
    chat.send("chatbot for 100 users")
    assert [m.role for m in chat.history] == ["user", "assistant"]


def test_a_system_prompt_can_be_stated_later_and_changed(chat: Conversation) -> None:
    first = chat.send("support bot for 5k shoppers")
    assert first.intent.shared_prefix_tokens is None
    turn = chat.send("every request starts with a 1,500-token system prompt")
    assert turn.intent.shared_prefix_tokens == 1500
    assert turn.intent.users == 5000 and turn.intent.use_case == UseCase.CUSTOMER_SERVICE
    assert chat.send("the system prompt is 3k tokens").intent.shared_prefix_tokens == 3000
    turn = chat.send("each of our 30 brands has its own system prompt")
    assert (turn.intent.prefix_count, turn.intent.shared_prefix_tokens) == (None, 3000)
    turn = chat.send("we have 30 different system prompts")
    assert (turn.intent.prefix_count, turn.intent.shared_prefix_tokens) == (30, 3000)
    turn = chat.send("drop the system prompt")
    assert turn.intent.shared_prefix_tokens is None and turn.intent.users == 5000
    assert turn.intent.prefix_count is None
