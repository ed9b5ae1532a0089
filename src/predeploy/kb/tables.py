"""The knowledge base's tables: the seven collections, an import log and a few settings.

Every fact row carries its provenance in columns (``source``, ``source_url``, ``source_date``,
``fact_kind``, ``source_notes``), where ``fact_kind`` is one of measured / published-spec /
estimated / derived. Columns people filter on (ids, GPU and model names, use case, provider,
metric name) are normalized; deep structures (a model's architecture and quality scores, an SLO
template, a deployment outcome's plan) are kept whole as the validated core object in ``payload``
(JSON, JSONB on PostgreSQL). The core never imports this module: rows are converted to and from
core types in :mod:`predeploy.kb.records`.

Benchmarks are two tables: one row per measured scenario (``benchmark_scenarios``) and one row
per measured metric value (``benchmark_metrics``), so "how many measured values, from which
source" is a plain ``COUNT``.

``origin`` says how a row got here: ``seed`` (package data, kept in sync by ``kb init``) or
``import`` (a user import, never touched by re-seeding). ``content_hash`` is the SHA-256 of the
row's canonical JSON, so re-seeding skips unchanged rows and updates changed ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Constraint names spelled out so migrations can drop them by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON document column: JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
Payload = JSON().with_variant(JSONB(), "postgresql")

FACT_KINDS = ("measured", "published-spec", "estimated", "derived")
ORIGINS = ("seed", "import")

ID_LENGTH = 300
NAME_LENGTH = 200
HASH_LENGTH = 64


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProvenanceColumns:
    """Where a row's facts come from, and how it got into the knowledge base."""

    source: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(Text)
    source_date: Mapped[dt.date | None] = mapped_column(Date)
    fact_kind: Mapped[str] = mapped_column(String(20))
    source_notes: Mapped[str | None] = mapped_column(Text)


class TrackedColumns:
    """Sync bookkeeping shared by every collection row."""

    origin: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def _fact_checks() -> tuple[CheckConstraint, CheckConstraint]:
    return (
        CheckConstraint(_in("fact_kind", FACT_KINDS), name="fact_kind"),
        CheckConstraint(_in("origin", ORIGINS), name="origin"),
    )


class ModelRow(ProvenanceColumns, TrackedColumns, Base):
    """Model catalog: one row per model (Hugging Face id); architecture and quality in payload."""

    __tablename__ = "models"
    __table_args__ = _fact_checks()

    id: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    family: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    license: Mapped[str] = mapped_column(String(NAME_LENGTH))
    total_params_b: Mapped[float] = mapped_column(Double)
    active_params_b: Mapped[float] = mapped_column(Double)
    max_context_tokens: Mapped[int] = mapped_column(Integer)
    release_date: Mapped[dt.date | None] = mapped_column(Date)
    reasoning: Mapped[bool]
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class GpuRow(ProvenanceColumns, TrackedColumns, Base):
    """Hardware profiles: one row per accelerator (canonical name, e.g. ``H100-SXM``)."""

    __tablename__ = "gpus"
    __table_args__ = _fact_checks()

    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    label: Mapped[str] = mapped_column(String(NAME_LENGTH))
    vendor: Mapped[str] = mapped_column(String(20))
    architecture: Mapped[str] = mapped_column(String(NAME_LENGTH))
    memory_gb: Mapped[float] = mapped_column(Double)
    memory_bandwidth_gb_s: Mapped[float] = mapped_column(Double)
    bf16_tflops: Mapped[float] = mapped_column(Double)
    fp8_tflops: Mapped[float | None] = mapped_column(Double)
    fp4_tflops: Mapped[float | None] = mapped_column(Double)
    interconnect: Mapped[str] = mapped_column(String(30))
    interconnect_gb_s: Mapped[float] = mapped_column(Double)
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class PriceRow(ProvenanceColumns, TrackedColumns, Base):
    """Cost data: one GPU-hour price per (GPU, provider, instance type, region, GPU count)."""

    __tablename__ = "prices"
    __table_args__ = (
        *_fact_checks(),
        UniqueConstraint("gpu", "provider", "instance_type", "region", "gpu_count"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    gpu: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    provider: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    instance_type: Mapped[str] = mapped_column(String(NAME_LENGTH))
    region: Mapped[str] = mapped_column(String(NAME_LENGTH))
    region_class: Mapped[str] = mapped_column(String(20))
    gpu_count: Mapped[int] = mapped_column(Integer)
    usd_per_gpu_hour_on_demand: Mapped[float | None] = mapped_column(Double)
    usd_per_gpu_hour_spot: Mapped[float | None] = mapped_column(Double)


class SloTemplateRow(ProvenanceColumns, TrackedColumns, Base):
    """Use-case SLO templates: one row per use case id (``chatbot``, ``rag_qa``, ...)."""

    __tablename__ = "slo_templates"
    __table_args__ = _fact_checks()

    use_case: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    default_priority: Mapped[str] = mapped_column(String(20))
    ttft_ms_p90: Mapped[float | None] = mapped_column(Double)
    itl_ms_p90: Mapped[float | None] = mapped_column(Double)
    e2e_ms_p95: Mapped[float | None] = mapped_column(Double)
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class DeploymentTemplateRow(ProvenanceColumns, TrackedColumns, Base):
    """Deployment templates: named serving patterns (KServe mode, runtime, vLLM args, scaling)."""

    __tablename__ = "deployment_templates"
    __table_args__ = _fact_checks()

    id: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    runtime: Mapped[str] = mapped_column(String(50))
    kserve_deployment_mode: Mapped[str] = mapped_column(String(20))
    autoscaling_kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class BenchmarkScenarioRow(ProvenanceColumns, TrackedColumns, Base):
    """Model benchmarks, part 1: one measured serving scenario (model × GPU × setup × load)."""

    __tablename__ = "benchmark_scenarios"
    __table_args__ = (
        *_fact_checks(),
        Index(None, "model", "gpu"),
    )

    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH))
    gpu: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    gpu_count: Mapped[int] = mapped_column(Integer)
    tp: Mapped[int | None] = mapped_column(Integer)
    pp: Mapped[int] = mapped_column(Integer)
    precision: Mapped[str | None] = mapped_column(String(10))
    kv_cache_dtype: Mapped[str | None] = mapped_column(String(20))
    engine: Mapped[str] = mapped_column(String(50), index=True)
    engine_version: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    engine_args: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    dataset: Mapped[str] = mapped_column(String(NAME_LENGTH))
    load_kind: Mapped[str] = mapped_column(String(30))
    load_value: Mapped[float | None] = mapped_column(Double)
    load_num_prompts: Mapped[int | None] = mapped_column(Integer)
    load_arrival: Mapped[str | None] = mapped_column(String(20))
    client: Mapped[str | None] = mapped_column(String(30))
    ignore_eos: Mapped[bool | None] = mapped_column(Boolean)
    checkpoint: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    #: Tokens every prompt shared (``BenchmarkRecord.shared_prefix_tokens``; NULL: none).
    shared_prefix_tokens: Mapped[int | None] = mapped_column(Integer)
    #: Distinct shared prefixes (``BenchmarkRecord.prefix_count``; NULL: one).
    prefix_count: Mapped[int | None] = mapped_column(Integer)
    source_key: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("kb_imports.id", ondelete="SET NULL"))

    metrics: Mapped[list[BenchmarkMetricRow]] = relationship(
        back_populates="scenario",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="BenchmarkMetricRow.metric",
    )


class BenchmarkMetricRow(ProvenanceColumns, Base):
    """Model benchmarks, part 2: one measured metric value of one scenario, in its unit."""

    __tablename__ = "benchmark_metrics"
    __table_args__ = (
        CheckConstraint(_in("fact_kind", FACT_KINDS), name="fact_kind"),
        UniqueConstraint("scenario_id", "metric"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario_id: Mapped[str] = mapped_column(
        ForeignKey("benchmark_scenarios.id", ondelete="CASCADE"), index=True
    )
    #: Calibration-contract name, e.g. ``ttft_ms_p99`` or ``output_tokens_per_s``.
    metric: Mapped[str] = mapped_column(String(80), index=True)
    #: ``ttft``, ``itl``, ``tpot``, ``e2e``, ``throughput`` or ``single_stream``.
    family: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(20))
    #: ``mean``, ``p50`` ... for latency distributions; ``None`` for throughputs.
    statistic: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Double)

    scenario: Mapped[BenchmarkScenarioRow] = relationship(back_populates="metrics")


class DeploymentOutcomeRow(ProvenanceColumns, Base):
    """Deployment outcomes: a deployed plan and what it measured over a period."""

    __tablename__ = "deployment_outcomes"
    __table_args__ = (CheckConstraint(_in("fact_kind", FACT_KINDS), name="fact_kind"),)

    id: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    deployment_name: Mapped[str] = mapped_column(String(253), index=True)
    model: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    gpu: Mapped[str] = mapped_column(String(NAME_LENGTH), index=True)
    precision: Mapped[str] = mapped_column(String(10))
    tp: Mapped[int] = mapped_column(Integer)
    replicas: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    period_end: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class ImportRow(Base):
    """The import log: one row per ``kb init`` seeding or user import, for traceability."""

    __tablename__ = "kb_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``seed``, ``guidellm``, ``benchmarks`` or ``calibration-cases``.
    kind: Mapped[str] = mapped_column(String(30))
    #: The file names (without directories), comma-separated.
    files: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    scenarios: Mapped[int] = mapped_column(Integer)
    metric_values: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class KbSettingRow(Base):
    """One named value about the database itself (e.g. which package data seeded it)."""

    __tablename__ = "kb_settings"

    key: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
