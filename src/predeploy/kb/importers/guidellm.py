"""GuideLLM benchmark reports (``benchmarks.json`` / ``.yaml``) → :class:`BenchmarkRecord` s.

Reads report schema versions 1 (GuideLLM 0.5–0.6: ``metadata``, ``args``, ``benchmarks``) and 2
(0.7–0.8: ``metadata``, ``config``, ``benchmarks``); reports without ``metadata`` (0.3–0.4)
share the per-benchmark layout and are read the same way. One record per benchmark of the
report (a sweep gives several); how each benchmark's metrics and strategy become a record is
:mod:`~predeploy.kb.importers.guidellm_benchmark`. This module reads the file, checks the schema
version and labels the report's dataset and server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from predeploy.core.types import BenchmarkRecord, FrozenModel
from predeploy.kb.importers.field_paths import (
    RecordLocation,
    describe_value,
    optional_at,
    value_at,
)
from predeploy.kb.importers.guidellm_benchmark import GuidellmRun, ReportContext
from predeploy.kb.importers.problems import ImportFileError
from predeploy.kb.importers.source import read_text

SUPPORTED_SCHEMA_VERSIONS = (1, 2)


class GuidellmReport(FrozenModel):
    """The records of one report, and the benchmarks that had nothing to import."""

    file: str
    sha256: str
    schema_version: int | None
    guidellm_version: str | None
    records: tuple[BenchmarkRecord, ...]
    skipped: tuple[str, ...] = ()


def read_guidellm_report(path: Path, run: GuidellmRun) -> GuidellmReport:
    """Read and validate a GuideLLM report file (JSON, or YAML by extension)."""
    name = path.name
    text, sha256 = read_text(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark is not None else None
            raise ImportFileError(name, where, None, f"invalid YAML: {exc}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            stripped = text.rstrip()
            truncated = (
                exc.lineno >= stripped.count("\n") + 1 and not stripped.endswith(("}", "]"))
            )
            hint = "; the file ends early (truncated?)" if truncated else ""
            raise ImportFileError(
                name, f"line {exc.lineno}, column {exc.colno}", None,
                f"invalid JSON ({exc.msg}){hint}",
            ) from None
    return parse_guidellm_report(data, file=name, sha256=sha256, run=run)


def parse_guidellm_report(data: Any, *, file: str, sha256: str, run: GuidellmRun) -> GuidellmReport:
    """Validate a loaded report and turn each benchmark into a :class:`BenchmarkRecord`."""
    top = RecordLocation(file, None)
    if not isinstance(data, dict):
        raise top.problem((), f"expected a GuideLLM report object, got {describe_value(data)}")
    schema_version: int | None = None
    metadata = data.get("metadata")
    if metadata is not None:
        version = value_at(data, ("metadata", "version"), top)
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
            raise top.problem(
                ("metadata", "version"),
                f"unsupported report schema version {version!r} (supported: {supported}, "
                "written by GuideLLM 0.5-0.8)",
            )
        schema_version = int(version)
    benchmarks = value_at(data, ("benchmarks",), top)
    if not isinstance(benchmarks, list):
        raise top.problem(("benchmarks",), f"expected a list, got {describe_value(benchmarks)}")
    if not benchmarks:
        raise top.problem(("benchmarks",), "the report has no benchmarks")

    prefix_tokens, prefix_count, prefix_note = _shared_prefix(data, schema_version, top)
    context = ReportContext(
        file=file, sha256=sha256, run=run, schema_version=schema_version,
        guidellm_version=optional_at(data, "metadata", "guidellm_version"),
        dataset=run.dataset or _dataset_label(data, schema_version),
        server=_server(data, schema_version),
        shared_prefix_tokens=prefix_tokens,
        prefix_count=prefix_count,
        prefix_note=prefix_note,
    )
    records: list[BenchmarkRecord] = []
    skipped: list[str] = []
    for index, bench in enumerate(benchmarks):
        result = context.record(bench, index)
        if isinstance(result, str):
            skipped.append(result)
        else:
            records.append(result)
    if not records:
        raise top.problem(("benchmarks",), "no benchmark has successful requests: "
                          + "; ".join(skipped))
    return GuidellmReport(
        file=file, sha256=sha256, schema_version=schema_version,
        guidellm_version=context.guidellm_version, records=tuple(records), skipped=tuple(skipped),
    )


def _data_specs(data: dict[str, Any], schema_version: int | None) -> Sequence[Any]:
    specs = (
        optional_at(data, "config", "spec", "data") if schema_version == 2
        else optional_at(data, "args", "data")
    )
    return specs if isinstance(specs, list) else []


def _shared_prefix(
    data: dict[str, Any], schema_version: int | None, top: RecordLocation
) -> tuple[int, int, str | None]:
    """The prompts' shared prefixes from synthetic data's ``prefix_buckets`` (tokens, how many
    distinct ones, and a note on how they were read): the buckets' mean ``prefix_tokens``
    weighted by ``bucket_weight`` (default 1), and as many prefixes, evenly used, as give a
    request's prefix the buckets' mean request rate (``1 / Σ w²/n`` of the buckets' shares
    ``w`` of the requests and their ``n = prefix_count`` prefixes: ``n`` for one bucket);
    (0, 1, None) without buckets."""
    specs = _data_specs(data, schema_version)
    if len(specs) != 1 or not isinstance(specs[0], dict):
        return 0, 1, None
    buckets = specs[0].get("prefix_buckets")
    if not buckets:
        return 0, 1, None
    root = ("config", "spec", "data") if schema_version == 2 else ("args", "data")
    where = (*root, 0, "prefix_buckets")
    if not isinstance(buckets, list) or not all(isinstance(b, dict) for b in buckets):
        raise top.problem(where, f"expected a list of buckets, got {describe_value(buckets)}")
    weighted = total = 0.0
    prefixes = 0
    shares: list[tuple[float, int]] = []
    for bucket in buckets:
        tokens, weight = bucket.get("prefix_tokens"), bucket.get("bucket_weight", 1)
        count = bucket.get("prefix_count", 1)
        for name, value in (("prefix_tokens", tokens), ("bucket_weight", weight),
                            ("prefix_count", count)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise top.problem((*where, name), f"expected a number >= 0, got "
                                  f"{describe_value(value)}")
        weighted += float(tokens) * float(weight)
        total += float(weight)
        prefixes += int(count)
        shares.append((float(weight), max(int(count), 1)))
    if total <= 0:
        return 0, 1, None
    tokens = round(weighted / total)
    even = max(round(1.0 / sum((w / total) ** 2 / n for w, n in shares)), 1) if tokens else 1
    read_as = "one prefix" if even == 1 else f"{even} prefixes, evenly used,"
    note = (
        f"shared prompt prefix {tokens} tokens: GuideLLM prefix_buckets "
        f"({len(buckets)} bucket(s), {prefixes} distinct prefix(es), read as {read_as} of "
        "their weighted mean length)"
    )
    return tokens, even, note


def _dataset_label(data: dict[str, Any], schema_version: int | None) -> str:
    """``fixed`` for synthetic data with fixed lengths (no stdev), else ``other``."""
    specs = _data_specs(data, schema_version)
    if len(specs) != 1:
        return "other"
    spec = specs[0]
    if isinstance(spec, str):  # v1: "prompt_tokens=256,output_tokens=128"
        pairs = dict(p.split("=", 1) for p in spec.split(",") if "=" in p)
        synthetic = "prompt_tokens" in pairs and "output_tokens" in pairs
        varying = any(k.endswith("_stdev") and v not in {"0", ""} for k, v in pairs.items())
        return "fixed" if synthetic and not varying else "other"
    if isinstance(spec, dict) and spec.get("kind") == "synthetic_text":
        varying = any(k.endswith("_stdev") and v for k, v in spec.items())
        return "other" if varying else "fixed"
    return "other"


def _server(data: dict[str, Any], schema_version: int | None) -> str:
    backend = optional_at(data, "config", "spec", "backend") if schema_version == 2 else data.get(
        "args"
    )
    target = optional_at(backend, "target")
    model = optional_at(backend, "model")
    parts = []
    if isinstance(model, str) and model:
        parts.append(f"served model {model!r}")
    if isinstance(target, str) and target:
        parts.append(f"target {target}")
    return ", ".join(parts)


__all__ = [
    "SUPPORTED_SCHEMA_VERSIONS",
    "GuidellmReport",
    "GuidellmRun",
    "parse_guidellm_report",
    "read_guidellm_report",
]
