"""Cadence words that describe things rather than schedule work.

"Quarterly earnings reports" are reports published each quarter, not a job run each quarter:
a count near them ("often a hundred pages") is no number of items per quarter. A cadence
word schedules a job when it is an adverb ("runs nightly on the H100s") or qualifies a job
noun ("a nightly batch", "the weekly run"); before any other noun phrase it is an adjective
of that noun, and only a count of that noun takes the cadence ("50k monthly invoices").
"""

from __future__ import annotations

import re

from predeploy.intent.load import noun_phrase_ok

#: Nouns of a job that a cadence word before them schedules: "a nightly batch", "weekly run".
JOB_NOUNS = frozenset(
    ["batch", "batches", "job", "jobs", "run", "runs", "pipeline", "pipelines", "backfill",
     "sweep", "sweeps", "cron", "sync", "export", "exports", "import", "imports", "dump",
     "dumps", "load", "loads", "ingest", "ingestion", "crawl", "crawls", "process", "processing",
     "window", "basis", "cadence", "volume", "volumes", "traffic", "workload", "schedule"]
)  # fmt: skip
#: A noun phrase right after a cadence word, ending in a plural head: "quarterly earnings
#: reports", "monthly invoices".
_NOUN_PHRASE_AFTER = re.compile(r" ((?:[a-z][a-z'-]*\s+){0,2}?[a-z][a-z'-]*s)\b")


def described_items(text: str, end: int) -> frozenset[str]:
    """The plural head noun that the cadence word ending at ``end`` qualifies, when it is an
    adjective of a noun phrase ("quarterly earnings reports" → {"reports"}); empty when it
    schedules a job ("a nightly batch of tickets") or is an adverb ("tickets nightly, on
    L4s")."""
    m = _NOUN_PHRASE_AFTER.match(text, end)
    if m is None:
        return frozenset()
    words = m.group(1).split()
    if not noun_phrase_ok(m.group(1)) or any(w in JOB_NOUNS for w in words):
        return frozenset()
    return frozenset([words[-1]])
