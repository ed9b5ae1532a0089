"""Prompt and output lengths in tokens, from token, word and page counts.

A length is a number with a unit (tokens, words, pages). Whether it is the prompt or the
output is read from the words around it, nearest first: the noun right after it ("100-token
notes" → output, "8k-token contracts" → prompt), then the closest cue before it ("inputs of
10k tokens", "producing ~700 token texts"), then the use case (generation writes, the rest
read). Explicit token counts win over page and word counts for the same role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from predeploy.core.types import UseCase
from predeploy.intent.numerals import number_from, number_pattern, range_low
from predeploy.intent.text import Doc

#: Words per printed page (single-spaced manuscript page); publishing rule of thumb,
#: e.g. the "about 500 words" figure quoted by Wordcounter.net's words-per-page guide.
WORDS_PER_PAGE = 500.0
#: Tokens per English word: OpenAI's tokenizer guide, "1 token ≈ ¾ of a word".
TOKENS_PER_WORD = 4.0 / 3.0
TOKENS_PER_PAGE = WORDS_PER_PAGE * TOKENS_PER_WORD
#: Words per sentence, an estimate: plain-language guides put the average English sentence at
#: 15-20 words (e.g. the UK GDS style guide's "25 words or fewer"); we take 20. A "line" of an
#: answer ("one-line answers") is one sentence.
WORDS_PER_SENTENCE = 20.0
#: Sentences per paragraph, an estimate (the school rule of thumb of about five).
SENTENCES_PER_PARAGRAPH = 5.0
TOKENS_PER_SENTENCE = WORDS_PER_SENTENCE * TOKENS_PER_WORD
TOKENS_PER_PARAGRAPH = SENTENCES_PER_PARAGRAPH * TOKENS_PER_SENTENCE
#: Vague sizes ("a paragraph", "1-2 sentences") above this count are no answer size.
MAX_VAGUE_COUNT = 10.0
#: Counts written as words before a vague size.
_VAGUE_WORD_COUNTS = {"a": 1.0, "an": 1.0, "a single": 1.0, "a few": 3.0, "a couple of": 2.0}

Role = Literal["prompt", "output"]
UNIT_TOKENS: dict[str, float] = {
    "token": 1.0,
    "tokens": 1.0,
    "tok": 1.0,
    "toks": 1.0,
    "word": TOKENS_PER_WORD,
    "words": TOKENS_PER_WORD,
    "page": TOKENS_PER_PAGE,
    "pages": TOKENS_PER_PAGE,
    "sentence": TOKENS_PER_SENTENCE,
    "line": TOKENS_PER_SENTENCE,
    "paragraph": TOKENS_PER_PARAGRAPH,
}
#: How much a unit is trusted when two lengths fight over one role (higher wins).
_UNIT_RANK = {"token": 3, "word": 2, "page": 1, "sentence": 0, "line": 0, "paragraph": 0}

#: Nouns (and cue words) that mark a length as the prompt or the output.
# fmt: off
OUTPUT_CUES = frozenset(
    [
        "output", "outputs", "out", "response", "responses", "respond", "answer", "answers",
        "reply", "replies", "generate", "generates", "generating", "generated", "produce",
        "produces", "producing", "produced", "write", "writes", "writing", "summary", "summaries",
        "into", "abstract", "abstracts", "note", "notes", "brief",
        "briefs", "completion", "completions", "suggestion", "suggestions", "result", "results",
        "max_tokens", "generation", "generations", "draft", "drafts", "caption", "captions",
        "slogan", "slogans", "description", "descriptions", "story", "stories", "essay", "essays",
        "poem", "poems", "memo", "memos", "digest", "digests", "headline", "headlines",
        "title", "titles", "tagline", "taglines", "bullet", "bullets", "recap", "recaps",
        "overview", "overviews", "synopsis", "takeaways", "highlights", "tldr",
        # what comes back: "gets back ~1k tokens", "returns 300 tokens", "emits 1.2k tokens"
        "back", "returns", "returning", "emit", "emits", "emitting", "spits",
    ]
)
# fmt: on
# fmt: off
PROMPT_CUES = frozenset(
    [
        "input", "inputs", "in", "prompt", "prompts", "context", "contexts", "document",
        "documents", "doc", "docs", "contract", "contracts", "filing", "filings", "report",
        "reports", "transcript", "transcripts", "conversation", "conversations", "paper",
        "papers", "manuscript", "manuscripts", "book", "books", "pdf", "pdfs", "file", "files",
        "ticket", "tickets", "review", "reviews", "record", "records", "form", "forms", "history",
        "question", "questions", "query", "queries", "source", "sources", "chapter", "chapters",
        "thread", "threads", "call", "calls", "reading", "read", "reads", "log", "logs",
        "recording", "recordings", "codebase", "repository", "repo", "case", "cases", "notes_in",
        # what is sent: "sends ~8k tokens of context", "feeds 3k tokens", "pastes 2k tokens"
        "send", "sends", "sending", "feed", "feeds", "feeding", "pass", "passes", "submit",
        "submits", "upload", "uploads", "paste", "pastes", "ingest", "ingests",
        # the code a review reads: "diffs ~4k tokens", "PRs of 2k tokens"
        "diff", "diffs", "patch", "patches", "pr", "prs", "commit", "commits", "changeset",
        "changesets", "traceback", "tracebacks", "stacktrace", "stacktraces",
    ]
)
# fmt: on
#: Words that name the role itself, which a following noun cannot override ("input documents").
# fmt: off
_ROLE_WORDS = frozenset(
    [
        "input", "inputs", "output", "outputs", "prompt", "prompts", "context", "contexts",
        "response", "responses", "completion", "completions", "answer", "answers", "reply",
        "replies", "in", "out",
    ]
)
# fmt: on
#: Cue words that are prepositions, never the head of a noun phrase ("a 10-page report into").
_PREPOSITIONS = frozenset(["in", "into", "out"])
_CUE_ROLES: dict[str, Role] = {
    **dict.fromkeys(PROMPT_CUES, "prompt"),
    **dict.fromkeys(OUTPUT_CUES, "output"),
}
#: Nouns whose role depends on the use case: written by generators, read by the others.
# fmt: off
AMBIGUOUS_NOUNS = frozenset(
    [
        "text", "texts", "article", "articles", "email", "emails", "post", "posts", "message",
        "messages", "page", "pages", "code", "snippet", "snippets", "function", "functions",
        "copy", "content",
    ]
)
# fmt: on
GENERATIVE_USE_CASES = frozenset(
    {UseCase.CONTENT_GENERATION, UseCase.CODE_GENERATION, UseCase.CODE_COMPLETION}
)

_NUM = number_pattern("num")
_NUM2 = number_pattern("num2")
_UNIT_RE = r"(?P<unit>tokens?|toks?|words?|pages?)"
_LENGTH = re.compile(
    rf"(?:{_NUM2}\s*(?:-|to|and)\s*)?{_NUM}\+?\s*(?:-\s*)?{_UNIT_RE}\b(?!\s*(?:per|/|a|an)\s"
    rf"*(?:second|sec|s|minute|min|hour|day)\b)"
)
#: A vague answer size: "one-line answers", "1-2 short paragraphs", "a paragraph or 2",
#: "a few sentences" (normalized text writes number words as digits).
_VAGUE_LENGTH = re.compile(
    r"(?:(?P<low>\d+)\s*(?:-|to|or)\s*)?(?P<count>\d+(?:\.\d+)?|a single|a few|a couple of|an?)"
    r"\s*(?:-\s*)?(?:short |brief |concise |long |full |small )?"
    r"(?P<unit>sentence|line|paragraph)s?\b(?:\s+or\s+(?P<high>\d+)\b)?"
    r"(?![\w-]|\s*(?:per|/|a|an)\s*(?:second|sec|s|minute|min|hour|day)\b)"
)
#: A context requirement: "context window of 32k tokens", "up to 100k tokens", "max 8k tokens
#: of context". A bare "max 500 tokens" is a length (a cap on the answer), not a context.
_CONTEXT_WINDOW = re.compile(
    rf"(?:context(?: window| length)?(?: of)?|up to|as long as)\s*"
    rf"(?:about |around |~)?{_NUM}\s*(?:-\s*)?(?:tokens?|toks?)\b(?:\s*(?:of )?context)?"
    rf"|max(?:imum)?(?: of)?\s*(?:about |around |~)?{_NUM2}\s*(?:-\s*)?(?:tokens?|toks?)\b"
    rf"\s*(?:of )?context"
)
#: A token count of a whole collection, not of one request: "our knowledge base is 3M tokens
#: in total", "a corpus of 40M tokens".
_COLLECTION_BEFORE = re.compile(
    r"\b(?:corpus|corpora|knowledge ?base|kb|dataset|data set|archive|collection|library"
    r"|total of|in total|altogether|all (?:our|the) (?:docs|documents|data))\b[^,;.]{0,25}$"
)
#: Characters between a page or word count and an "up to N tokens" that restates it.
RESTATED_LENGTH_MAX_GAP_CHARS = 12
_CONTEXT_WORD = re.compile(r"\b(?:context|window)\b")
_COLLECTION_AFTER = re.compile(r"^\s*(?:in total|total|overall|altogether|combined|in all)\b")
_WORD = re.compile(r"[a-z_][a-z'_-]*")
#: Participles of a transformation: the length right before "<verb> into/to/down" is what is
#: transformed, the input ("transcripts of ~3k tokens condensed into 150 tokens").
_TRANSFORM_VERBS = frozenset(
    [
        "condensed", "condense", "distilled", "distill", "distil", "boiled", "boil", "compressed",
        "compress", "shortened", "shorten", "reduced", "reduce", "cut", "trimmed", "turned",
        "turn", "converted", "convert", "summarized", "summarised", "summarize", "summarise",
        "rewritten", "rewrite", "translated", "translate", "squeezed", "whittled", "collapsed",
    ]
)  # fmt: skip
_TRANSFORM_LINKS = frozenset(["into", "to", "down"])
#: A length in parentheses before a transformation is the input: "(~1,200 tokens) into
#: 150-token summaries", "(approx 3k tokens) -> 250 token summary".
_INTO_AFTER_PAREN = re.compile(r"[^()]{0,20}\)\s*(?:into|->|=>|\u2192)(?![\w-])")
#: A bare count right after a length, in the other direction, that shares its unit: "2.5k
#: tokens in, 200 out", "3k tokens of input and ~250 back", "800 words in / 100 out".
_UNITLESS_PARTNER = re.compile(
    rf"\s*(?:in|input|of input|prompt|out|output|back)?\s*(?:,|and|/|;|->|=>|\u2192)\s*"
    rf"(?:about |around |roughly |approx\.? |~)?{_NUM}\s*(?P<dir>in|input|out|output|back)\b"
    rf"(?![\w-]|\s+(?:total|all|parallel|a row|flight|progress|use|production)\b)"
)
_PARTNER_ROLES: dict[str, Role] = {
    "in": "prompt",
    "input": "prompt",
    "out": "output",
    "output": "output",
    "back": "output",
}
#: Words after a length that end its noun phrase.
_JOINERS = frozenset({"and", "or", "but", "while", "with", "for", "per", "to", "than", "vs"})
#: Words that cap a length with nothing else said: a cap is what max_tokens limits, the output.
_CAP_WORDS = frozenset({"max", "maximum", "capped", "cap"})
#: Prepositions that introduce the source read: "briefs from 5k-token feeds".
_SOURCE_PREPOSITIONS = frozenset(["from"])
#: Output nouns that are also verbs of reading: as verbs their object is the source.
_READING_VERBS = frozenset(["digest", "digests", "recap", "recaps"])
#: Words after which such a word is a verb ("we digest", "to recap", "and then digest"); a
#: clause that starts with it is an imperative ("Digest about 3k tokens of logs").
# fmt: off
_VERB_LEADERS = frozenset(
    [
        "we", "they", "i", "you", "it", "that", "which", "who", "to", "will", "would",
        "should", "must", "can", "could", "and", "then", "please", "also", "automatically",
        "need", "needs", "want", "wants", "helps", "help", "tool", "model", "bot", "assistant",
    ]
)
# fmt: on
#: Words between a cue and a number that do not change its meaning.
_HEDGES = frozenset({"about", "around", "approximately", "roughly", "approx", "some", "up", "to"})


#: Confidence of a role read from the use case alone (no cue around the length).
FALLBACK_ROLE_CONFIDENCE = 0.5


@dataclass(frozen=True)
class LengthFound:
    role: Role
    tokens: float
    unit: str
    start: int
    end: int
    confidence: float


def _singular(word: str) -> str:
    """A plural noun as its singular: "histories" → "history", "chats" → "chat"."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _role_of_word(word: str, use_case: UseCase) -> Role | None:
    word = word.strip("'-")
    if word not in OUTPUT_CUES and word not in PROMPT_CUES and word not in AMBIGUOUS_NOUNS:
        word = _singular(word)
    if word in OUTPUT_CUES:
        return "output"
    if word in PROMPT_CUES:
        return "prompt"
    if word in AMBIGUOUS_NOUNS:
        return "output" if use_case in GENERATIVE_USE_CASES else "prompt"
    return None


def _role(doc: Doc, start: int, end: int, use_case: UseCase) -> tuple[Role, float]:
    """The role of the length at ``[start, end)``, with a confidence."""
    # a closing parenthesis ends the phrase too: "(approx 3k tokens) -> 250 token summary"
    tail = re.split(r"[,;.()]", doc.text[end : end + 40], maxsplit=1)[0]
    after = _WORD.findall(tail)[:2]
    if len(after) == 2 and after[0] in _JOINERS:
        after = after[:1]  # "3k tokens and responses 300": the next noun is someone else's
    clause_start, _ = doc.clause_bounds(start)
    before = _WORD.findall(doc.text[max(clause_start, start - 60) : start])[-6:]
    # 1. the word right after the length: "3k tokens in", "(30k tokens) into abstracts",
    #    "100-token notes", "120k token inputs"
    if after[:1] == ["in"] or after[:1] == ["into"] or _INTO_AFTER_PAREN.match(doc.text, end):
        return "prompt", 0.85
    if after[:1] == ["out"]:
        return "output", 0.85
    if len(after) == 2 and after[0] in _TRANSFORM_VERBS and after[1] in _TRANSFORM_LINKS:
        return "prompt", 0.85
    cues = [_CUE_ROLES.get(word) for word in after]
    if (
        len(cues) == 2
        and cues[0] is not None
        and cues[1] is not None
        and cues[0] != cues[1]
        and after[0] not in _ROLE_WORDS
        and after[1] not in _PREPOSITIONS
    ):
        # a compound noun's head is its last word: "80-token ticket notes" are notes
        return cues[1], 0.85
    for cue in cues:
        if cue is not None:
            return cue, 0.9
    # 2. "… 2,500 summaries per day, each about 3,000 tokens" / "(20k tokens each)": the
    #    length of the items just counted, which generators write and the others read
    lead = [w for w in before if w not in _HEDGES]
    # 1b. the length right after "<transformed> into/to/down to" is the result
    links = lead[-3:] if lead[-2:-1] == ["down"] else lead[-2:]
    if len(links) >= 2 and links[0] in _TRANSFORM_VERBS and links[-1] in ("into", "to"):
        return "output", 0.85
    if (lead and lead[-1] == "each") or after[:1] == ["each"]:
        return ("output" if use_case in GENERATIVE_USE_CASES else "prompt"), 0.75
    # 3. "<noun> of ~N tokens": the length of that noun
    if len(lead) >= 2 and lead[-1] == "of":
        role = _role_of_word(lead[-2], use_case)
        if role is None:
            role = "output" if use_case in GENERATIVE_USE_CASES else "prompt"
        return role, 0.8
    # 3b. what something is made "from" is its source: "a digest from 5k-token news feeds"
    #     (a length heading a noun; "from 500 to 800 tokens" is a range)
    if lead and lead[-1] in _SOURCE_PREPOSITIONS and after and after[0] not in _JOINERS:
        return "prompt", 0.75
    # 4. a cap right before the length is the answer's limit: "(max 500 tokens)"
    if lead and lead[-1] in _CAP_WORDS:
        return "output", 0.7
    # 5. the nearest cue before the length ("inputs of 10k tokens", "producing 700 tokens");
    #    "digest"/"recap" as a verb take the source as object ("digest 3k tokens of logs")
    for i in range(len(before) - 1, -1, -1):
        role = _role_of_word(before[i], use_case)
        if role is not None:
            if before[i] in _READING_VERBS and (i == 0 or before[i - 1] in _VERB_LEADERS):
                return "prompt", 0.75
            return role, 0.8
    # 6. an ambiguous noun after, resolved by the use case ("400-token emails")
    for word in after:
        role = _role_of_word(word, use_case)
        if role is not None:
            return role, 0.7
    # 7. the use case alone
    return ("output" if use_case in GENERATIVE_USE_CASES else "prompt"), FALLBACK_ROLE_CONFIDENCE


def _unitless_partners(doc: Doc, best: dict[Role, LengthFound]) -> None:
    """A bare count beside a length that names the other direction takes the length's unit:
    "2.5k tokens in, 200 out" gives 200 output tokens (``count × tokens per unit``)."""
    for found in list(best.values()):
        m = _UNITLESS_PARTNER.match(doc.work, found.end)
        if m is None:
            continue
        role = _PARTNER_ROLES[m.group("dir")]
        if role == found.role or role in best:
            continue
        tokens = number_from(m) * UNIT_TOKENS[found.unit]
        best[role] = LengthFound(role, tokens, found.unit, m.start(), m.end(), 0.75)
        doc.consume(m.start(), m.end())


def _vague_lengths(doc: Doc, use_case: UseCase, best: dict[Role, LengthFound]) -> None:
    """Vague sizes ("a paragraph", "one-line answers") for roles no count in tokens, words
    or pages filled: ``count × tokens per unit``, a range at its midpoint. The role comes from
    the words around them; with no cue they describe the answer."""
    for m in list(_VAGUE_LENGTH.finditer(doc.work)):
        count_text = m.group("count")
        count = _VAGUE_WORD_COUNTS.get(count_text) or float(count_text)
        other = m.group("low") or m.group("high")
        if other is not None:
            count = (count + float(other)) / 2.0
        if not 0 < count <= MAX_VAGUE_COUNT:
            continue
        role, conf = _role(doc, m.start(), m.end(), use_case)
        if conf <= FALLBACK_ROLE_CONFIDENCE:
            role = "output"
        if role not in best:
            unit = m.group("unit")
            best[role] = LengthFound(
                role, count * UNIT_TOKENS[unit], unit, m.start(), m.end(), min(conf, 0.6)
            )
        doc.consume(m.start(), m.end())


def find_lengths(doc: Doc, use_case: UseCase) -> tuple[dict[Role, LengthFound], float | None]:
    """Prompt/output lengths (tokens, one per role) and a minimum context if stated."""
    context: float | None = None
    context_at: tuple[int, int] | None = None
    for m in list(_CONTEXT_WINDOW.finditer(doc.work)):
        context = number_from(m) if m.group("num") else number_from(m, "num2")
        context_at = (m.start(), m.end())
        doc.consume(m.start(), m.end())
    best: dict[Role, LengthFound] = {}
    for m in list(_LENGTH.finditer(doc.work)):
        unit = m.group("unit")
        value = number_from(m)
        if _COLLECTION_AFTER.match(doc.text, m.end()) or _COLLECTION_BEFORE.search(
            doc.text, max(0, m.start() - 60), m.start()
        ):
            doc.consume(m.start(), m.end())
            continue  # the size of a whole collection, not of one request
        if m.group("num2"):
            value = (value + range_low(m)) / 2.0  # a range: its midpoint
        tokens = value * UNIT_TOKENS[unit]
        role, conf = _role(doc, m.start(), m.end(), use_case)
        found = LengthFound(role, tokens, unit.rstrip("s"), m.start(), m.end(), conf)
        current = best.get(role)
        if current is None or _UNIT_RANK[found.unit] > _UNIT_RANK[current.unit]:
            best[role] = found
        doc.consume(m.start(), m.end())
    _unitless_partners(doc, best)
    _vague_lengths(doc, use_case, best)
    prompt = best.get("prompt")
    if (
        prompt is not None
        and prompt.unit != "token"
        and context is not None
        and context_at is not None
        and not _CONTEXT_WORD.search(doc.text, context_at[0], context_at[1])
        and 0 <= context_at[0] - prompt.end <= RESTATED_LENGTH_MAX_GAP_CHARS
    ):
        # "(30-80 pages, up to 40k tokens)": the token count restates the pages' length, and
        # tokens outrank pages
        best["prompt"] = LengthFound("prompt", context, "token", *context_at, prompt.confidence)
        context = None
    return best, context
