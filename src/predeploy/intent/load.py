"""Users: how many people use the service, and of which kind (concurrent, daily, total).

Users are a number followed by a user noun ("1,200 engineers", "2.5k concurrent visitors") or a
team size ("team of 30", "10-person team"); concurrency and daily counts are recorded as
``user_kind``. Request rates are read in :mod:`predeploy.intent.rates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from predeploy.core.types.intent import UserKind
from predeploy.intent.groups import bare_groups, group_multiplier
from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.shares import share_after, share_before
from predeploy.intent.text import Doc

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
    "postdocs", "phds", "fellows", "academics", "ccu", "pccu", "ccus", "hires", "new hires",
    "recruits", "joiners", "new joiners", "newcomers", "personnel", "undergraduates",
    "undergrads", "postgraduates", "postgrads", "grad students", "sophomores",
    # short forms of people nouns: "maintenance techs", "our execs"
    "techs", "execs", "profs", "medics", "paramedics", "mechanics", "vets", "mgrs", "temps",
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
    r"\b(?:ccus?|pccu|concurrent(?:ly)?|simultaneous(?:ly)?|parallel|at once|at the same time"
    r"|online|active at once|live|in parallel|at peak|peak)\b"
)
_TOTAL_WORDS = re.compile(
    r"\b(?:total|registered|monthly|mau|maus|in total|overall|all|named|licensed)\b"
)
_DAILY_WORDS = re.compile(r"\b(?:daily|per day|a day|each day|every day|dau|daus)\b")

_NUM = number_pattern("num")
_APPROX = r"(?:(?:about|around|approx(?:imately|\.)?|roughly|~|up to|over|more than|nearly|almost|some|>|at least|circa|ca\.)\s*)?"  # noqa: E501
NOUN_WORDS = r"(?P<words>(?:[a-z][a-z'-]*(?:\s+|(?=/))){0,3}?)"
USER_PATTERN = "|".join(sorted((re.escape(u) for u in USER_NOUNS), key=len, reverse=True))
_CONC = "|".join(CONCURRENT_NOUNS)
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
ITEMS_PATTERN = "|".join(ITEM_NOUNS)

#: Compound nouns for people ending in a people noun: "caseworkers", "salespeople",
#: "policyholders", "co-owners".
_COMPOUND_USER = (
    r"[a-z]+-?(?:workers|holders|keepers|people|folks|users|members|owners|managers|makers"
    r"|writers|leaders|agents|staff|seekers|takers|givers|goers|dwellers)"
    # "high-schoolers", "middle schoolers", "homeschoolers", "5th-graders", "ninth graders"
    r"|(?:[a-z]+-?)?schoolers|(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth"
    r"|seventh|eighth|ninth|tenth|eleventh|twelfth)[- ]graders"
    # agent nouns by suffix: "linguists", "librarians", "pediatricians"; lists of things
    # ("checklists", "playlists") are no people
    r"|(?!(?:check|play|wish|short|black|white|allow|deny|block|price|long)lists\b)"
    r"[a-z]{3,}(?:ists|ians)"
    # people by their role: "secretaries", "notaries", "retirees", "franchisees"
    r"|(?:secret|not|dignit|benefici|mission|emiss|function|vision|intermedi|adversi)aries"
    r"|(?:retir|franchis|licens|appoint|nomin|ment|interview|pay|enroll|detain|trust|grant"
    r"|assign|refug|evacu|invit|address|escap|devot)ees"
)
_USERS = re.compile(
    rf"{_APPROX}{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,3}}?)"
    rf"(?P<noun>{USER_PATTERN}|{_COMPOUND_USER})\b"
)
#: A second count joined to the first: "8 PhD students + 2 postdocs", "30k students and 5k
#: staff" (both counts are users of the same service).
_JOINED_USERS = re.compile(
    rf"\s*(?:\+|plus|and|&)\s*{_APPROX}{_NUM}\+?\s*(?:[a-z][a-z'-]*\s+){{0,2}}?"
    rf"(?:{USER_PATTERN}|{_COMPOUND_USER})\b"
)
#: A concurrency stated beside a total: "2,400 nurses ..., perhaps 300 concurrent at peak",
#: "250k MAU, peak concurrency ~4k".
_CONCURRENT_BESIDE = (
    re.compile(
        rf"{_APPROX}{_NUM}\+?\s*(?:concurrent|simultaneous)(?:ly)?(?:\s+(?:users|sessions"
        rf"|at peak|{USER_PATTERN}))?(?=\s*(?:[,;.)]|$|at\b|during\b|on\b|online\b|users\b))"
    ),
    re.compile(
        rf"\b(?:peak )?(?:concurrency|concurrent users|ccu)\s*"
        rf"(?:(?::|=|is|of|at|around|about|~)\s*)?{_APPROX}{_NUM}\b"
    ),
)
#: A concurrency word right after the noun: "60 sessions concurrently", "300 calls at once",
#: "120 calls going at once", "40 chats active at any one time".
_CONCURRENT_AFTER = re.compile(
    r"\s*(?:(?:running|open|live|going|active|ongoing|happening|in progress|under ?way"
    r"|taking place|in flight)\s+)?(?:concurrent(?:ly)?|simultaneous(?:ly)?|in parallel|at once"
    r"|at the same time|at a time|at any (?:one |1 |given )?(?:time|moment))\b"
)
_CONCURRENT_USERS = re.compile(
    rf"{_APPROX}{_NUM}\+?\s*(?P<words>(?:[a-z][a-z'-]*\s+){{0,2}}?)(?P<noun>{_CONC})\b"
)
_TEAM = re.compile(
    rf"\b(?:team|group|staff|company|lab|department|org(?:anization|anisation)?|firm|office"
    rf"|workforce|class|cohort|community|user ?base|audience|clan|guild|crew|squad|club|society"
    rf"|association|network|server|union|congregation|fleet) of {_APPROX}{_NUM}\b(?!\s*[a-z]*\s*(?:{ITEMS_PATTERN}))"  # noqa: E501
)
_SINGULAR_USER = "|".join(
    sorted({u[:-1] for u in USER_NOUNS if u.endswith("s") and " " not in u}, key=len, reverse=True)
)
#: One user noun, plural or singular ("per developer", "each analyst").
PERSON_PATTERN = rf"(?:{USER_PATTERN}|{_SINGULAR_USER})"
_N_PERSON = re.compile(
    rf"{_NUM}[- ](?:(?:person|people|member|strong|seat|{_SINGULAR_USER})\b|[a-z]+[- ]?(?:team"
    rf"|group|department|firm|office|class|company|startup|org|organi[sz]ation|practice|agency"
    rf"|lab|university|school|college|hospital|clinic|workforce|community)\b)"
)
#: "Users: 2500", "user count = 2,500", "headcount of 300".
_USERS_LABEL = re.compile(
    rf"\b(?:users|user count|number of users|employees|headcount|head count|staff|seats"
    rf"|audience|user ?base)\s*(?::|=|is|are|of|around|about|~|approx(?:imately)?)\s*"
    rf"{_APPROX}{_NUM}\b(?!\s*[a-z]*\s*(?:{ITEMS_PATTERN}))"
)
#: Metric names read before their value, with or without a separator: "DAU 300k", "MAU: 2M",
#: "peak concurrency ~4k", "CCU 20k".
_USERS_METRIC = re.compile(
    rf"\b(?:(?:daily|monthly|weekly) active users|active users|dau|daus|mau|maus|wau|ccu|pccu"
    rf"|(?:peak )?concurrency|concurrent users)\s*(?:(?::|=|is|are|of|at|around|about|~)\s*)?"
    rf"{_APPROX}{_NUM}\b(?!\s*[a-z]*\s*(?:{ITEMS_PATTERN}))"
)
#: The count after the people it counts: "our devs (about 1k)", "technicians (~700 of them)",
#: "engineers, 700 of them".
_USERS_AFTER_NOUN = re.compile(
    rf"\b(?:{USER_PATTERN})\s*(?:\(|,|-)?\s*{_APPROX}{_NUM}\+?\s*(?:of them\b\)?|(?:in total|total"
    rf"|or so|people|strong)?\s*\))"
)
#: The speakers counting themselves: "a small startup (12 of us)", "there are 40 of us", "all
#: 25 of us use it", "there'll be about forty of us", "some 40 of us using it"; a bare "three
#: of us built it" names the builders, not the users.
_N_OF_US = re.compile(
    rf"(?:(?P<us_pre>\(\s*|\bthere (?:are|'re|will be|'ll be|would be|'d be) |\ball )|\b)"
    rf"{_APPROX}{_NUM}\s+of us\b(?!\s+(?:built|wrote|made|maintain|run|manage|develop))"
    r"(?(us_pre)|(?= (?:will |would |are |'ll )?(?:be )?(?:using|use|uses|who use|on it"
    r"|working with it|relying on it)\b))"
)
#: A count of people named earlier in the text: "let students chat …: 10,000 of them".
_N_OF_THEM = re.compile(rf"{_APPROX}{_NUM}\+?\s+of them\b")
#: The plural noun right before a parenthesised or appended "N of them": "welders (roughly
#: 300 of them)", "inspectors, 40 of them".
_NOUN_BEFORE_COUNT = re.compile(r"\b(?P<noun>[a-z]{3,}s)\s*[(,:-]?\s*$")
_USER_NOUN_WORD = re.compile(rf"\b(?:{USER_PATTERN})\b")
#: Agent nouns outside :data:`USER_NOUNS` ("200 investors", "40 pharmacists", "90 freshmen")
#: after "for", "used by" or "serving": the endings of nouns for people, less the things that
#: share them.
_AGENT_NOUN = re.compile(r"[a-z]{2,}(?:ers|ors|ists|ians|ees|ants|ives|men)")
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
    rf"{_APPROX}{_NUM}\+?\s+(?:(?P<mod>[a-z-]+)\s+)?(?P<noun>[a-z]+)\b"
)
#: Any plural noun is people when a people context follows it: "30 pilots in our flight-ops
#: team", "12 chefs who …", "40 cadets on the squad".
_IN_PEOPLE_CONTEXT = re.compile(
    rf"{_APPROX}{_NUM}\+?\s+(?:[a-z-]+\s+)?(?P<noun>[a-z]{{3,}}s)\s+(?:who\b|that (?:work|use|need)"
    rf"|(?:in|on|from|at|across|of) (?:our|the|their|my|its|a|an) (?:[a-z-]+\s+){{0,2}}?"
    rf"(?:team|department|dept|unit|crew|staff|org|organi[sz]ation|office|group|squad"
    rf"|division|company|firm|hospital|clinic|school|fleet|airline|workforce)s?\b)"
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


def noun_phrase_ok(words: str) -> bool:
    return not any(w in _STOP_WORDS for w in words.split())


def has_user_noun(words: str) -> bool:
    return any(re.fullmatch(USER_PATTERN, w) for w in words.split())


def find_users(doc: Doc) -> UsersFound | None:
    """The user count the text states (first clear mention), with its kind; consumes it."""
    candidates: list[UsersFound] = []
    for m in _USERS.finditer(doc.work):
        words = m.group("words")
        if not noun_phrase_ok(words):
            continue
        candidates.append(_users(doc, m, words + m.group("noun"), 0.9))
        break
    if not candidates:
        for m in _CONCURRENT_USERS.finditer(doc.work):
            words = m.group("words")
            tail = doc.text[m.end() : m.end() + 32]
            if noun_phrase_ok(words) and (
                _CONCURRENT_WORDS.search(words) or _CONCURRENT_AFTER.match(tail)
            ):
                candidates.append(_users(doc, m, words, 0.85, kind="concurrent"))
                break
    if not candidates:
        for pattern, conf in (
            (_N_PERSON, 0.85),
            (_USERS_LABEL, 0.85),
            (_USERS_METRIC, 0.85),
            (_TEAM, 0.8),
            (_USERS_AFTER_NOUN, 0.8),
            (_N_OF_US, 0.75),
            (_BARE_CONCURRENT, 0.7),
        ):
            found = pattern.search(doc.work)
            if found is not None:
                candidates.append(_users(doc, found, found.group(0), conf))
                break
    if not candidates and (groups := bare_groups(doc.work)) is not None:
        # "three teams of forty": the group size is a headcount without a people noun
        doc.consume(groups.start, groups.end)
        return UsersFound(groups.people, groups.start, groups.end, 0.75, kind=None)
    if not candidates:
        them = _N_OF_THEM.search(doc.work)
        if them is not None and (
            _USER_NOUN_WORD.search(doc.text, 0, them.start())
            or _people_right_before(doc.text[max(0, them.start() - 40) : them.start()])
        ):
            candidates.append(_users(doc, them, them.group(0), 0.7))
    if not candidates:
        for m in _FOR_AGENT.finditer(doc.work):
            # the noun is the last word ("40 senior pharmacists") or the first when a
            # preposition follows it ("300 women in tech")
            nouns = [m.group("noun")] + ([m.group("mod")] if m.group("mod") else [])
            if any(_AGENT_NOUN.fullmatch(n) and n not in _NOT_PEOPLE for n in nouns):
                candidates.append(_users(doc, m, m.group(0), 0.6))
                break
    if not candidates:
        for m in _IN_PEOPLE_CONTEXT.finditer(doc.work):
            noun = m.group("noun")
            if noun not in _NOT_PEOPLE and not re.fullmatch(ITEMS_PATTERN, noun):
                candidates.append(_users(doc, m, m.group(0), 0.6))
                break
    if not candidates:
        bare = _FOR_BARE.search(doc.work)
        if bare is not None:
            candidates.append(_users(doc, bare, "", 0.5))
    if not candidates:
        return None
    best = _times_groups(doc, _joined(doc, candidates[0]))
    doc.consume(best.start, best.end)
    return _concurrent_beside(doc, _active_share(doc, best))


def _people_right_before(before: str) -> bool:
    """Whether ``before`` ends in a plural agent noun for people ("welders (", "auditors,"):
    the noun an "N of them" right after it counts."""
    m = _NOUN_BEFORE_COUNT.search(before)
    if m is None:
        return False
    noun = m.group("noun")
    return (
        bool(_AGENT_NOUN.fullmatch(noun) or re.fullmatch(_COMPOUND_USER, noun))
        and noun not in _NOT_PEOPLE
        and not re.fullmatch(ITEMS_PATTERN, noun)
    )


def _joined(doc: Doc, best: UsersFound) -> UsersFound:
    """``best`` plus the counts joined to it with "+", "plus" or "and"."""
    while (m := _JOINED_USERS.match(doc.work, best.end)) is not None:
        best = replace(best, value=best.value + number_from(m), end=m.end())
    return best


def _times_groups(doc: Doc, best: UsersFound) -> UsersFound:
    """``best`` times the number of groups it counts per group ("3 shifts of 200 agents")."""
    found = group_multiplier(doc.work, best.start, best.end)
    if found is None:
        return best
    return replace(best, value=best.value * found.groups, start=found.start, end=found.end)


def _active_share(doc: Doc, best: UsersFound) -> UsersFound:
    """The active part of a user base when a share is stated before or after the count:
    ``users × share`` ("half of our 6,000 staff … use it", "120k players, ~2% active";
    :mod:`.shares`)."""
    share = share_before(doc, best.start, best.end) or share_after(doc, best.end)
    if share is None:
        return best
    return replace(
        best,
        value=max(1.0, round(best.value * share.factor)),
        kind="concurrent" if share.concurrent else best.kind,
        confidence=min(best.confidence, 0.7),
    )


def _concurrent_beside(doc: Doc, best: UsersFound) -> UsersFound:
    """A smaller concurrent count stated beside a total one is the load to plan for."""
    if best.kind == "concurrent":
        return best
    m = next((f for p in _CONCURRENT_BESIDE if (f := p.search(doc.work)) is not None), None)
    if m is None or number_from(m) >= best.value:
        return best
    doc.consume(m.start(), m.end())
    return UsersFound(
        value=number_from(m), start=m.start(), end=m.end(), confidence=0.75, kind="concurrent"
    )


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
