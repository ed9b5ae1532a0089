"""Subject matter and languages, chosen from fixed vocabularies (never copied from the text)."""

from __future__ import annotations

import re

#: (phrase regex, subject matter, weight). The value shown is always the table's label.
DOMAIN_PHRASES: tuple[tuple[str, str, float], ...] = (
    (
        r"medical|clinical|clinicians?|health ?care|hospitals?|patients?|doctors?|nurses?"
        r"|physicians?|pharma\w*|discharge|diagnos\w*",
        "healthcare",
        2,
    ),
    (
        r"legal|lawyers?|attorneys?|law firm|contracts?|paralegals?|case law|litigation"
        r"|court",
        "legal",
        2,
    ),
    (r"regulatory|compliance|filings?|audit(?:s|ors?)?|10-k|sec filings", "compliance", 1.5),
    (
        r"financ\w*|bank(?:s|ing|'s)?|invoices?|trading|traders?|earnings|portfolio|accounting"
        r"|insurance|policyholders|claims|fintech",
        "finance",
        1.5,
    ),
    (r"telecom\w*|carrier|mobile plans?|subscribers", "telecommunications", 2),
    (
        r"e-?commerce|online (?:store|shop)|shoppers?|retail|products?|skus?|catalog"
        r"|checkout|orders?",
        "e-commerce",
        1.5,
    ),
    (r"gaming|gamers?|players?|game", "gaming", 2),
    (
        r"education|students?|learners?|tutor\w*|universit\w*|school|teachers?|kids|courses?"
        r"|math",
        "education",
        2,
    ),
    (
        r"\bhr\b|human resources|handbook|employees? (?:questions|policies)|benefits|payroll",
        "human resources",
        2,
    ),
    (
        r"code|coding|software|developers?|devs|engineers|programming|ide|sql|python|pull requests"
        r"|repositor\w*",
        "software engineering",
        1,
    ),
    (r"marketing|marketers|seo|ad copy|newsletters?|campaigns?|slogans?|brand", "marketing", 2),
    (r"sales|outreach|leads|crm|reps", "sales", 1.5),
    (r"travel|airlines?|hotels?|booking|flights?|passengers", "travel", 2),
    (r"government|public sector|citizens|municipal\w*", "public sector", 2),
    (r"it helpdesk|it support|runbooks?|devops|incidents?|on-?call", "it operations", 2),
    (r"research(?:ers)?|scientific|papers|lab\b", "research", 1),
    (r"utilit(?:y|ies)|energy|electricity", "utilities", 2),
    (r"media|news|journalis\w*|streaming service|subtitles?", "media", 1.5),
    (r"manufactur\w*|factory|field technicians|maintenance", "manufacturing", 1.5),
)
_COMPILED = tuple(
    (re.compile(rf"(?<![\w-])(?:{p})(?![\w-])"), label, w) for p, label, w in DOMAIN_PHRASES
)

#: Language names recognized in requests (English exonyms), canonical labels.
# fmt: off
LANGUAGES = (
    "english", "spanish", "french", "german", "italian", "portuguese", "dutch", "polish",
    "swedish", "norwegian", "danish", "finnish", "czech", "greek", "turkish", "russian",
    "ukrainian", "arabic", "hebrew", "hindi", "bengali", "urdu", "japanese", "korean", "chinese",
    "mandarin", "cantonese", "vietnamese", "thai", "indonesian", "malay", "romanian", "hungarian",
    "swahili", "tagalog", "persian",
)
# fmt: on
_LANGUAGE = re.compile(rf"\b({'|'.join(LANGUAGES)})\b")


def find_subject_matter(text: str) -> tuple[str, str] | None:
    """The best-scoring subject matter label and the phrases behind it, or ``None``."""
    scores: dict[str, float] = {}
    hits: dict[str, list[str]] = {}
    for pattern, label, weight in _COMPILED:
        m = pattern.search(text)
        if m is not None:
            scores[label] = scores.get(label, 0.0) + weight
            hits.setdefault(label, []).append(m.group(0))
    if not scores:
        return None
    best = max(scores, key=lambda k: scores[k])
    return best, ", ".join(hits[best])[:200]


def find_languages(text: str) -> tuple[str, ...]:
    """Languages named in the text, in order of first mention, as canonical labels."""
    return tuple(dict.fromkeys(m.group(1) for m in _LANGUAGE.finditer(text)))
