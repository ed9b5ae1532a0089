"""Load: how many users (and of which kind) and how many requests per second.

Rates in any unit become requests/s: ``rate_per_s = count / seconds(unit)``. A job size with a
cadence ("tag 50k tickets in an overnight batch") becomes a derived daily rate. Users are a
number followed by a user noun ("1,200 engineers", "2.5k concurrent visitors") or a team size
("team of 30", "10-person team"); concurrency and daily counts are recorded as ``user_kind``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from predeploy.core.types.intent import UserKind
from predeploy.intent.text import Doc, number_from, number_pattern

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY
#: Mean Gregorian month: 365.25 / 12 days.
SECONDS_PER_MONTH = 365.25 / 12 * SECONDS_PER_DAY
SECONDS_PER_QUARTER = 3 * SECONDS_PER_MONTH
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY

#: Time-unit words and their length in seconds. A nightly job runs once per day.
TIME_UNITS: dict[str, float] = {
    "second": 1.0,
    "seconds": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "s": 1.0,
    "minute": SECONDS_PER_MINUTE,
    "minutes": SECONDS_PER_MINUTE,
    "min": SECONDS_PER_MINUTE,
    "mins": SECONDS_PER_MINUTE,
    "m": SECONDS_PER_MINUTE,
    "hour": SECONDS_PER_HOUR,
    "hours": SECONDS_PER_HOUR,
    "hr": SECONDS_PER_HOUR,
    "hrs": SECONDS_PER_HOUR,
    "h": SECONDS_PER_HOUR,
    "day": SECONDS_PER_DAY,
    "days": SECONDS_PER_DAY,
    "d": SECONDS_PER_DAY,
    "night": SECONDS_PER_DAY,
    "nights": SECONDS_PER_DAY,
    "week": SECONDS_PER_WEEK,
    "weeks": SECONDS_PER_WEEK,
    "wk": SECONDS_PER_WEEK,
    "month": SECONDS_PER_MONTH,
    "months": SECONDS_PER_MONTH,
    "mo": SECONDS_PER_MONTH,
    "year": SECONDS_PER_YEAR,
    "years": SECONDS_PER_YEAR,
    "yr": SECONDS_PER_YEAR,
}
#: Adverbs and phrases of cadence ("300k documents daily", "every night").
CADENCE_WORDS: dict[str, float] = {
    "hourly": SECONDS_PER_HOUR,
    "daily": SECONDS_PER_DAY,
    "nightly": SECONDS_PER_DAY,
    "every night": SECONDS_PER_DAY,
    "each night": SECONDS_PER_DAY,
    "a night": SECONDS_PER_DAY,
    "per night": SECONDS_PER_DAY,
    "every day": SECONDS_PER_DAY,
    "each day": SECONDS_PER_DAY,
    "overnight": SECONDS_PER_DAY,
    "every evening": SECONDS_PER_DAY,
    "weekly": SECONDS_PER_WEEK,
    "every week": SECONDS_PER_WEEK,
    "each week": SECONDS_PER_WEEK,
    "monthly": SECONDS_PER_MONTH,
    "every month": SECONDS_PER_MONTH,
}
#: Abbreviated rate units and their period in seconds.
RATE_ABBREVIATIONS: dict[str, float] = {
    "qps": 1.0,
    "rps": 1.0,
    "req/s": 1.0,
    "reqs/s": 1.0,
    "requests/s": 1.0,
    "queries/s": 1.0,
    "req/sec": 1.0,
    "requests/sec": 1.0,
    "rpm": SECONDS_PER_MINUTE,
    "req/min": SECONDS_PER_MINUTE,
    "rph": SECONDS_PER_HOUR,
    "req/h": SECONDS_PER_HOUR,
    "req/hr": SECONDS_PER_HOUR,
    "rpd": SECONDS_PER_DAY,
    "req/day": SECONDS_PER_DAY,
}

#: Nouns that name people using the service (the count is a user count).
# fmt: off
USER_NOUNS = (
    "users", "user", "people", "persons", "employees", "staff", "staffers", "workers",
    "engineers", "developers", "devs", "programmers", "coders", "agents", "analysts", "learners",
    "students", "pupils", "kids", "children", "members", "customers", "shoppers", "visitors",
    "lawyers", "attorneys", "paralegals", "officers", "seats", "subscribers", "clients",
    "patients", "doctors", "physicians", "clinicians", "nurses", "researchers", "scientists",
    "reps", "representatives", "players", "gamers", "readers", "writers", "editors", "marketers",
    "sellers", "merchants", "teachers", "traders", "callers", "translators", "interpreters",
    "technicians", "auditors", "managers", "accountants", "consultants", "operators", "testers",
    "designers", "creators", "copywriters", "journalists", "volunteers", "residents", "citizens",
    "tenants", "guests", "passengers", "policyholders", "fans", "followers", "viewers",
    "listeners", "buyers", "partners", "dealers", "drivers", "associates", "colleagues",
    "teammates", "specialists", "investigators", "underwriters", "adjusters", "officials",
    "pharmacists", "dentists", "tutors", "instructors", "professors", "faculty", "recruiters",
    "planners", "brokers", "advisors", "advisers", "bankers", "dau", "mau", "daus", "maus",
    "seat licenses", "licenses", "accounts", "stakeholders", "sres", "admins",
    "administrators", "architects", "reviewers", "moderators", "contributors", "maintainers",
    "folks", "humans", "individuals", "interns", "trainees", "owners", "hosts", "annotators",
    "labelers", "surgeons", "radiologists", "therapists", "counselors", "coaches", "mentors",
    "parents", "families", "households", "farmers", "salespeople", "retailers", "vendors",
    "suppliers", "freelancers", "authors", "bloggers", "streamers", "influencers", "patrons",
    "clerks", "cashiers", "dispatchers", "inspectors", "lecturers", "educators", "graduates",
    "alumni", "applicants", "candidates", "attendees", "participants", "respondents",
    "travelers", "travellers", "riders", "executives", "leaders", "directors", "vps", "ceos",
    "founders", "supervisors", "operatives", "ppl", "peeps", "investors", "economists",
)
# fmt: on
#: Nouns that count as users only with a concurrency word ("400 concurrent calls").
# fmt: off
CONCURRENT_NOUNS = (
    "calls", "chats", "sessions", "conversations", "connections", "streams", "requests",
    "threads", "dialogs", "dialogues",
)
# fmt: on
#: Words between a number and its noun that do not belong to a noun phrase.
# fmt: off
_STOP_WORDS = frozenset(
    [
        "and", "or", "for", "of", "with", "in", "on", "to", "from", "by", "at", "per", "the", "a",
        "an", "than", "into", "about", "as", "is", "are", "was", "be", "each", "every", "that",
        "which", "who", "we", "our", "their", "your", "this", "these", "those", "but", "if",
    ]
)
# fmt: on
_CONCURRENT_WORDS = re.compile(
    r"\b(?:concurrent(?:ly)?|simultaneous(?:ly)?|parallel|at once|at the same time|online"
    r"|active at once|live|in parallel|at peak|peak)\b"
)
_TOTAL_WORDS = re.compile(
    r"\b(?:total|registered|monthly|mau|maus|in total|overall|all|named|licensed)\b"
)
_DAILY_WORDS = re.compile(r"\b(?:daily|per day|a day|each day|every day|dau|daus)\b")

_NUM = number_pattern("num")
_APPROX = r"(?:(?:about|around|approx(?:imately|\.)?|roughly|~|up to|over|more than|nearly|almost|some|>|at least|circa|ca\.)\s*)?"  # noqa: E501
_NOUN_WORDS = r"(?P<words>(?:[a-z][a-z'-]*(?:\s+|(?=/))){0,3}?)"
_UNIT = "|".join(sorted((re.escape(u) for u in TIME_UNITS), key=len, reverse=True))
_CADENCE = "|".join(sorted((re.escape(c) for c in CADENCE_WORDS), key=len, reverse=True))
_ABBR = "|".join(sorted((re.escape(a) for a in RATE_ABBREVIATIONS), key=len, reverse=True))
_USER = "|".join(sorted((re.escape(u) for u in USER_NOUNS), key=len, reverse=True))
_CONC = "|".join(CONCURRENT_NOUNS)

_RATE_ABBR = re.compile(rf"{_NUM}\+?\s*(?P<abbr>{_ABBR})(?![\w/])")
#: "per day", "a second", "/min", "/s": a word separator needs a space and a unit word; the
#: slash also takes single-letter units.
_WORD_UNIT = "|".join(
    sorted((re.escape(u) for u in TIME_UNITS if len(u) > 1), key=len, reverse=True)
)
_RATE_PER = re.compile(
    rf"{_NUM}\+?\s*{_NOUN_WORDS}(?:(?:per|a|an|each|every)\s+(?P<unit>{_WORD_UNIT})"
    rf"|/\s*(?P<slash_unit>{_UNIT}))(?![\w/])"
)
_RATE_CADENCE = re.compile(rf"{_NUM}\+?\s*{_NOUN_WORDS}(?P<cadence>{_CADENCE})\b")
_PER_USER_TAIL = re.compile(
    rf"^\s*(?:each|per (?:{_USER}|head|person|user)|for each (?:{_USER}|user))\b"
)
_PER_USER_RATE = re.compile(
    rf"{_NUM}\s*{_NOUN_WORDS}per (?:{_USER}|head|person)\s*(?:per|/|a|an|each|every)\s*"
    rf"(?P<unit>{_UNIT})\b"
)
#: Things a batch job processes; "50k tickets" with a cadence word is a job size.
# fmt: off
ITEM_NOUNS = (
    "documents", "docs", "invoices", "records", "reviews", "tickets", "notes", "emails", "forms",
    "files", "items", "rows", "images", "transcripts", "skus", "tweets", "articles", "messages",
    "posts", "contracts", "reports", "claims", "receipts", "products", "listings", "recordings",
    "pages", "entries", "comments", "filings", "papers", "resumes", "cvs", "applications",
    "orders", "logs", "summaries", "translations", "descriptions", "prompts",
)
# fmt: on
_ITEMS = "|".join(ITEM_NOUNS)
_JOB_SIZE = re.compile(
    rf"{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,3}}?)(?P<item>[a-z][a-z-]*s)\b"
)
#: Plural nouns that are never the items of a batch job.
_NOT_ITEMS = frozenset(
    {
        "tokens",
        "languages",
        "gpus",
        "dollars",
        "seconds",
        "minutes",
        "hours",
        "days",
        "weeks",
        "months",
        "years",
        "nights",
        "percents",
        "times",
        "cards",
        "nodes",
        "replicas",
        "models",
    }
)
_PEAK_WORDS = re.compile(r"\b(?:peak|at (?:the )?busiest|burst(?:s|y)?|spikes?|max(?:imum)?)\b")
_AVERAGE_WORDS = re.compile(r"\b(?:average|avg|on average|mean|sustained|steady|typical)\b")

_USERS = re.compile(
    rf"{_APPROX}{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,3}}?)(?P<noun>{_USER})\b"
)
_CONCURRENT_USERS = re.compile(
    rf"{_APPROX}{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,2}}?)(?P<noun>{_CONC})\b"
)
_TEAM = re.compile(
    rf"\b(?:team|group|staff|company|lab|department|org(?:anization|anisation)?|firm|office"
    rf"|workforce|class|cohort|community|user ?base|audience|clan|guild|crew|squad|club|society"
    rf"|association|network|server|union|congregation|fleet) of {_APPROX}{_NUM}\b(?!\s*[a-z]*\s*(?:{_ITEMS}))"  # noqa: E501
)
_SINGULAR_USER = "|".join(
    sorted({u[:-1] for u in USER_NOUNS if u.endswith("s") and " " not in u}, key=len, reverse=True)
)
_N_PERSON = re.compile(
    rf"{_NUM}[- ](?:(?:person|people|member|strong|seat|{_SINGULAR_USER})\b|[a-z]+[- ]?(?:team"
    rf"|group|department|firm|office|class|company|startup|org|organi[sz]ation|practice|agency"
    rf"|lab|university|school|college|hospital|clinic|workforce|community)\b)"
)
#: "Users: 2500", "user count = 2,500", "headcount of 300".
_USERS_LABEL = re.compile(
    rf"\b(?:users|user count|number of users|employees|headcount|head count|staff|seats"
    rf"|audience|user ?base)\s*(?::|=|is|are|of|around|about|~|approx(?:imately)?)\s*"
    rf"{_APPROX}{_NUM}\b(?!\s*[a-z]*\s*(?:{_ITEMS}))"
)
#: The count after the people it counts: "our devs (about 1k)", "technicians (~700 of them)",
#: "engineers, 700 of them".
_USERS_AFTER_NOUN = re.compile(
    rf"\b(?:{_USER})\s*(?:\(|,|-)?\s*{_APPROX}{_NUM}\+?\s*(?:of them\b\)?|(?:in total|total"
    rf"|or so|people|strong)?\s*\))"
)
#: Agent nouns outside :data:`USER_NOUNS` ("200 investors", "40 pharmacists") after "for",
#: "used by" or "serving": the endings of nouns for people, less the things that share them.
_AGENT_NOUN = re.compile(r"[a-z]{2,}(?:ers|ors|ists|ians|ees|ants|ives)")
# fmt: off
_NOT_PEOPLE = frozenset(
    [
        "servers", "containers", "parameters", "characters", "letters", "papers", "numbers",
        "orders", "headers", "layers", "clusters", "centers", "computers", "printers", "filters",
        "folders", "chapters", "registers", "quarters", "meters", "liters", "markers", "answers",
        "sensors", "monitors", "processors", "vectors", "tensors", "factors", "errors", "others",
        "files", "variants", "restaurants", "plants", "grants", "warrants", "adapters",
        "transformers", "routers", "trackers", "archives", "incentives",
        "initiatives", "derivatives", "alternatives", "lookers", "buckets", "shelters",
        "offers", "trailers", "covers", "corridors", "doors", "floors", "colors", "colours",
        "mirrors", "actuators", "simulators", "generators", "connectors", "detectors",
        "indicators", "selectors", "calculators", "accelerators", "controllers", "loaders",
    ]
)
# fmt: on
_FOR_AGENT = re.compile(
    rf"\b(?:for|used by|shared by|serving|serve|serves|supporting|support) (?:our |their |the )?"
    rf"{_APPROX}{_NUM}\+?\s+(?:[a-z-]+\s+)?(?P<noun>[a-z]+)\b"
)
_BARE_CONCURRENT = re.compile(rf"{_APPROX}{_NUM}\+?\s*(?:concurrent|simultaneous)\b")
_FOR_BARE = re.compile(rf"\bfor {_APPROX}{_NUM}\s*(?=[,;.)]|$| and\b| with\b)")


@dataclass(frozen=True)
class Found:
    """A value read from the text with its evidence span."""

    value: float
    start: int
    end: int
    confidence: float


@dataclass(frozen=True)
class UsersFound(Found):
    #: ``None`` when the text does not say (the intent then defaults to "total").
    kind: UserKind | None


@dataclass(frozen=True)
class RateFound(Found):
    peak: bool
    average: bool
    derived: bool
    item_noun: bool
    per_user: bool = False


def _noun_phrase_ok(words: str) -> bool:
    return not any(w in _STOP_WORDS for w in words.split())


def _has_user_noun(words: str) -> bool:
    return any(re.fullmatch(_USER, w) for w in words.split())


def _rate_flags(doc: Doc, start: int, end: int) -> tuple[bool, bool]:
    lo, hi = doc.clause_bounds(start)
    window = doc.text[max(lo, start - 30) : min(hi, end + 25)]
    return bool(_PEAK_WORDS.search(window)), bool(_AVERAGE_WORDS.search(window))


def find_rates(doc: Doc) -> list[RateFound]:
    """Every request rate the text states, in requests/s; consumes their spans."""
    found: list[RateFound] = []

    def add(m: re.Match[str], period_s: float, *, derived: bool, conf: float) -> None:
        words = m.groupdict().get("words") or ""
        item = bool(re.search(rf"\b(?:{_ITEMS})\b", words)) or bool(m.groupdict().get("item"))
        peak, average = _rate_flags(doc, m.start(), m.end())
        tail = doc.work[m.end() : m.end() + 30]
        per_user = bool(_PER_USER_TAIL.match(tail))
        found.append(
            RateFound(
                value=number_from(m) / period_s,
                start=m.start(),
                end=m.end(),
                confidence=conf,
                peak=peak and not average,
                average=average,
                derived=derived,
                item_noun=item,
                per_user=per_user,
            )
        )
        doc.consume(m.start(), m.end())

    for m in list(_PER_USER_RATE.finditer(doc.work)):
        if "token" in m.group("words"):
            continue
        peak, average = _rate_flags(doc, m.start(), m.end())
        found.append(
            RateFound(
                value=number_from(m) / TIME_UNITS[m.group("unit")],
                start=m.start(),
                end=m.end(),
                confidence=0.8,
                peak=peak,
                average=average,
                derived=False,
                item_noun=False,
                per_user=True,
            )
        )
        doc.consume(m.start(), m.end())
    for m in list(_RATE_ABBR.finditer(doc.work)):
        add(m, RATE_ABBREVIATIONS[m.group("abbr")], derived=False, conf=0.95)
    for m in list(_RATE_PER.finditer(doc.work)):
        words = m.group("words")
        if not _noun_phrase_ok(words) or _has_user_noun(words) or "token" in words:
            continue
        add(m, TIME_UNITS[m.group("unit") or m.group("slash_unit")], derived=False, conf=0.9)
    for m in list(_RATE_CADENCE.finditer(doc.work)):
        words = m.group("words")
        if not words.strip() or not _noun_phrase_ok(words) or _has_user_noun(words):
            continue
        if "token" in words:
            continue
        add(m, CADENCE_WORDS[m.group("cadence")], derived=False, conf=0.8)
    if not found:
        cadence = re.search(rf"\b(?:{_CADENCE})\b", doc.text)
        if cadence is not None:
            for m in list(_JOB_SIZE.finditer(doc.work)):
                item = m.group("item")
                if not _noun_phrase_ok(m.group("words")) or item in _NOT_ITEMS:
                    continue
                if re.fullmatch(_USER, item) or _has_user_noun(m.group("words")):
                    continue
                add(m, CADENCE_WORDS[cadence.group(0)], derived=True, conf=0.6)
                break
    return found


def find_users(doc: Doc) -> UsersFound | None:
    """The user count the text states (first clear mention), with its kind; consumes it."""
    candidates: list[UsersFound] = []
    for m in _USERS.finditer(doc.work):
        words = m.group("words")
        if not _noun_phrase_ok(words):
            continue
        candidates.append(_users(doc, m, words + m.group("noun"), 0.9))
        break
    if not candidates:
        for m in _CONCURRENT_USERS.finditer(doc.work):
            words = m.group("words")
            if _noun_phrase_ok(words) and _CONCURRENT_WORDS.search(words):
                candidates.append(_users(doc, m, words, 0.85, kind="concurrent"))
                break
    if not candidates:
        for pattern, conf in (
            (_N_PERSON, 0.85),
            (_USERS_LABEL, 0.85),
            (_TEAM, 0.8),
            (_USERS_AFTER_NOUN, 0.8),
            (_BARE_CONCURRENT, 0.7),
        ):
            found = pattern.search(doc.work)
            if found is not None:
                candidates.append(_users(doc, found, found.group(0), conf))
                break
    if not candidates:
        for m in _FOR_AGENT.finditer(doc.work):
            noun = m.group("noun")
            if _AGENT_NOUN.fullmatch(noun) and noun not in _NOT_PEOPLE:
                candidates.append(_users(doc, m, m.group(0), 0.6))
                break
    if not candidates:
        bare = _FOR_BARE.search(doc.work)
        if bare is not None:
            candidates.append(_users(doc, bare, "", 0.5))
    if not candidates:
        return None
    best = candidates[0]
    doc.consume(best.start, best.end)
    return best


def _users(
    doc: Doc, m: re.Match[str], words: str, conf: float, kind: UserKind | None = None
) -> UsersFound:
    tail = doc.text[m.end() : m.end() + 25]
    context = words + " " + tail
    if kind is None:
        if _CONCURRENT_WORDS.search(words) or re.match(
            r"\s*(?:at once|at the same time|online|concurrently|simultaneously|at peak)", tail
        ):
            kind = "concurrent"
        elif _DAILY_WORDS.search(context.split(",")[0]) or re.search(r"\bdau", words):
            kind = "daily"
        elif _TOTAL_WORDS.search(words):
            kind = "total"
    return UsersFound(
        value=number_from(m), start=m.start(), end=m.end(), confidence=conf, kind=kind
    )
