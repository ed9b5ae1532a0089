"""Time vocabulary shared by rates and budgets: units, cadence words, their length in seconds."""

from __future__ import annotations

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
    "quarter": SECONDS_PER_QUARTER,
    "quarters": SECONDS_PER_QUARTER,
    "year": SECONDS_PER_YEAR,
    "years": SECONDS_PER_YEAR,
    "yr": SECONDS_PER_YEAR,
    "annum": SECONDS_PER_YEAR,
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
    "quarterly": SECONDS_PER_QUARTER,
    "every quarter": SECONDS_PER_QUARTER,
    "annually": SECONDS_PER_YEAR,
    "yearly": SECONDS_PER_YEAR,
    "every year": SECONDS_PER_YEAR,
    "each year": SECONDS_PER_YEAR,
    "per annum": SECONDS_PER_YEAR,
}
