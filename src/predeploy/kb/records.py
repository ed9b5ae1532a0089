"""Conversions between core facts and table rows, one :class:`CollectionSpec` per collection.

Rows are written from validated core objects and read back through the same validation, so a
row that no longer matches its schema fails loudly instead of planting a wrong number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentOutcome,
    DeploymentTemplate,
    FactKind,
    GpuSpec,
    LoadDescription,
    ModelCard,
    PriceQuote,
    Provenance,
    SloTemplate,
)
from predeploy.kb.metric_names import parse_metric_name
from predeploy.kb.tables import (
    Base,
    BenchmarkMetricRow,
    BenchmarkScenarioRow,
    DeploymentOutcomeRow,
    DeploymentTemplateRow,
    GpuRow,
    ModelRow,
    PriceRow,
    ProvenanceColumns,
    SloTemplateRow,
)

T = TypeVar("T", bound=BaseModel)


def content_hash(value: BaseModel) -> str:
    """SHA-256 of the object's canonical JSON (sorted keys): equal facts, equal hash."""
    text = json.dumps(value.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def provenance_values(provenance: Provenance) -> dict[str, Any]:
    """The provenance columns of a row."""
    return {
        "source": provenance.source,
        "source_url": provenance.url,
        "source_date": provenance.date,
        "fact_kind": provenance.kind.value,
        "source_notes": provenance.notes,
    }


def provenance_of(row: ProvenanceColumns) -> Provenance:
    """A row's provenance columns as a core :class:`Provenance`."""
    return Provenance(
        source=row.source,
        url=row.source_url,
        date=row.source_date,
        kind=FactKind(row.fact_kind),
        notes=row.source_notes,
    )


@dataclass(frozen=True)
class CollectionSpec(Generic[T]):
    """How one small collection maps to its table: key columns, row values and the way back."""

    name: str
    row_type: type[Base]
    key_columns: tuple[str, ...]
    to_values: Callable[[T], dict[str, Any]]
    from_row: Callable[[Any], T]

    def key_of(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(values[c] for c in self.key_columns)


def _model_values(card: ModelCard) -> dict[str, Any]:
    arch = card.architecture
    return {
        "id": card.id,
        "name": card.name,
        "family": card.family,
        "license": card.license,
        "total_params_b": arch.total_params_b,
        "active_params_b": arch.active_params_b,
        "max_context_tokens": arch.max_context_tokens,
        "release_date": card.release_date,
        "reasoning": card.reasoning,
        "payload": card.model_dump(mode="json"),
        **provenance_values(card.provenance),
    }


def _gpu_values(gpu: GpuSpec) -> dict[str, Any]:
    return {
        "name": gpu.name,
        "label": gpu.label,
        "vendor": gpu.vendor,
        "architecture": gpu.architecture,
        "memory_gb": gpu.memory_gb,
        "memory_bandwidth_gb_s": gpu.memory_bandwidth_gb_s,
        "bf16_tflops": gpu.bf16_tflops,
        "fp8_tflops": gpu.fp8_tflops,
        "fp4_tflops": gpu.fp4_tflops,
        "interconnect": gpu.interconnect,
        "interconnect_gb_s": gpu.interconnect_gb_s,
        "payload": gpu.model_dump(mode="json"),
        **provenance_values(gpu.provenance),
    }


def _price_values(price: PriceQuote) -> dict[str, Any]:
    return {
        "gpu": price.gpu,
        "provider": price.provider,
        "instance_type": price.instance_type,
        "region": price.region,
        "region_class": price.region_class,
        "gpu_count": price.gpu_count,
        "usd_per_gpu_hour_on_demand": price.usd_per_gpu_hour_on_demand,
        "usd_per_gpu_hour_spot": price.usd_per_gpu_hour_spot,
        **provenance_values(price.provenance),
    }


def _price_from_row(row: PriceRow) -> PriceQuote:
    return PriceQuote(
        gpu=row.gpu,
        provider=row.provider,
        instance_type=row.instance_type,
        region=row.region,
        region_class=row.region_class,
        gpu_count=row.gpu_count,
        usd_per_gpu_hour_on_demand=row.usd_per_gpu_hour_on_demand,
        usd_per_gpu_hour_spot=row.usd_per_gpu_hour_spot,
        provenance=provenance_of(row),
    )


def _slo_values(template: SloTemplate) -> dict[str, Any]:
    slo = template.slo
    return {
        "use_case": template.id.value,
        "name": template.name,
        "default_priority": template.default_priority.value,
        "ttft_ms_p90": slo.ttft_ms.p90,
        "itl_ms_p90": slo.itl_ms.p90,
        "e2e_ms_p95": slo.e2e_ms.p95,
        "payload": template.model_dump(mode="json"),
        **provenance_values(template.provenance),
    }


def _deployment_template_values(template: DeploymentTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "runtime": template.runtime,
        "kserve_deployment_mode": template.kserve_deployment_mode,
        "autoscaling_kind": template.autoscaling.kind,
        "payload": template.model_dump(mode="json"),
        **provenance_values(template.provenance),
    }


MODELS: CollectionSpec[ModelCard] = CollectionSpec(
    "models", ModelRow, ("id",), _model_values,
    lambda row: ModelCard.model_validate(row.payload),
)
GPUS: CollectionSpec[GpuSpec] = CollectionSpec(
    "gpus", GpuRow, ("name",), _gpu_values, lambda row: GpuSpec.model_validate(row.payload)
)
PRICES: CollectionSpec[PriceQuote] = CollectionSpec(
    "prices", PriceRow, ("gpu", "provider", "instance_type", "region", "gpu_count"),
    _price_values, _price_from_row,
)
SLO_TEMPLATES: CollectionSpec[SloTemplate] = CollectionSpec(
    "slo_templates", SloTemplateRow, ("use_case",), _slo_values,
    lambda row: SloTemplate.model_validate(row.payload),
)
DEPLOYMENT_TEMPLATES: CollectionSpec[DeploymentTemplate] = CollectionSpec(
    "deployment_templates", DeploymentTemplateRow, ("id",), _deployment_template_values,
    lambda row: DeploymentTemplate.model_validate(row.payload),
)


def scenario_values(record: BenchmarkRecord) -> dict[str, Any]:
    """Column values of a benchmark scenario row (metrics go to :func:`metric_values`)."""
    return {
        "id": record.id,
        "model": record.model,
        "gpu": record.gpu,
        "gpu_count": record.gpu_count,
        "tp": record.tp,
        "pp": record.pp,
        "precision": record.precision.value if record.precision is not None else None,
        "kv_cache_dtype": record.kv_cache_dtype,
        "engine": record.engine,
        "engine_version": record.engine_version,
        "engine_args": record.engine_args,
        "input_tokens": record.input_tokens,
        "output_tokens": record.output_tokens,
        "dataset": record.dataset,
        "load_kind": record.load.kind,
        "load_value": record.load.value,
        "load_num_prompts": record.load.num_prompts,
        "load_arrival": record.load.arrival,
        "client": record.client.value if record.client is not None else None,
        "ignore_eos": record.ignore_eos,
        "checkpoint": record.checkpoint,
        "shared_prefix_tokens": record.shared_prefix_tokens or None,
        "prefix_count": record.prefix_count if record.prefix_count > 1 else None,
        "source_key": record.source_key,
        **provenance_values(record.provenance),
    }


def metric_values(record: BenchmarkRecord) -> list[dict[str, Any]]:
    """One row per measured metric value, each with the scenario's provenance and its unit.

    Raises ``ValueError`` for a metric name outside the vocabulary
    (:mod:`predeploy.kb.metric_names`).
    """
    provenance = provenance_values(record.provenance)
    rows = []
    for name, value in sorted(record.metrics.items()):
        parsed = parse_metric_name(name)
        rows.append({
            "scenario_id": record.id,
            "metric": name,
            "family": parsed.family,
            "unit": parsed.unit,
            "statistic": parsed.statistic,
            "value": value,
            **provenance,
        })
    return rows


def record_from_rows(scenario: BenchmarkScenarioRow, metrics: list[BenchmarkMetricRow]) -> (
    BenchmarkRecord
):
    """Rebuild a :class:`BenchmarkRecord` from its scenario row and metric rows."""
    return BenchmarkRecord(
        id=scenario.id,
        model=scenario.model,
        gpu=scenario.gpu,
        gpu_count=scenario.gpu_count,
        tp=scenario.tp,
        pp=scenario.pp,
        precision=scenario.precision,
        kv_cache_dtype=scenario.kv_cache_dtype,
        engine=scenario.engine,
        engine_version=scenario.engine_version,
        engine_args=scenario.engine_args,
        input_tokens=scenario.input_tokens,
        output_tokens=scenario.output_tokens,
        dataset=scenario.dataset,
        load=LoadDescription(
            kind=scenario.load_kind,
            value=scenario.load_value,
            num_prompts=scenario.load_num_prompts,
            arrival=scenario.load_arrival,
        ),
        client=scenario.client,
        ignore_eos=scenario.ignore_eos,
        checkpoint=scenario.checkpoint,
        shared_prefix_tokens=scenario.shared_prefix_tokens or 0,
        prefix_count=scenario.prefix_count or 1,
        metrics={m.metric: m.value for m in metrics},
        source_key=scenario.source_key,
        provenance=provenance_of(scenario),
    )


def outcome_values(outcome: DeploymentOutcome) -> dict[str, Any]:
    """Row values of a deployment outcome: measured, from ``outcome.source``, dated by its end."""
    plan = outcome.plan
    return {
        "id": outcome.id,
        "deployment_name": outcome.deployment_name,
        "model": plan.model,
        "gpu": plan.gpu,
        "precision": plan.precision.value,
        "tp": plan.tp,
        "replicas": plan.replicas,
        "period_start": outcome.period_start,
        "period_end": outcome.period_end,
        "payload": outcome.model_dump(mode="json"),
        "source": outcome.source or "deployment observation",
        "source_url": None,
        "source_date": outcome.period_end.date(),
        "fact_kind": FactKind.MEASURED.value,
        "source_notes": outcome.notes or None,
    }


def outcome_from_row(row: DeploymentOutcomeRow) -> DeploymentOutcome:
    return DeploymentOutcome.model_validate(row.payload)
