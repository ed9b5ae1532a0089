"""Request text as data: cleaning, bounded length and normalized wording.

User text is never executed or echoed into names; this module turns it into a lower-case,
ASCII-punctuated working string on which the phrase tables run. Spans that one finder has
consumed (a GPU name, a price, a latency) are blanked in :class:`Doc` so no number is read twice.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from predeploy.core.types.intent import MAX_TEXT_CHARS
from predeploy.intent.numerals import join_space_thousands, spell_out_numbers

#: Unicode punctuation users paste from documents, mapped to ASCII.
_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": " - ",
    "\u2212": "-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u00d7": "x",
}
#: Control characters removed from any text we keep: C0 (but tab and newline), DEL and C1.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class CleanText:
    """The request text after cleaning, with a note when it had to be shortened."""

    text: str
    truncated: bool
    original_chars: int


#: A line that starts a list item ("- TTFT < 400 ms", "* 7.5k users", "2) budget") or a
#: labelled field ("Users: 75"): the line break before it ends a clause.
_LIST_LINE = re.compile(
    r"[ \t]*(?:\r?\n[ \t]*)+(?:[-*\u2022\u00b7\u25aa\u2023>]+|\d{1,2}[.)](?!\d))[ \t]+"
    r"|[ \t]*(?:\r?\n[ \t]*)+(?=[A-Za-z][\w /&()-]{0,30}:\s)"
)


def mark_list_lines(raw: str) -> str:
    """List items and "Label: value" lines as clauses: the break before each becomes "; ".

    Line breaks are spaces after cleaning, so without this "TTFT p99 < 1.5s" on one bullet
    and "ITL p95 < 60ms" on the next would read as one clause.
    """
    return _LIST_LINE.sub("; ", raw)


def clean_text(raw: str, max_chars: int = MAX_TEXT_CHARS) -> CleanText:
    """Strip control characters, unify punctuation and whitespace, cut to ``max_chars``."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(_PUNCTUATION.get(ch, ch) for ch in text)
    text = CONTROL_CHARACTERS.sub(" ", text)
    text = _SPACES.sub(" ", text).strip()
    truncated = len(text) > max_chars
    if truncated:
        text = text[:max_chars].rstrip()
    return CleanText(text=text, truncated=truncated, original_chars=len(raw))


# --- hyphenated compounds --------------------------------------------------------------------

#: Compounds whose meaning is not that of their parts: a "fast-growing" company says nothing
#: about speed of answers, a "long-term" plan nothing about long documents. They stay whole
#: when compounds are split into words.
# fmt: off
LEXICAL_COMPOUNDS = frozenset(
    [
        "fast-food", "fast-paced", "fast-growing", "fast-moving", "fast-track", "fast-forward",
        "fast-changing", "fast-evolving", "quick-service", "quick-and-dirty", "quick-start",
        "real-estate", "high-school", "long-term", "short-term", "long-running", "long-lived",
        "long-standing", "long-time", "low-code", "no-code", "cost-plus", "top-down",
        "well-known", "first-class", "first-time", "high-end", "low-end", "best-selling",
    ]
)
# fmt: on
#: First parts that negate the rest: "non-real-time" is not real time, "un-cheap" not cheap.
NEGATING_PREFIXES = frozenset(["non", "un", "anti", "not", "never", "no", "semi", "pseudo"])
#: Last parts that hedge the rest: "cheap-ish" is not a plain "cheap".
HEDGING_SUFFIXES = frozenset(["ish", "esque"])
_COMPOUND = re.compile(r"(?<![\w-])[a-z]+(?:-[a-z]+)+(?![\w-])")


def split_compounds(text: str) -> str:
    """``text`` with the hyphens inside letter compounds read as spaces, same length.

    Phrase tables match whole words, so a cue inside a compound ("super-responsive",
    "fast-responding", "pair-programming", "cost-driven") would be missed; in this view each
    part is a word. Compounds that are lexical units (:data:`LEXICAL_COMPOUNDS`), start with
    a negation (:data:`NEGATING_PREFIXES`) or end in a hedge (:data:`HEDGING_SUFFIXES`) stay
    whole. Offsets match ``text``.
    """

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        parts = word.split("-")
        if parts[0] in NEGATING_PREFIXES or parts[-1] in HEDGING_SUFFIXES:
            return word
        if any(f"-{c}-" in f"-{word}-" for c in LEXICAL_COMPOUNDS):
            return word  # a lexical unit, alone or inside a longer compound
        return word.replace("-", " ")

    return _COMPOUND.sub(repl, text)


def phrase_views(text: str) -> tuple[str, ...]:
    """The texts a phrase table reads: ``text``, and its compounds split when it has any."""
    split = split_compounds(text)
    return (text,) if split == text else (text, split)


# --- the working document --------------------------------------------------------------------


@dataclass
class Doc:
    """Normalized request text plus a working copy in which consumed spans are blanked.

    ``text`` is what evidence snippets quote; ``work`` has the same length and offsets.
    """

    text: str
    work: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.work:
            self.work = self.text

    def consume(self, start: int, end: int) -> None:
        """Blank ``[start, end)`` in the working copy so later finders skip it."""
        self.work = self.work[:start] + " " * (end - start) + self.work[end:]

    def snippet(self, start: int, end: int, pad: int = 0) -> str:
        """The text of a span, widened by up to ``pad`` characters to whole words, never
        across a clause mark (, ; . ( ))."""
        lo = max(0, start - pad)
        hi = min(len(self.text), end + pad)
        left = self.text[lo:start]
        cut = max(left.rfind(ch) for ch in ",;()") if left else -1
        if cut >= 0:
            lo += cut + 1
        elif lo > 0:
            space = left.find(" ")
            lo = lo + space + 1 if space >= 0 else start
        right = self.text[end:hi]
        cuts = [i for i in (right.find(ch) for ch in ",;()") if i >= 0]
        dot = re.search(r"\.(?=\s|$)", right)
        if dot is not None:
            cuts.append(dot.start())
        if cuts:
            hi = end + min(cuts)
        elif hi < len(self.text):
            space = right.rfind(" ")
            hi = end + space if space >= 0 else end
        return self.text[lo:hi].strip(" ,;")

    def clause_bounds(self, pos: int) -> tuple[int, int]:
        """Start and end of the clause (between ; . ! ? or line ends) around ``pos``."""
        start = max(self.text.rfind(ch, 0, pos) for ch in ";!?") + 1
        dot = _sentence_dot(self.text, 0, pos)
        start = max(start, dot)
        ends = [i for i in (self.text.find(ch, pos) for ch in ";!?") if i >= 0]
        dot_end = _sentence_dot_forward(self.text, pos)
        ends.append(dot_end)
        return start, min(ends)


def _sentence_dot(text: str, lo: int, hi: int) -> int:
    """Position after the last sentence-ending dot in ``text[lo:hi]`` (not "1.5" or "e.g.")."""
    best = lo
    for m in re.finditer(r"\.(?=\s|$)", text[lo:hi]):
        best = lo + m.end()
    return best


def _sentence_dot_forward(text: str, pos: int) -> int:
    m = re.compile(r"\.(?=\s|$)").search(text, pos)
    return m.start() if m else len(text)


#: "8xh100", "4*a100": a count glued to a name that starts with letters and has a digit.
_COUNT_GLUED_TO_NAME = re.compile(r"(?<![\w.])(\d{1,4})\s*([x*])(?=[a-z]{1,5}\d)")
#: Chat shorthand: "w/" = with, "w/o" = without.
_SHORTHAND = (
    (re.compile(r"(?<![\w/])w/o(?![\w/])"), "without"),
    (re.compile(r"(?<![\w/])w/\s*(?=\w)"), "with "),
)


#: Units that end a field name in structured requests ("p95_e2e_ms: 1500", "peak_rps: 35",
#: "monthly_budget_usd: 12000"): the value is read with the unit after it.
_FIELD_UNITS = r"ms|msec|s|sec|secs|seconds|rps|qps|rpm|rph|usd|dollars|users"
_KEY_UNIT_VALUE = re.compile(
    rf"(?<![\w-])(?P<key>[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*?[_-])?(?P<unit>{_FIELD_UNITS})"
    r"\s*(?::|=)\s*(?P<value>\d[\d,]*(?:\.\d+)?\s*(?:k|m)?)(?![\w.])"
)


def _key_unit_value(m: re.Match[str]) -> str:
    key = (m.group("key") or "").replace("_", " ").replace("-", " ").strip()
    return f"{key} {m.group('value')} {m.group('unit')}".strip()


def normalize(text: str) -> str:
    """Lower-case working form: number words as digits, space thousands joined, "8xh100" as
    "8x h100", "w/" as "with", structured fields as phrases ("p95_e2e_ms: 1500" as
    "p95 e2e 1500 ms")."""
    lowered = _KEY_UNIT_VALUE.sub(_key_unit_value, text.lower())
    for pattern, words in _SHORTHAND:
        lowered = pattern.sub(words, lowered)
    lowered = _COUNT_GLUED_TO_NAME.sub(r"\1\2 ", lowered)
    lowered = spell_out_numbers(lowered)
    return join_space_thousands(lowered)
