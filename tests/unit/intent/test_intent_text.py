"""Cleaning, number words, number parsing and typo repair."""

from __future__ import annotations

import pytest

from predeploy.core.types.intent import MAX_TEXT_CHARS
from predeploy.intent.numerals import join_space_thousands, parse_number, spell_out_numbers
from predeploy.intent.spelling import correct_typos, correct_word
from predeploy.intent.text import Doc, clean_text, normalize


def test_clean_text_strips_controls_and_unifies_punctuation() -> None:
    cleaned = clean_text("TTFT \u2264 200\u00a0ms\x00\x1b[31m \u2014 cheap\n\n")
    assert cleaned.text == "TTFT <= 200 ms [31m - cheap"
    assert not cleaned.truncated


def test_clean_text_truncates_long_input() -> None:
    cleaned = clean_text("a" * (MAX_TEXT_CHARS + 500))
    assert cleaned.truncated
    assert len(cleaned.text) == MAX_TEXT_CHARS
    assert cleaned.original_chars == MAX_TEXT_CHARS + 500


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("team of twelve", "team of 12"),
        ("two hundred users", "200 users"),
        ("forty-five agents", "45 agents"),
        ("a dozen writers", "12 writers"),
        ("half a million requests", "500000 requests"),
        ("one of our teams", "one of our teams"),
        ("no one waits", "no one waits"),
        ("a single l4", "1 l4"),
        # compounds: "and" after a scale word, scales after hundreds
        ("two hundred and fifty engineers", "250 engineers"),
        ("a hundred and twenty devs", "120 devs"),
        ("three thousand five hundred users", "3500 users"),
        ("twenty-five thousand members", "25000 members"),
        ("two thousand staff", "2000 staff"),
        ("one million two hundred thousand requests", "1200000 requests"),
        # not compounds: two numbers, or a scale word after digits (read by the number parser)
        ("between two and three hundred users", "between 2 and 300 users"),
        ("five ten-minute calls", "5 10-minute calls"),
        ("1.5 million users", "1.5 million users"),
    ],
)
def test_spell_out_numbers(text: str, expected: str) -> None:
    assert spell_out_numbers(text) == expected


@pytest.mark.parametrize(
    ("digits", "scale", "value"),
    [("1.5", "k", 1500), ("12,000", None, 12000), ("2.5", "million", 2.5e6), ("3", "b", 3e9)],
)
def test_parse_number(digits: str, scale: str | None, value: float) -> None:
    assert parse_number(digits, scale) == value


def test_space_thousands_joined_but_not_lists() -> None:
    assert join_space_thousands("5 000 employees") == "5000 employees"
    assert join_space_thousands("12 500 000 rows") == "12500000 rows"
    assert join_space_thousands("in 8 languages 300 agents") == "in 8 languages 300 agents"


def test_normalize_lowercases() -> None:
    assert normalize("Team of Twelve") == "team of 12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RAG, 8xH100", "rag, 8x h100"),
        ("4*A100 80GB", "4* a100 80gb"),
        ("mixtral 8x7b", "mixtral 8x7b"),  # a model name, not a count
        ("p4d.24xlarge", "p4d.24xlarge"),
        ("chat w/ our docs", "chat with our docs"),
        ("w/o H100", "without h100"),
    ],
)
def test_normalize_splits_glued_counts_and_chat_shorthand(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_doc_consume_keeps_offsets() -> None:
    doc = Doc("4 h100s for 300 users")
    doc.consume(0, 7)
    assert doc.work == "        for 300 users"
    assert len(doc.work) == len(doc.text)
    assert doc.snippet(12, 15, pad=10) == "for 300 users"


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("custmer", "customer"),
        ("suport", "support"),
        ("latancy", "latency"),
        ("usres", "users"),
        ("sumarize", "summarize"),
        ("translaton", "translation"),
    ],
)
def test_typos_repaired(typo: str, fixed: str) -> None:
    assert correct_word(typo) == fixed


@pytest.mark.parametrize(
    "word", ["write", "lower", "taken", "members", "support", "llama", "mistral", "users", "coder"]
)
def test_real_words_kept(word: str) -> None:
    assert correct_word(word) == word


def test_correct_typos_reports_fixes() -> None:
    text, fixes = correct_typos("custmer suport for 3k usres")
    assert text == "customer support for 3k users"
    assert ("usres", "users") in fixes
