"""GuideLLM benchmark reports (``benchmarks.json`` / ``.yaml``) → :class:`BenchmarkRecord` s.

Reads report schema versions 1 (GuideLLM 0.5–0.6: ``metadata``, ``args``, ``benchmarks``) and 2
(0.7–0.8: ``metadata``, ``config``, ``benchmarks``); reports without ``metadata`` (0.3–0.4)
share the per-benchmark layout and are read the same way. One record per benchmark of the
report (a sweep gives several), from the ``successful`` requests' distributions:

* ``ttft_ms_{mean,p50,p90,p95,p99}`` ← ``time_to_first_token_ms`` (ms);
* ``e2e_ms_*`` ← ``request_latency`` (seconds) × 1000;
* ``itl_ms_mean`` ← ``inter_token_latency_ms`` mean. GuideLLM computes a per-request mean gap
  (last token − first token) / (output tokens − 1) and weights it by token count, so its mean is
  exactly the mean over all gaps; its percentiles are of per-request means, not of single gaps,
  so they are not stored as ITL percentiles;
* ``tpot_ms_*`` ← the same ``inter_token_latency_ms`` distribution, but only when every request
  produced the same number of tokens (then token weighting equals request weighting and the
  per-request mean gap is exactly our TPOT, (E2E − TTFT) / (output − 1));
* ``requests_per_s``, ``output_tokens_per_s``, ``total_tokens_per_s`` ← the means of
  ``requests_per_second``, ``output_tokens_per_second`` and ``tokens_per_second`` (achieved
  rates over the measured window).

GuideLLM's ``time_per_output_token_ms`` is not used: it divides the whole latency, TTFT
included, by the output tokens. The report does not know the hardware, so the GPU, counts,
parallelism, precision and engine come from :class:`GuidellmRun` (the CLI flags). The load comes
from each benchmark's strategy: ``synchronous`` → concurrency 1, ``concurrent`` → concurrency
``streams``, ``throughput`` → concurrency ``max_concurrency`` (a closed loop at the cap),
``constant`` / ``poisson`` → request rate ``rate`` with that arrival process.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from predeploy.core.errors import describe_validation_error
from predeploy.core.types import (
    BenchmarkRecord,
    Engine,
    FactKind,
    FrozenModel,
    KvCacheDtype,
    LoadDescription,
    Precision,
    Provenance,
)
from predeploy.kb.importers.problems import ImportFileError
from predeploy.kb.importers.source import read_text

SUPPORTED_SCHEMA_VERSIONS = (1, 2)
STRATEGIES = ("synchronous", "concurrent", "throughput", "constant", "poisson")
REPORTED_PERCENTILES = ("p50", "p90", "p95", "p99")
#: Seconds → milliseconds for ``request_latency``.
MS_PER_S = 1000.0
#: Decimals kept after a unit conversion (ns resolution in ms), dropping binary noise only.
ROUND_MS_DIGITS = 6

Path_ = tuple[str | int, ...]


class GuidellmRun(FrozenModel):
    """What a GuideLLM report does not record: the serving setup it measured.

    ``tp`` defaults to ``gpu_count / pp`` (one replica over all GPUs).
    """

    model: str
    gpu: str
    gpu_count: int = 1
    tp: int | None = None
    pp: int = 1
    precision: Precision | None = None
    engine: Engine = Engine.VLLM
    engine_version: str | None = None
    kv_cache_dtype: KvCacheDtype | None = None
    #: Overrides the dataset label read from the report (``fixed`` or ``other``).
    dataset: str | None = None
    #: Groups the records; default ``guidellm:<file name without extension>``.
    source_key: str | None = None


class GuidellmReport(FrozenModel):
    """The records of one report, and the benchmarks that had nothing to import."""

    file: str
    sha256: str
    schema_version: int | None
    guidellm_version: str | None
    records: tuple[BenchmarkRecord, ...]
    skipped: tuple[str, ...] = ()


class _Where:
    """Names the record being read, for error messages."""

    def __init__(self, file: str, record: str | None) -> None:
        self.file = file
        self.record = record

    def problem(self, path: Path_, message: str) -> ImportFileError:
        return ImportFileError(self.file, self.record, _dotted(path) or None, message)


def _dotted(path: Path_) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else key)
    return out


def _at(obj: Any, path: Path_, where: _Where) -> Any:
    current = obj
    for depth, key in enumerate(path):
        if isinstance(key, int):
            if not isinstance(current, list) or key >= len(current):
                raise where.problem(path[: depth + 1], "missing")
            current = current[key]
            continue
        if not isinstance(current, dict):
            raise where.problem(path[:depth], f"expected an object, got {_kind(current)}")
        if key not in current:
            raise where.problem(path[: depth + 1], "missing")
        current = current[key]
    return current


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "null" if value is None else type(value).__name__


def _number(obj: Any, path: Path_, where: _Where) -> float:
    value = _at(obj, path, where)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.problem(path, f"expected a number, got {_kind(value)}")
    if not math.isfinite(value) or value < 0:
        raise where.problem(path, f"expected a finite non-negative number, got {value!r}")
    return float(value)


def _optional(obj: Any, *keys: str | int) -> Any:
    """The value at ``keys``, or ``None`` where anything on the way is absent."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


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
    top = _Where(file, None)
    if not isinstance(data, dict):
        raise top.problem((), f"expected a GuideLLM report object, got {_kind(data)}")
    schema_version: int | None = None
    metadata = data.get("metadata")
    if metadata is not None:
        version = _at(data, ("metadata", "version"), top)
        if version not in SUPPORTED_SCHEMA_VERSIONS:
            supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
            raise top.problem(
                ("metadata", "version"),
                f"unsupported report schema version {version!r} (supported: {supported}, "
                "written by GuideLLM 0.5-0.8)",
            )
        schema_version = int(version)
    benchmarks = _at(data, ("benchmarks",), top)
    if not isinstance(benchmarks, list):
        raise top.problem(("benchmarks",), f"expected a list, got {_kind(benchmarks)}")
    if not benchmarks:
        raise top.problem(("benchmarks",), "the report has no benchmarks")

    context = _ReportContext(
        file=file, sha256=sha256, run=run, schema_version=schema_version,
        guidellm_version=_optional(data, "metadata", "guidellm_version"),
        dataset=run.dataset or _dataset_label(data, schema_version),
        server=_server(data, schema_version),
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
        _optional(data, "config", "spec", "data") if schema_version == 2
        else _optional(data, "args", "data")
    )
    return specs if isinstance(specs, list) else []


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
    backend = _optional(data, "config", "spec", "backend") if schema_version == 2 else data.get(
        "args"
    )
    target = _optional(backend, "target")
    model = _optional(backend, "model")
    parts = []
    if isinstance(model, str) and model:
        parts.append(f"served model {model!r}")
    if isinstance(target, str) and target:
        parts.append(f"target {target}")
    return ", ".join(parts)


class _ReportContext:
    def __init__(
        self, *, file: str, sha256: str, run: GuidellmRun, schema_version: int | None,
        guidellm_version: Any, dataset: str, server: str,
    ) -> None:
        self.file = file
        self.sha256 = sha256
        self.run = run
        self.schema_version = schema_version
        self.guidellm_version = guidellm_version if isinstance(guidellm_version, str) else None
        self.dataset = dataset
        self.server = server

    def record(self, bench: Any, index: int) -> BenchmarkRecord | str:
        where = _Where(self.file, f"benchmarks[{index}]")
        if not isinstance(bench, dict):
            raise where.problem((), f"expected a benchmark object, got {_kind(bench)}")
        kind = _at(bench, ("config", "strategy", "type_"), where)
        load = _load(bench, kind, where)
        totals = ("metrics", "request_totals")
        successful = _number(bench, (*totals, "successful"), where)
        if successful == 0:
            return f"benchmarks[{index}] ({kind}): no successful requests"

        def dist(name: str) -> Path_:
            return ("metrics", name, "successful")

        metrics: dict[str, float] = {}
        for ours, theirs, scale in (
            ("ttft", "time_to_first_token_ms", 1.0),
            ("e2e", "request_latency", MS_PER_S),
        ):
            mean = _number(bench, (*dist(theirs), "mean"), where)
            metrics[f"{ours}_ms_mean"] = round(mean * scale, ROUND_MS_DIGITS)
            for p in REPORTED_PERCENTILES:
                value = _number(bench, (*dist(theirs), "percentiles", p), where)
                metrics[f"{ours}_ms_{p}"] = round(value * scale, ROUND_MS_DIGITS)
        itl = dist("inter_token_latency_ms")
        metrics["itl_ms_mean"] = _number(bench, (*itl, "mean"), where)
        output_mean = _number(bench, (*dist("output_token_count"), "mean"), where)
        fixed_output = self._fixed_output(bench, where)
        if fixed_output and output_mean > 1:
            metrics["tpot_ms_mean"] = metrics["itl_ms_mean"]
            for p in REPORTED_PERCENTILES:
                metrics[f"tpot_ms_{p}"] = _number(bench, (*itl, "percentiles", p), where)
        metrics["requests_per_s"] = _number(bench, (*dist("requests_per_second"), "mean"), where)
        metrics["output_tokens_per_s"] = _number(
            bench, (*dist("output_tokens_per_second"), "mean"), where
        )
        metrics["total_tokens_per_s"] = _number(bench, (*dist("tokens_per_second"), "mean"), where)
        prompt_mean = _number(bench, (*dist("prompt_token_count"), "mean"), where)

        errored = _optional(bench, *totals, "errored")
        incomplete = _optional(bench, *totals, "incomplete")
        duration = _optional(bench, "duration")
        notes = [
            f"GuideLLM {kind} benchmark {index}: {successful:.0f} successful, "
            f"{incomplete if incomplete is not None else '?'} incomplete, "
            f"{errored if errored is not None else '?'} errored requests"
            + (f" in {duration:.1f} s" if isinstance(duration, int | float) else ""),
            "e2e_ms_* = request_latency (s) × 1000",
            "itl_ms_mean = inter_token_latency_ms mean (token-weighted = mean over all gaps)",
            "tpot_ms_* = inter_token_latency_ms over requests (all had the same output length)"
            if "tpot_ms_mean" in metrics
            else "no TPOT: output lengths vary and GuideLLM weights per-request ITL by tokens",
            "time_per_output_token_ms not used (GuideLLM includes TTFT in it)",
        ]
        if self.server:
            notes.append(self.server)
        record_id = _optional(bench, "config", "id_")
        if not isinstance(record_id, str) or not record_id:
            record_id = f"{self.sha256[:12]}/{index}"
        version = self.guidellm_version or "(version not recorded)"
        values: dict[str, Any] = {
            "id": f"guidellm/{record_id}",
            "model": self.run.model,
            "gpu": self.run.gpu,
            "gpu_count": self.run.gpu_count,
            "tp": self.run.tp or max(1, self.run.gpu_count // self.run.pp),
            "pp": self.run.pp,
            "precision": self.run.precision,
            "kv_cache_dtype": self.run.kv_cache_dtype.value if self.run.kv_cache_dtype else None,
            "engine": self.run.engine.value,
            "engine_version": self.run.engine_version,
            "input_tokens": round(prompt_mean),
            "output_tokens": round(output_mean),
            "dataset": self.dataset,
            "load": load,
            "metrics": metrics,
            "source_key": self.run.source_key or f"guidellm:{Path(self.file).stem}",
            "provenance": Provenance(
                source=f"GuideLLM {version} report {self.file} (sha256 {self.sha256[:12]})",
                kind=FactKind.MEASURED,
                date=_date(bench),
                notes="; ".join(notes),
            ),
        }
        try:
            return BenchmarkRecord.model_validate(values)
        except ValidationError as exc:
            raise ImportFileError(
                self.file, f"benchmarks[{index}]", None, describe_validation_error(exc)
            ) from None

    def _fixed_output(self, bench: Any, where: _Where) -> bool:
        summary = _at(bench, ("metrics", "output_token_count", "successful"), where)
        for key in ("std_dev", "variance"):
            if isinstance(summary, dict) and key in summary:
                return _number(summary, (key,), where) == 0
        return False


def _load(bench: Any, kind: Any, where: _Where) -> LoadDescription:
    base: Path_ = ("config", "strategy")
    if kind not in STRATEGIES:
        raise where.problem(
            (*base, "type_"),
            f"unsupported strategy {kind!r} (supported: {', '.join(STRATEGIES)})",
        )
    if kind == "synchronous":
        return LoadDescription(kind="concurrency", value=1)

    def positive(key: str) -> float:
        value = _number(bench, (*base, key), where)
        if value <= 0:
            raise where.problem((*base, key), f"expected a positive number, got {value!r}")
        return value

    if kind == "concurrent":
        return LoadDescription(kind="concurrency", value=positive("streams"))
    if kind == "throughput":
        if _optional(bench, *base, "max_concurrency") is None:
            return LoadDescription(kind="max_throughput")
        return LoadDescription(kind="concurrency", value=positive("max_concurrency"))
    arrival = "poisson" if kind == "poisson" else "constant"
    return LoadDescription(kind="request_rate", value=positive("rate"), arrival=arrival)


def _date(bench: dict[str, Any]) -> dt.date | None:
    start = bench.get("start_time")
    if isinstance(start, int | float) and not isinstance(start, bool) and start > 0:
        return dt.datetime.fromtimestamp(start, dt.UTC).date()
    return None
