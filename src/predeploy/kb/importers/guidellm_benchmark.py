"""One benchmark of a GuideLLM report → one :class:`BenchmarkRecord`.

Each record comes from the benchmark's ``successful`` requests' distributions:

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

Synthetic data with shared prefixes (``prefix_buckets``: ``prefix_count`` distinct prefixes of
``prefix_tokens`` each, buckets weighted by ``bucket_weight``) is read as one shared prefix of
the buckets' weighted mean length (``ReportContext.shared_prefix_tokens``, served from the
prefix cache: ``core.prefix_cache``); the prompt lengths the report measured count it, and where
they do not (a measured mean no longer than the prefix) it is added to them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

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
from predeploy.kb.importers.field_paths import (
    FieldPath,
    RecordLocation,
    describe_value,
    number_at,
    optional_at,
    value_at,
)
from predeploy.kb.importers.problems import ImportFileError

STRATEGIES = ("synchronous", "concurrent", "throughput", "constant", "poisson")
REPORTED_PERCENTILES = ("p50", "p90", "p95", "p99")
#: Seconds → milliseconds for ``request_latency``.
MS_PER_S = 1000.0
#: Decimals kept after a unit conversion (ns resolution in ms), dropping binary noise only.
ROUND_MS_DIGITS = 6


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


class ReportContext:
    """What every record of one report shares: the file and its hash, the run, the report's
    GuideLLM version, dataset label and server."""

    def __init__(
        self, *, file: str, sha256: str, run: GuidellmRun, schema_version: int | None,
        guidellm_version: Any, dataset: str, server: str, shared_prefix_tokens: int = 0,
        prefix_count: int = 1, prefix_note: str | None = None,
    ) -> None:
        self.file = file
        self.sha256 = sha256
        self.run = run
        self.schema_version = schema_version
        self.guidellm_version = guidellm_version if isinstance(guidellm_version, str) else None
        self.dataset = dataset
        self.server = server
        #: The prompts' shared prefix (tokens), how many distinct ones, and how they were read
        #: from ``prefix_buckets``.
        self.shared_prefix_tokens = shared_prefix_tokens
        self.prefix_count = prefix_count
        self.prefix_note = prefix_note

    def record(self, bench: Any, index: int) -> BenchmarkRecord | str:
        """The record of ``benchmarks[index]``, or why it has none (no successful requests)."""
        where = RecordLocation(self.file, f"benchmarks[{index}]")
        if not isinstance(bench, dict):
            raise where.problem((), f"expected a benchmark object, got {describe_value(bench)}")
        kind = value_at(bench, ("config", "strategy", "type_"), where)
        load = _load(bench, kind, where)
        totals = ("metrics", "request_totals")
        successful = number_at(bench, (*totals, "successful"), where)
        if successful == 0:
            return f"benchmarks[{index}] ({kind}): no successful requests"

        def dist(name: str) -> FieldPath:
            return ("metrics", name, "successful")

        metrics: dict[str, float] = {}
        for ours, theirs, scale in (
            ("ttft", "time_to_first_token_ms", 1.0),
            ("e2e", "request_latency", MS_PER_S),
        ):
            mean = number_at(bench, (*dist(theirs), "mean"), where)
            metrics[f"{ours}_ms_mean"] = round(mean * scale, ROUND_MS_DIGITS)
            for p in REPORTED_PERCENTILES:
                value = number_at(bench, (*dist(theirs), "percentiles", p), where)
                metrics[f"{ours}_ms_{p}"] = round(value * scale, ROUND_MS_DIGITS)
        itl = dist("inter_token_latency_ms")
        metrics["itl_ms_mean"] = number_at(bench, (*itl, "mean"), where)
        output_mean = number_at(bench, (*dist("output_token_count"), "mean"), where)
        fixed_output = self._fixed_output(bench, where)
        if fixed_output and output_mean > 1:
            metrics["tpot_ms_mean"] = metrics["itl_ms_mean"]
            for p in REPORTED_PERCENTILES:
                metrics[f"tpot_ms_{p}"] = number_at(bench, (*itl, "percentiles", p), where)
        metrics["requests_per_s"] = number_at(bench, (*dist("requests_per_second"), "mean"), where)
        metrics["output_tokens_per_s"] = number_at(
            bench, (*dist("output_tokens_per_second"), "mean"), where
        )
        metrics["total_tokens_per_s"] = number_at(
            bench, (*dist("tokens_per_second"), "mean"), where
        )
        prompt_mean = number_at(bench, (*dist("prompt_token_count"), "mean"), where)

        errored = optional_at(bench, *totals, "errored")
        incomplete = optional_at(bench, *totals, "incomplete")
        duration = optional_at(bench, "duration")
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
        prefix = self.shared_prefix_tokens
        if prefix and self.prefix_note:
            notes.append(self.prefix_note)
        if prefix and prompt_mean <= prefix:
            notes.append(
                f"input_tokens = measured prompt mean {prompt_mean:.0f} + the {prefix}-token "
                "shared prefix, which the measured count leaves out"
            )
            prompt_mean += prefix
        record_id = optional_at(bench, "config", "id_")
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
            "shared_prefix_tokens": prefix,
            "prefix_count": self.prefix_count if prefix else 1,
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

    def _fixed_output(self, bench: Any, where: RecordLocation) -> bool:
        summary = value_at(bench, ("metrics", "output_token_count", "successful"), where)
        for key in ("std_dev", "variance"):
            if isinstance(summary, dict) and key in summary:
                return number_at(summary, (key,), where) == 0
        return False


def _load(bench: Any, kind: Any, where: RecordLocation) -> LoadDescription:
    base: FieldPath = ("config", "strategy")
    if kind not in STRATEGIES:
        raise where.problem(
            (*base, "type_"),
            f"unsupported strategy {kind!r} (supported: {', '.join(STRATEGIES)})",
        )
    if kind == "synchronous":
        return LoadDescription(kind="concurrency", value=1)

    def positive(key: str) -> float:
        value = number_at(bench, (*base, key), where)
        if value <= 0:
            raise where.problem((*base, key), f"expected a positive number, got {value!r}")
        return value

    if kind == "concurrent":
        return LoadDescription(kind="concurrency", value=positive("streams"))
    if kind == "throughput":
        if optional_at(bench, *base, "max_concurrency") is None:
            return LoadDescription(kind="max_throughput")
        return LoadDescription(kind="concurrency", value=positive("max_concurrency"))
    arrival = "poisson" if kind == "poisson" else "constant"
    return LoadDescription(kind="request_rate", value=positive("rate"), arrival=arrival)


def _date(bench: dict[str, Any]) -> dt.date | None:
    start = bench.get("start_time")
    if isinstance(start, int | float) and not isinstance(start, bool) and start > 0:
        return dt.datetime.fromtimestamp(start, dt.UTC).date()
    return None
