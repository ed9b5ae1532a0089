"""Field-by-field editing of a DeploymentIntent, with validation and errors naming the field.

``edit_intent(intent, "slo.ttft_ms.p90", "250")`` sets one field from its text form and
re-validates the whole intent, so an edit that breaks an invariant (p90 above p99, users above
the limit) fails with the field's path in the message. GPU and model names are canonicalized
through the catalog; without a catalog they are refused (a name is never taken verbatim).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError, describe_validation_error
from predeploy.core.types import DeploymentIntent, FieldSource, PercentileTargets
from predeploy.intent.draft import StatedTarget
from predeploy.intent.names import NameIndex
from predeploy.intent.numerals import parse_number
from predeploy.intent.slo_merge import merge_targets

#: Short paths users type, mapped to where the field lives.
PATH_ALIASES: dict[str, str] = {
    "budget.monthly_usd": "constraints.budget.monthly_usd",
    "budget.hourly_usd": "constraints.budget.hourly_usd",
    "budget.per_million_tokens_usd": "constraints.budget.per_million_tokens_usd",
    "gpus": "constraints.gpus",
    "models": "constraints.models",
    "models_required": "constraints.models_required",
    "excluded_gpus": "constraints.excluded_gpus",
    "precisions": "constraints.precisions",
    "languages": "preferences.languages",
    "headroom": "preferences.headroom",
}
#: Source keys under which extraction records these fields (kept the same for edits).
_SOURCE_KEYS = {v: k for k, v in PATH_ALIASES.items() if k in {"gpus", "models"}} | {
    f"constraints.budget.{n}": f"budget.{n}"
    for n in ("monthly_usd", "hourly_usd", "per_million_tokens_usd")
}
_NOT_EDITABLE = {"sources", "assumptions", "stated", "budget", "gpus", "models"}
_NULLS = {"", "none", "null", "unset", "-", "clear"}
_GPU_ITEM = re.compile(
    r"^\s*(?:(?P<n1>\d{1,6})\s*[x×]\s*)?(?P<name>[^:]+?)(?:\s*:\s*(?P<n2>\d{1,6}))?\s*$"
)
_RANK = {"p50": 50, "p90": 90, "p95": 95, "p99": 99}
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def editable_paths(intent: DeploymentIntent) -> list[str]:
    """Every leaf path that :func:`edit_intent` accepts (aliases included)."""
    data = _plain(intent)
    out: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and prefix not in {"sources"}:
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else key, sub)
        elif prefix.split(".")[0] not in _NOT_EDITABLE:
            out.append(prefix)

    walk("", data)
    return sorted(set(out) | set(PATH_ALIASES))


def _plain(intent: DeploymentIntent) -> dict[str, Any]:
    data = intent.model_dump(mode="json")
    for key in ("budget", "gpus", "models", "stated"):
        data.pop(key, None)
    return data


def _parse_scalar(raw: str, current: Any, path: str) -> Any:
    text = raw.strip()
    if text.lower() in _NULLS:
        return None
    if isinstance(current, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise InputError(f"{path}: expected true or false, got {raw!r}")
    if isinstance(current, int | float) or (current is None and _looks_numeric(text)):
        return _parse_numeric(text, path)
    return text


def _looks_numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "-.$")


def _parse_numeric(text: str, path: str) -> float | int:
    cleaned = text.lower().replace("$", "").replace("_", "").strip()
    for unit, factor in (("ms", 1.0), ("s", 1000.0)):
        if path.startswith("slo.") and cleaned.endswith(unit) and cleaned[: -len(unit)].strip():
            head = cleaned[: -len(unit)].strip()
            if unit == "s" and head.endswith("m"):
                continue
            return _parse_numeric(head, path) * factor
    scale = None
    for suffix in ("k", "m", "b"):
        if cleaned.endswith(suffix):
            scale, cleaned = suffix, cleaned[:-1].strip()
            break
    try:
        value = parse_number(cleaned, scale)
    except ValueError:
        raise InputError(f"{path}: expected a number, got {text!r}") from None
    return int(value) if value.is_integer() else value


def _split_list(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError:
            raise InputError(
                f"expected a JSON list or comma-separated names, got {raw!r}"
            ) from None
        return [str(i) for i in items]
    return [part.strip() for part in raw.split(",") if part.strip()]


def _gpu_list(raw: str, index: NameIndex | None, path: str) -> list[dict[str, Any]]:
    if index is None:
        raise InputError(f"{path}: GPU names need the catalog to be checked")
    out: list[dict[str, Any]] = []
    for item in _split_list(raw):
        m = _GPU_ITEM.match(item)
        name, count = item, None
        if m is not None:
            name = m.group("name")
            digits = m.group("n1") or m.group("n2")
            count = int(digits) if digits else None
        names = index.gpu(name.strip())
        if not names:
            raise InputError(f"{path}: {index.suggest_gpu(name.strip())}")
        out.extend({"gpu": n, "count": count if len(names) == 1 else None} for n in names)
    return out


def _model_list(raw: str, index: NameIndex | None, path: str) -> list[str]:
    if index is None:
        raise InputError(f"{path}: model names need the catalog to be checked")
    out: list[str] = []
    for item in _split_list(raw):
        ids = index.model(item)
        if not ids:
            raise InputError(f"{path}: {index.suggest_model(item)}")
        out.extend(i for i in ids if i not in out)
    return out


def _rescaled_metric(
    intent: DeploymentIntent, metric: str, pct: str, value: float, path: str
) -> dict[str, Any]:
    """The metric's targets with ``pct`` set and the non-stated percentiles rescaled."""
    current: PercentileTargets = getattr(intent.slo, metric)
    stated: list[StatedTarget] = []
    for name, bound in current.items():
        source = intent.sources.get(f"slo.{metric}.{name}")
        if name != pct and source is not None and source.origin == "stated":
            if (_RANK[name] < _RANK[pct] and bound > value) or (
                _RANK[name] > _RANK[pct] and bound < value
            ):
                raise InputError(
                    f"{path} = {value:g} conflicts with the stated slo.{metric}.{name} = "
                    f"{bound:g} (targets must not decrease with the percentile)"
                )
            stated.append(StatedTarget(metric=metric, percentile=name, value_ms=bound))
    stated.append(StatedTarget(metric=metric, percentile=pct, value_ms=value))
    merged = merge_targets(intent.slo.model_copy(update={}), tuple(stated))
    return dict(getattr(merged.slo, metric).model_dump(mode="json"))


def edit_intent(
    intent: DeploymentIntent,
    path: str,
    value: str,
    catalog: Catalog | None = None,
    index: NameIndex | None = None,
) -> DeploymentIntent:
    """A copy of ``intent`` with the field at ``path`` set from its text form ``value``.

    Editing one latency percentile rescales that metric's percentiles that the user did not
    state (as extraction does), so "slo.ttft_ms.p90 = 250" keeps p50 ≤ p90 ≤ p99; a conflict
    with another *stated* percentile is an error. Raises :class:`InputError` naming ``path``
    when the path is unknown or the value invalid.
    """
    if index is None and catalog is not None:
        index = NameIndex(catalog)
    shown = path.strip()
    try:
        return _edited(intent, shown, value, index)
    except ValidationError as exc:  # a value no field accepts (e.g. 1e309 ms, a control char)
        raise InputError(
            f"{shown} = {value!r} is invalid: {describe_validation_error(exc)}"
        ) from None


def _edited(
    intent: DeploymentIntent, shown: str, value: str, index: NameIndex | None
) -> DeploymentIntent:
    target = PATH_ALIASES.get(shown, shown)
    data = _plain(intent)
    parts = target.split(".")
    if parts[0] in _NOT_EDITABLE and target not in PATH_ALIASES.values():
        raise InputError(f"{shown}: this field is not editable")
    node: Any = data
    for part in parts[:-1]:
        if not isinstance(node, dict) or part not in node:
            raise _unknown_path(shown, intent)
        node = node[part]
    leaf = parts[-1]
    if not isinstance(node, dict) or leaf not in node:
        raise _unknown_path(shown, intent)
    current = node[leaf]
    new: Any
    if target == "constraints.gpus":
        new = _gpu_list(value, index, shown)
    elif target == "constraints.excluded_gpus":
        new = [g["gpu"] for g in _gpu_list(value, index, shown)]
    elif target == "constraints.models":
        new = _model_list(value, index, shown)
    elif isinstance(current, list):
        new = _split_list(value)
    elif isinstance(current, dict):
        raise InputError(f"{shown}: pick one of its fields, e.g. {shown}.{next(iter(current))}")
    else:
        new = _parse_scalar(value, current, shown)
    node[leaf] = new
    sources = dict(intent.sources)
    if len(parts) == 3 and parts[0] == "slo" and leaf in _RANK and isinstance(new, int | float):
        if new <= 0:
            raise InputError(f"{shown} = {value!r} is invalid: must be greater than 0")
        data["slo"][parts[1]] = _rescaled_metric(intent, parts[1], leaf, float(new), shown)
        for name in _RANK:
            src = sources.get(f"slo.{parts[1]}.{name}")
            if name != leaf and src is not None and src.origin != "stated":
                sources[f"slo.{parts[1]}.{name}"] = FieldSource(
                    origin="derived", confidence=0.7, evidence=f"rescaled after editing {shown}"
                )
    key = _SOURCE_KEYS.get(target, target if target not in PATH_ALIASES else shown)
    if new is None or new == []:
        sources.pop(key, None)
    else:
        sources[key] = FieldSource(
            origin="stated", confidence=1.0, evidence=f"edited: {value}"[:500]
        )
    data["sources"] = {k: s.model_dump(mode="json") for k, s in sources.items()}
    return DeploymentIntent.model_validate(data)


def _unknown_path(path: str, intent: DeploymentIntent) -> InputError:
    valid = editable_paths(intent)
    top = sorted({p.split(".")[0] for p in valid} | {"slo.<metric>.<p50|p90|p95|p99>"})
    return InputError(f"unknown field {path!r}; editable fields include: {', '.join(top)}")
