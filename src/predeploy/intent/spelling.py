"""Typo repair for the words the phrase tables rely on ("custmer suport", "latancy", "usres").

A word is corrected only when it is not a known word, is at least :data:`MIN_WORD_CHARS` long,
and is one edit (insertion, deletion, substitution or adjacent transposition) from exactly one
keyword that starts with the same letter; a substituted letter must be a neighbouring key or
another vowel (:func:`plausible_substitution`), else the word is more likely another real word
("waiting" is no typo of "writing"). Lookup uses single-deletion keys (the symmetric
delete method of SymSpell), so a correction costs a few dictionary lookups per word.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Words the extractor looks for; typos are repaired towards these.
# fmt: off
KEYWORDS = frozenset(
    [
        "customer", "customers", "support", "service", "assistant", "chatbot", "chatbots",
        "helpdesk", "shoppers", "visitors", "latency", "latencies", "response", "responses",
        "responsive", "critical", "important", "matters", "quality", "accuracy", "accurate",
        "throughput", "balanced", "balance", "cheap", "cheapest", "cheaper", "expensive",
        "budget", "monthly", "hourly", "month", "hour", "minute", "second", "seconds", "minutes",
        "hours", "daily", "nightly", "overnight", "weekly", "requests", "request", "queries",
        "query", "users", "employees", "engineers", "developers", "students", "members",
        "concurrent", "simultaneous", "summarize", "summarise", "summary", "summaries",
        "summarization", "summarisation", "translate", "translation", "translations",
        "translating", "autocomplete", "completion", "completions", "generation", "generate",
        "generating", "generator", "content", "marketing", "newsletter", "articles", "documents",
        "document", "contracts", "retrieval", "questions", "answers", "answering", "knowledge",
        "manuals", "handbook", "documentation", "batch", "offline", "classify", "classifying",
        "extract", "extraction", "tagging", "sentiment", "pipeline", "processing", "tokens",
        "token", "output", "outputs", "input", "inputs", "prompt", "prompts", "context",
        "million", "thousand", "dollars", "percentile", "median", "average", "priority",
        "performance", "reports", "transcripts", "conversations", "conversational", "suggestions",
        "editor", "coding", "programming", "assistant", "analysts", "agents", "companion",
        "community", "multilingual", "languages", "language", "interactive", "internal",
        "external", "company", "creative", "writing", "writer", "drafting", "emails", "product",
        "products", "description", "descriptions", "catalog", "invoices", "tickets", "reviews",
        "medical", "clinical", "patients", "doctors", "lawyers", "legal", "filings", "regulatory",
        "compliance", "compliant", "finance", "banking", "insurance", "telecom", "gaming",
        "education", "learners", "researchers", "technicians", "scientists",
    ]
)
# fmt: on
#: Ordinary words that are one edit away from a keyword and must stay as they are.
# fmt: off
KNOWN_WORDS = frozenset(
    [
        "custom", "costumer", "costume", "summery", "supper", "super", "support", "sport",
        "sports", "mouth", "months", "hours", "seconds", "second", "moth", "tone", "tones",
        "users", "uses", "user", "used", "usage", "lower", "slower", "cheep", "chap", "quantity",
        "quantities", "equality", "reality", "ability", "vitality", "answer", "answered",
        "answerer", "queried", "queues", "queue", "request", "requested", "inputted", "putts",
        "tokenize", "tokens", "batches", "batched", "batch", "patches", "patch", "matches",
        "match", "latest", "latent", "latency", "later", "lately", "balance", "ballance",
        "editors", "edition", "addition", "coding", "cording", "encoding", "decoding", "modeling",
        "models", "model", "creative", "creatives", "translator", "translators", "generator",
        "generators", "reports", "reporter", "reporters", "import", "imports", "export",
        "exports", "portal", "portals", "content", "contents", "contend", "context", "contexts",
        "contest", "contract", "contracts", "contrast", "outputs", "output", "ourselves",
        "internal", "international", "service", "services", "serve", "served", "server",
        "servers", "device", "devices", "advice", "critic", "critics", "critical", "documents",
        "document", "monument", "daily", "dairy", "hourly", "nightly", "weekly", "week", "weeks",
        "meekly", "averages", "average", "leverage", "coverage", "prompted", "prompts", "prompt",
        "promote", "promoted", "product", "products", "produce", "produced", "producing",
        "conduct", "project", "projects", "taken", "cheat", "tumor", "interval", "writes",
        "wrote", "written", "writers", "medial", "dally", "dairy", "member", "members", "chapter",
        "chapters", "answers", "agent", "agents", "ticket", "tickets", "review", "reviews",
    ]
)
# fmt: on
#: Shorter words are too easily another real word to be repaired.
MIN_WORD_CHARS = 5
_WORD = re.compile(r"[a-z]+")
#: Plural nouns for people ("regulators", "litigators", "dermatologists"): a repair that
#: changes their ending makes another word ("regulatory"), not a fixed typo.
_PEOPLE_PLURAL = re.compile(r"[a-z]{3,}(?:ors|ers|ists|ians|ants|ents|ees)")


#: QWERTY rows: a substituted letter is a typo when its key neighbours the intended one.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = frozenset("aeiouy")
#: Consonants written for one another by sound: "budjet", "sumarise", "kwery".
_SOUND_ALIKE = frozenset(frozenset(pair) for pair in ("gj", "cs", "ck", "sz", "kq", "fv", "xz"))


def _key_neighbours() -> dict[str, frozenset[str]]:
    """Letters whose keys touch, on the same row or the rows above and below."""
    pos = {ch: (r, c + 0.5 * r) for r, row in enumerate(_KEY_ROWS) for c, ch in enumerate(row)}
    return {
        a: frozenset(
            b for b, (rb, cb) in pos.items() if b != a and abs(rb - ra) <= 1 and abs(cb - ca) <= 1
        )
        for a, (ra, ca) in pos.items()
    }


_NEIGHBOURS = _key_neighbours()


def plausible_substitution(typed: str, meant: str) -> bool:
    """Whether typing ``typed`` for ``meant`` is a slip: neighbouring keys ("suppory") or
    one vowel for another ("latancy") or a consonant that sounds alike ("budjet"). "waiting"
    for "writing" (a for r) is another word."""
    return (
        typed in _NEIGHBOURS.get(meant, frozenset())
        or (typed in _VOWELS and meant in _VOWELS)
        or frozenset((typed, meant)) in _SOUND_ALIKE
    )


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_index() -> dict[str, set[str]]:
    index: dict[str, set[str]] = {}
    for word in KEYWORDS:
        index.setdefault(word, set()).add(word)
        for d in _deletes(word):
            index.setdefault(d, set()).add(word)
    return index


_INDEX = _build_index()


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one edit, an adjacent transposition included."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return plausible_substitution(a[diff[0]], b[diff[0]])
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@lru_cache(maxsize=4096)
def correct_word(word: str) -> str:
    """The keyword ``word`` is a typo of, or ``word`` itself."""
    if len(word) < MIN_WORD_CHARS or word in KEYWORDS or word in KNOWN_WORDS:
        return word
    candidates: set[str] = set(_INDEX.get(word, ()))
    for d in _deletes(word):
        candidates |= _INDEX.get(d, set())
    matches = sorted(
        c
        for c in candidates
        if c[0] == word[0]
        and _one_edit(word, c)
        # "write"/"writer", "member"/"members": an ending, not a typo; a doubled last letter
        # ("chatbott") is a slip
        and (word == c + c[-1] or not (c.startswith(word) or word.startswith(c)))
    )
    if len(matches) == 1 and not (_PEOPLE_PLURAL.fullmatch(word) and matches[0][-2:] != word[-2:]):
        return matches[0]
    # "usres"/"users": a transposition shares a deletion key but is found above; several
    # equally close keywords mean the word is ambiguous and stays.
    return word


def correct_typos(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with typos of keywords repaired, and the (typo, correction) pairs."""
    fixes: list[tuple[str, str]] = []

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        fixed = correct_word(word)
        if fixed != word:
            fixes.append((word, fixed))
        return fixed

    return _WORD.sub(repl, text), fixes
