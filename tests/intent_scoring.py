"""Field checks with the semantics of ../shared/intent/score_intent.py (documented there).

Kept here so our own labelled requests are scored the same way when ../shared is absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _close(a: Any, b: Any, tol: float) -> bool:
    try:
        return a is not None and abs(float(a) - float(b)) <= tol * abs(float(b))
    except (TypeError, ValueError):
        return False


def field_ok(name: str, want: Any, intent: dict[str, Any]) -> bool:
    """Whether ``intent`` (contract JSON) has the labelled value ``want`` for ``name``."""
    slo = intent.get("slo") or {}
    budget = intent.get("budget") or {}
    if name == "use_case":
        return intent.get("use_case") in (want if isinstance(want, list) else [want])
    if name == "user_count":
        return bool(intent.get("users") == want)
    if name == "qps":
        return _close(intent.get("qps"), want, 0.02)
    if name == "priority":
        return bool(intent.get("priority") == want)
    if name in ("ttft_ms", "itl_ms", "e2e_ms"):
        values = (slo.get(name) or {}).values()
        return any(_close(v, want, 0.005) for v in values)
    if name in ("prompt_tokens", "output_tokens"):
        return _close(intent.get(name), want, 0.05)
    if name == "max_monthly_cost":
        return _close(budget.get("monthly_usd"), want, 0.01)
    if name == "max_hourly_cost":
        return _close(budget.get("hourly_usd"), want, 0.01)
    if name == "gpus":
        got = [str(g).lower() for g in intent.get("gpus") or []]
        return all(any(w.lower() in g for g in got) for w in want)
    if name == "model":
        return bool(want.lower() in [str(m).lower() for m in intent.get("models") or []])
    raise ValueError(f"unknown field {name}")


@dataclass
class Score:
    fields: int = 0
    fields_ok: int = 0
    cases: int = 0
    cases_ok: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def field_accuracy(self) -> float:
        return self.fields_ok / max(self.fields, 1)

    @property
    def case_accuracy(self) -> float:
        return self.cases_ok / max(self.cases, 1)


def score(cases: list[dict[str, Any]], intents: dict[str, dict[str, Any]]) -> Score:
    """Field and case accuracy of ``intents`` (by case id) against the labelled ``cases``."""
    result = Score()
    for case in cases:
        intent = intents.get(case["id"], {})
        all_ok = True
        for name, want in case["expect"].items():
            ok = field_ok(name, want, intent)
            result.fields += 1
            result.fields_ok += ok
            if not ok:
                all_ok = False
                result.misses.append(f"{case['id']} {name}: want {want!r}")
        result.cases += 1
        result.cases_ok += all_ok
    return result
