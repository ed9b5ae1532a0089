"""Budgets: monthly, hourly and per-million-token spending limits in USD.

An amount is money when it carries a currency ("$8000", "20k dollars", "2500 USD") or follows
a budget word ("budget 600 monthly"). Its period is the nearest period phrase after it ("per
month", "an hour", "/mo") or before it ("monthly budget of $5k"). Daily, weekly and yearly
amounts become monthly: ``monthly = amount × seconds(month) / seconds(period)``; daily and
weekly ones, whose periods have a fixed number of hours, also give the exact hourly limit
``amount / hours(period)`` (used when no hourly limit is stated). An amount with
no period is read as monthly when ≥ :data:`HOURLY_MAX_USD` and hourly below (an assumption the
intent records). Other currencies are kept at face value with a note (no exchange rate).
Quarterly amounts are spread over the quarter's three months. When several amounts share a
period, one stated as a limit ("stay under $45k a year") is preferred to one that is not ("our
last vendor quoted $90,000 per year"): see :func:`limit_first`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from predeploy.intent.numerals import number_from, number_pattern
from predeploy.intent.periods import (
    SECONDS_PER_DAY,
    SECONDS_PER_HOUR,
    SECONDS_PER_MONTH,
    SECONDS_PER_QUARTER,
    SECONDS_PER_WEEK,
    SECONDS_PER_YEAR,
)
from predeploy.intent.text import Doc

Period = Literal["month", "hour", "million_tokens"]

#: An amount without a period below this (USD) is read as hourly; GPU-hour prices are
#: single-digit to tens of dollars, monthly budgets are hundreds and more.
HOURLY_MAX_USD = 100.0

_NUM = number_pattern("num")
_CURRENCY_BEFORE = r"(?P<cur_pre>\$|usd|us\$|€|eur|£|gbp)"
_CURRENCY_AFTER = r"(?P<cur_post>dollars?|bucks|usd|\$|euros?|eur|€|pounds?|gbp|£)"
_MONEY_PRE = re.compile(rf"{_CURRENCY_BEFORE}\s*{_NUM}(?:\s*{_CURRENCY_AFTER})?")
_MONEY_POST = re.compile(rf"{_NUM}\s*{_CURRENCY_AFTER}")
_BUDGET_WORD = re.compile(
    r"\b(?:budget(?:ed|'s)?|spend(?:ing)?|cost(?:s)?|pay|afford|cap(?:ped)?|limit|ceiling)\b"
    r"(?:\s+(?:is|of|at|around|about|under|below|up to|max(?:imum)?|at most|no more than"
    r"|limit|cap|:|~))*\s*$"
)
_BARE_AMOUNT = re.compile(_NUM)
#: A budget noun right after an amount's period: "60k/yr budget", "5k a month spend cap".
_BUDGET_WORD_AFTER = re.compile(
    r"\s*(?:(?:total|gpu|compute|cloud|hosting|infra(?:structure)?)\s+)?(?:budget|spend(?:ing)?"
    r"(?:\s+(?:cap|limit))?|cap|ceiling|allowance)\b"
)

#: What introduces a period after an amount: "per month", "a day", "each week", and a span
#: the amount covers: "for the (whole) year", "over the entire quarter", "in a month".
_PER = (
    r"(?:(?:per|a|each|every)\s+|(?:for|over|across|in) (?:the|a|one) (?:(?:whole|entire|full"
    r"|coming|next|fiscal|calendar) )?)"
)
#: Period phrases → (kind, multiplier to USD per month, or to USD per hour / per 1M tokens).
_PERIODS: tuple[tuple[str, Period, float], ...] = (
    (
        r"(?:(?:per|a|for (?:each|every))\s+|/\s*)(?:(?:1\s*m|mtoks?)\b\s*"
        r"(?:output |input |generated )?(?:tokens?|toks?)?"
        r"|(?:one million|million|1,000,000|m)\s*(?:output |input |generated )?"
        r"(?:tokens?|toks?))",
        "million_tokens",
        1.0,
    ),
    (
        r"(?:(?:per|a|for (?:each|every))\s+|/\s*)(?:1\s*k|one thousand|thousand|1,000|k)\s*"
        r"(?:output |input |generated )?(?:tokens?|toks?)",
        "million_tokens",
        1000.0,
    ),
    (rf"(?:{_PER}|an\s+|/\s*)(?:gpu[- ])?(?:hour|hr|h)\b|hourly", "hour", 1.0),
    (rf"(?:{_PER}|/\s*)(?:month|mo|mth)\b|monthly|month\b", "month", 1.0),
    (
        rf"(?:{_PER}|/\s*)(?:day|d)\b|daily",
        "month",
        SECONDS_PER_MONTH / SECONDS_PER_DAY,
    ),
    (
        rf"(?:{_PER}|/\s*)(?:week|wk)\b|weekly",
        "month",
        SECONDS_PER_MONTH / SECONDS_PER_WEEK,
    ),
    (
        rf"(?:{_PER}|/\s*)(?:quarter|qtr|q)\b|quarterly",
        "month",
        SECONDS_PER_MONTH / SECONDS_PER_QUARTER,
    ),
    (
        rf"(?:{_PER}|/\s*)(?:year|yr|annum)\b|yearly|annual(?:ly)?|p\.?a\.",
        "month",
        SECONDS_PER_MONTH / SECONDS_PER_YEAR,
    ),
)
_PERIODS_AFTER = tuple(
    (re.compile(rf"^\s*(?:in total\s*)?(?:{p})"), kind, f) for p, kind, f in _PERIODS
)
_PERIOD_BEFORE = re.compile(
    r"\b(?P<word>monthly|hourly|daily|weekly|quarterly|yearly|annual|per[- ]month"
    r"|per[- ]hour)\s+"
    r"(?:gpu\s+)?(?:budget|spend(?:ing)?|cost|cap|limit)\b[^$\d]{0,20}$"
)
_BEFORE_FACTORS: dict[str, tuple[Period, float]] = {
    "monthly": ("month", 1.0),
    "per month": ("month", 1.0),
    "per-month": ("month", 1.0),
    "hourly": ("hour", 1.0),
    "per hour": ("hour", 1.0),
    "per-hour": ("hour", 1.0),
    "daily": ("month", SECONDS_PER_MONTH / SECONDS_PER_DAY),
    "weekly": ("month", SECONDS_PER_MONTH / SECONDS_PER_WEEK),
    "quarterly": ("month", SECONDS_PER_MONTH / SECONDS_PER_QUARTER),
    "yearly": ("month", SECONDS_PER_MONTH / SECONDS_PER_YEAR),
    "annual": ("month", SECONDS_PER_MONTH / SECONDS_PER_YEAR),
}
#: Periods of a fixed length in hours, by their factor to a month: a day and a week.
_FIXED_PERIOD_HOURS: dict[float, float] = {
    SECONDS_PER_MONTH / SECONDS_PER_DAY: SECONDS_PER_DAY / SECONDS_PER_HOUR,
    SECONDS_PER_MONTH / SECONDS_PER_WEEK: SECONDS_PER_WEEK / SECONDS_PER_HOUR,
}
_NON_USD = {"€", "eur", "euro", "euros", "£", "gbp", "pound", "pounds"}


#: Words that make an amount a limit ("stay under $45k a year", "$6,000/month max") ...
_LIMIT_BEFORE = re.compile(
    r"\b(?:under|below|within|at most|max(?:imum)?|up to|no more than|not more than|less than"
    r"|cap(?:ped)?(?: at)?|budget(?:ed|'s)?|spend|afford|limit|ceiling|allow|allowed|<=?)\b"
    r"[^$\d,;.]{0,20}$"
)
_LIMIT_AFTER = re.compile(r"^\s*(?:max(?:imum)?|tops|at most|cap|budget|limit|ceiling)\b")
#: ... and words that make it something else: a quote, a current bill, a past spend.
_NOT_LIMIT_BEFORE = re.compile(
    r"\b(?:quoted?|quotes|currently (?:pay|spend)|(?:we |i )?(?:pay|paid|spent|spending)"
    r"(?: now| today| currently)?|last (?:vendor|year|provider)|was|costs? us|charged?)\b"
    r"[^$\d,;.]{0,20}$"
)


@dataclass(frozen=True)
class BudgetFound:
    period: Period
    usd: float
    start: int
    end: int
    confidence: float
    assumed_period: bool
    note: str | None = None
    #: Stated as a limit ("under", "max", "budget") rather than a quote or a current bill.
    limit: bool = False
    #: Stated as something other than a limit ("quoted $90,000 per year").
    not_limit: bool = False
    #: The same limit per hour when its period has a fixed number of hours (a day, a week):
    #: "$200 a day" is exactly $8.33/hour, while its monthly figure rests on the mean month.
    hourly_usd: float | None = None


def _period_after(doc: Doc, end: int) -> tuple[Period, float, int] | None:
    tail = doc.work[end : end + 45]
    for pattern, kind, factor in _PERIODS_AFTER:
        m = pattern.match(tail)
        if m is not None:
            return kind, factor, end + m.end()
    return None


def _budget_word_after_period(doc: Doc, end: int) -> bool:
    """Whether a period and then a budget noun follow an amount ("60k/yr budget")."""
    period = _period_after(doc, end)
    return period is not None and _BUDGET_WORD_AFTER.match(doc.work, period[2]) is not None


def find_budgets(doc: Doc) -> list[BudgetFound]:
    """Every spending limit stated, consuming the amounts and their periods."""
    found: list[BudgetFound] = []
    spans: list[tuple[re.Match[str], str | None]] = []
    for m in _MONEY_PRE.finditer(doc.work):
        spans.append((m, m.group("cur_pre")))
    for m in _MONEY_POST.finditer(doc.work):
        if not any(s.start() <= m.start() < s.end() for s, _ in spans):
            spans.append((m, m.group("cur_post")))
    for m in _BARE_AMOUNT.finditer(doc.work):
        if any(s.start() <= m.start() < s.end() for s, _ in spans):
            continue
        if _BUDGET_WORD.search(
            doc.work[max(0, m.start() - 40) : m.start()]
        ) is not None or _budget_word_after_period(doc, m.end()):
            spans.append((m, None))
    for m, currency in sorted(spans, key=lambda s: s[0].start()):
        amount = number_from(m)
        after = _period_after(doc, m.end())
        before = _PERIOD_BEFORE.search(doc.text[max(0, m.start() - 60) : m.start()])
        end = m.end()
        assumed = False
        if after is not None:
            period, factor, end = after
        elif before is not None:
            period, factor = _BEFORE_FACTORS[before.group("word").replace("-", " ")]
        elif currency is None:
            continue  # a bare number after "cost" with no period is not clearly a budget
        else:
            period, factor = ("hour", 1.0) if amount < HOURLY_MAX_USD else ("month", 1.0)
            assumed = True
        usd = amount * factor
        fixed_hours = _FIXED_PERIOD_HOURS.get(factor) if period == "month" else None
        note = None
        if currency is not None and currency.rstrip("s") in _NON_USD | {"euro", "pound"}:
            note = f"amount {m.group(0).strip()!r} taken as USD (no exchange rate applied)"
        before_text = doc.text[max(0, m.start() - 40) : m.start()]
        found.append(
            BudgetFound(
                period,
                usd,
                m.start(),
                end,
                0.6 if assumed else 0.9,
                assumed,
                note,
                limit=bool(_LIMIT_BEFORE.search(before_text) or _LIMIT_AFTER.match(doc.text, end)),
                not_limit=bool(_NOT_LIMIT_BEFORE.search(before_text)),
                hourly_usd=amount / fixed_hours if fixed_hours else None,
            )
        )
        doc.consume(m.start(), end)
    return found


def limit_first(found: list[BudgetFound]) -> list[BudgetFound]:
    """The budgets in reading order, limits first and quotes or current bills last."""
    return sorted(found, key=lambda b: (b.not_limit or not b.limit, b.not_limit, b.start))
