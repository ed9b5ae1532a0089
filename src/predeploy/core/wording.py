"""How numbers are written in derivations and rationales a user reads.

One place so that "3.3 req/s", "$4,210/month" and "180 ms" read the same everywhere.
"""

from __future__ import annotations

import math


def format_number(value: float) -> str:
    """A number with as many digits as its size deserves: 12,345 · 123 · 12.3 · 1.23 · 0.046."""
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1:
        text = f"{value:.2f}"
    elif magnitude == 0:
        return "0"
    else:
        text = f"{value:.2g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text


def format_percent(fraction: float) -> str:
    """0.1 → ``10 %``; 0.0802 → ``8 %``; 0.025 → ``2.5 %``; 0.004 → ``0.4 %``."""
    pct = fraction * 100
    if abs(pct) >= 5:
        return f"{pct:.0f} %"
    if abs(pct) >= 0.1:
        return f"{format_number(round(pct, 1))} %"
    return f"{format_number(pct)} %"


def format_usd(value: float) -> str:
    """$0.42 · $12.50 · $4,210 (cents only below $100)."""
    if abs(value) >= 100:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def format_ms(value: float) -> str:
    """Milliseconds, switching to seconds above 10 s: ``180 ms``, ``12.5 s``."""
    if value >= 10_000:
        return f"{format_number(value / 1000)} s"
    return f"{format_number(value)} ms"


def format_tokens(value: float) -> str:
    """Token counts: 512 · 4,096 · 32k (thousands above 10k)."""
    if value >= 10_000:
        return f"{format_number(value / 1000)}k"
    return format_number(round(value))
