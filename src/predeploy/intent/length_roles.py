"""Which role a length in a request plays: the prompt (what is read) or the output (what is
written).

Read from the words around the length, nearest first: the noun right after it ("100-token
notes" → output, "8k-token contracts" → prompt; a compound's head is its last word), a
transformation ("transcripts of ~3k tokens condensed into 150 tokens"), "<noun> of N tokens"
(the noun's role, or, for a noun with none, the nearest cue before it in the clause), a cap
("max 500 tokens" → output), the closest cue before it ("inputs of 10k tokens", "producing
~700 token texts"), and last the use case (generation writes, the rest read).
"""

from __future__ import annotations

import re
from typing import Literal

from predeploy.core.types import UseCase
from predeploy.intent.text import Doc

Role = Literal["prompt", "output"]

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
#: Verbs of sending something to the model: an output noun that is their object ("students
#: upload lecture notes", "we paste meeting notes of 3k tokens") is what is read, the prompt.
_SENDING_VERBS = frozenset(
    ["send", "sends", "sending", "feed", "feeds", "feeding", "pass", "passes", "submit",
     "submits", "upload", "uploads", "paste", "pastes", "ingest", "ingests", "drop", "drops",
     "forward", "forwards", "attach", "attaches", "give", "gives", "hand", "hands", "provide",
     "provides", "share", "shares"]
)  # fmt: skip
#: Output cues that are verbs or role words, never a thing sent: "send ... that generate 500
#: tokens" is still the output.
_OUTPUT_VERB_CUES = frozenset(
    ["respond", "generate", "generates", "generating", "generated", "produce", "produces",
     "producing", "produced", "write", "writes", "writing", "into", "out", "back", "returns",
     "returning", "emit", "emits", "emitting", "spits"]
)  # fmt: skip
_NOT_SENT = _OUTPUT_VERB_CUES | _ROLE_WORDS
#: Words looked back over from a noun for a sending verb whose object it is.
SENT_OBJECT_LOOKBACK_WORDS = 3


def _sent(words: list[str], i: int) -> bool:
    """Whether the word at ``i`` is the object of a sending verb a few words before it
    ("upload lecture notes"), not of one that sends back ("sends back notes")."""
    lo = max(0, i - SENT_OBJECT_LOOKBACK_WORDS)
    for j in range(i - 1, lo - 1, -1):
        if words[j] in _SENDING_VERBS:
            return j + 1 >= len(words) or words[j + 1] not in ("back", "out")
    return False


#: Words between a cue and a number that do not change its meaning.
_HEDGES = frozenset({"about", "around", "approximately", "roughly", "approx", "some", "up", "to"})


#: Confidence of a role read from the use case alone (no cue around the length).
FALLBACK_ROLE_CONFIDENCE = 0.5


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


def length_role(doc: Doc, start: int, end: int, use_case: UseCase) -> tuple[Role, float]:
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
            if cue == "output" and after[0] not in _NOT_SENT and _sent(before, len(before)):
                return "prompt", 0.85  # "upload 2k-token notes": the notes are sent
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
    # 3. "<noun> of ~N tokens": the length of that noun; a noun with no role of its own ("a
    #    short paragraph of about 60 words", "a summary of the risky clauses of 500 words")
    #    takes the role of the nearest cue before it in the clause
    if len(lead) >= 2 and lead[-1] == "of":
        role = _role_of_word(lead[-2], use_case) or _role_before(doc, start, use_case)
        if role == "output" and _sent(lead, len(lead) - 2):
            role = "prompt"  # "we paste meeting notes of 3k tokens": the notes are sent
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
            if role == "output" and before[i] not in _OUTPUT_VERB_CUES and _sent(before, i):
                return "prompt", 0.75  # "students upload lecture notes, 10 pages apiece"
            return role, 0.8
    # 6. an ambiguous noun after, resolved by the use case ("400-token emails")
    for word in after:
        role = _role_of_word(word, use_case)
        if role is not None:
            return role, 0.7
    # 7. the use case alone
    return ("output" if use_case in GENERATIVE_USE_CASES else "prompt"), FALLBACK_ROLE_CONFIDENCE


#: Words looked back over, within the clause, for the role of a "<noun> of N words" whose
#: noun has none ("the summary is a short paragraph of about 60 words").
OF_PHRASE_LOOKBACK_WORDS = 10


def _role_before(doc: Doc, start: int, use_case: UseCase) -> Role | None:
    """The role of the nearest cue word before ``start`` in its clause (not across a comma);
    ``None`` when there is none."""
    clause_start, _ = doc.clause_bounds(start)
    lo = max(clause_start, doc.text.rfind(",", 0, start) + 1)
    words = _WORD.findall(doc.text[lo:start])[-OF_PHRASE_LOOKBACK_WORDS:]
    for word in reversed(words):
        role = _role_of_word(word, use_case)
        if role is not None:
            return role
    return None
