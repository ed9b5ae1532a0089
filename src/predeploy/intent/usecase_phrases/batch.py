"""Use-case cues of batch processing: offline jobs, record-by-record processing, and saying
that nobody waits on the answer.
"""

from __future__ import annotations

from predeploy.core.types import UseCase

U = UseCase

#: Nobody waits on the answer: "nobody is waiting on it", "no one's waiting", "no human waits
#: for the results", "nobody reads them until morning", "not user-facing", "non-interactive".
NOBODY_WAITS = (
    r"(?:no ?one|no-one|nobody|no user|no human|no person|no customer)(?:'s| is| will be"
    r"| are)? (?:actually |really |ever )?(?:waiting|waits?|will wait|sitting there|watching"
    r"|in the loop|(?:needs?|reads?|sees?|looks? at|opens?|checks?) (?:it|them|the \w+)"
    r" (?:until|before|till|right away|immediately|live))"
    r"|(?:not|nothing is|isn't|is not) (?:user|customer|client)[- ]facing"
    r"|non-?interactive(?:ly)?|not interactive(?:ly)?|no (?:live|interactive) users"
)

BATCH_PHRASES: tuple[tuple[str, UseCase, float], ...] = (
    # batch processing
    (
        r"batch(?:es|ed)?|in bulk|bulk|offline|overnight|nightly|every night|backfill"
        r"|asynchronous|async|etl|cron|over the weekend|no latency requirement|batch-\w+"
        r"|rubric|scor(?:e|es|ed|ing) against|qa scoring|quality assurance|next[- ]day"
        r"|re-?(?:scor|rank|classif|tag|label|process|index|categori[sz])\w*"
        r"|(?:each|every) (?:weekend|night|sunday|saturday)|weekends"
        # a weekday's night as a schedule: "every Friday night", "each Tuesday evening" ("calls
        # on Friday nights" is when people come, not a job)
        r"|(?:each|every) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
        r" (?:night|evening)"
        # items pushed through a model: "push the week's chat logs through a model", "run
        # 2M rows through the LLM"
        r"|(?:push|pushes|pushing|run|runs|running|feed|feeds|feeding|pipe|pipes|piping|put"
        r"|send|sends|sending|pass|passes|passing) (?:[\w'-]+ ){1,6}?through (?:a|the|an|our"
        r"|some) (?:\w+ )?(?:models?|llms?|pipeline)"
        r"|(?:by|before) (?:the )?(?:next )?morning"
        r"|not time[- ]sensitive|throughput job",
        U.BATCH_PROCESSING,
        3,
    ),
    # nobody waits on the answer: "nobody is waiting on it", "no one's waiting",
    # "not user-facing", "non-interactive"
    (NOBODY_WAITS, U.BATCH_PROCESSING, 3),
    (
        r"classif(?:y|ies|ying|ication)|tag(?:s|ging)?|label(?:s|ling|ing)?|extract(?:s|ing|ion)?"
        r"|annotat(?:e|es|ed|ing|ion)|flag(?:s|ging)?"
        r"|categori[sz](?:e|es|ing|ation)|moderat(?:e|ion)|sentiment|entities|ner|dedup(?:e)?"
        r"|enrich(?:ment)?|pull out|parse|parsing|structured fields|analy[sz]e",
        U.BATCH_PROCESSING,
        2,
    ),
    (
        r"pipeline|process(?:es|ing)?|job(?! (?:ads?|postings?|descriptions?|listings?|offers?"
        r"|titles?|seekers?|candidates?|applicants?))",
        U.BATCH_PROCESSING,
        1,
    ),
)
