"""Initial knowledge base: the seven collections and the import log.

Revision ID: 0001
Revises:
Create Date: 2026-11-30

Self-contained on purpose: later changes to ``predeploy.kb.tables`` must not change what this
revision creates.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.schema import SchemaItem

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_KINDS_SQL = "fact_kind IN ('measured', 'published-spec', 'estimated', 'derived')"
ORIGINS_SQL = "origin IN ('seed', 'import')"


def _payload() -> sa.Column[object]:
    return sa.Column(
        "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
    )


def _provenance(table: str) -> list[SchemaItem]:
    return [
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("fact_kind", sa.String(length=20), nullable=False),
        sa.Column("source_notes", sa.Text(), nullable=True),
        sa.CheckConstraint(FACT_KINDS_SQL, name=op.f(f"ck_{table}_fact_kind")),
    ]


def _tracked(table: str) -> list[SchemaItem]:
    return [
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(ORIGINS_SQL, name=op.f(f"ck_{table}_origin")),
    ]


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    op.create_table(
        "kb_imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("scenarios", sa.Integer(), nullable=False),
        sa.Column("metric_values", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_imports")),
    )
    op.create_table(
        "models",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("license", sa.String(length=200), nullable=False),
        sa.Column("total_params_b", sa.Double(), nullable=False),
        sa.Column("active_params_b", sa.Double(), nullable=False),
        sa.Column("max_context_tokens", sa.Integer(), nullable=False),
        sa.Column("release_date", sa.Date(), nullable=True),
        sa.Column("reasoning", sa.Boolean(), nullable=False),
        _payload(),
        *_provenance("models"),
        *_tracked("models"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
    )
    _index("models", "family")
    op.create_table(
        "gpus",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("architecture", sa.String(length=200), nullable=False),
        sa.Column("memory_gb", sa.Double(), nullable=False),
        sa.Column("memory_bandwidth_gb_s", sa.Double(), nullable=False),
        sa.Column("bf16_tflops", sa.Double(), nullable=False),
        sa.Column("fp8_tflops", sa.Double(), nullable=True),
        sa.Column("fp4_tflops", sa.Double(), nullable=True),
        sa.Column("interconnect", sa.String(length=30), nullable=False),
        sa.Column("interconnect_gb_s", sa.Double(), nullable=False),
        _payload(),
        *_provenance("gpus"),
        *_tracked("gpus"),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_gpus")),
    )
    op.create_table(
        "prices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gpu", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("instance_type", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=200), nullable=False),
        sa.Column("region_class", sa.String(length=20), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("usd_per_gpu_hour_on_demand", sa.Double(), nullable=True),
        sa.Column("usd_per_gpu_hour_spot", sa.Double(), nullable=True),
        *_provenance("prices"),
        *_tracked("prices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
        sa.UniqueConstraint(
            "gpu", "provider", "instance_type", "region", "gpu_count",
            name=op.f("uq_prices_gpu_provider_instance_type_region_gpu_count"),
        ),
    )
    _index("prices", "gpu")
    _index("prices", "provider")
    op.create_table(
        "slo_templates",
        sa.Column("use_case", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("default_priority", sa.String(length=20), nullable=False),
        sa.Column("ttft_ms_p90", sa.Double(), nullable=True),
        sa.Column("itl_ms_p90", sa.Double(), nullable=True),
        sa.Column("e2e_ms_p95", sa.Double(), nullable=True),
        _payload(),
        *_provenance("slo_templates"),
        *_tracked("slo_templates"),
        sa.PrimaryKeyConstraint("use_case", name=op.f("pk_slo_templates")),
    )
    op.create_table(
        "deployment_templates",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("runtime", sa.String(length=50), nullable=False),
        sa.Column("kserve_deployment_mode", sa.String(length=20), nullable=False),
        sa.Column("autoscaling_kind", sa.String(length=20), nullable=False),
        _payload(),
        *_provenance("deployment_templates"),
        *_tracked("deployment_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_templates")),
    )
    op.create_table(
        "benchmark_scenarios",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("gpu", sa.String(length=200), nullable=False),
        sa.Column("gpu_count", sa.Integer(), nullable=False),
        sa.Column("tp", sa.Integer(), nullable=True),
        sa.Column("pp", sa.Integer(), nullable=False),
        sa.Column("precision", sa.String(length=10), nullable=True),
        sa.Column("kv_cache_dtype", sa.String(length=20), nullable=True),
        sa.Column("engine", sa.String(length=50), nullable=False),
        sa.Column("engine_version", sa.String(length=200), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("dataset", sa.String(length=200), nullable=False),
        sa.Column("load_kind", sa.String(length=30), nullable=False),
        sa.Column("load_value", sa.Double(), nullable=True),
        sa.Column("load_num_prompts", sa.Integer(), nullable=True),
        sa.Column("load_arrival", sa.String(length=20), nullable=True),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        *_provenance("benchmark_scenarios"),
        *_tracked("benchmark_scenarios"),
        sa.ForeignKeyConstraint(
            ["import_id"], ["kb_imports.id"],
            name=op.f("fk_benchmark_scenarios_import_id_kb_imports"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_scenarios")),
    )
    _index("benchmark_scenarios", "engine")
    _index("benchmark_scenarios", "gpu")
    _index("benchmark_scenarios", "model", "gpu")
    _index("benchmark_scenarios", "source_key")
    op.create_table(
        "benchmark_metrics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scenario_id", sa.String(length=300), nullable=False),
        sa.Column("metric", sa.String(length=80), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("statistic", sa.String(length=10), nullable=True),
        sa.Column("value", sa.Double(), nullable=False),
        *_provenance("benchmark_metrics"),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["benchmark_scenarios.id"],
            name=op.f("fk_benchmark_metrics_scenario_id_benchmark_scenarios"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_metrics")),
        sa.UniqueConstraint(
            "scenario_id", "metric", name=op.f("uq_benchmark_metrics_scenario_id_metric")
        ),
    )
    _index("benchmark_metrics", "metric")
    _index("benchmark_metrics", "scenario_id")
    op.create_table(
        "deployment_outcomes",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("deployment_name", sa.String(length=253), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("gpu", sa.String(length=200), nullable=False),
        sa.Column("precision", sa.String(length=10), nullable=False),
        sa.Column("tp", sa.Integer(), nullable=False),
        sa.Column("replicas", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _payload(),
        *_provenance("deployment_outcomes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_outcomes")),
    )
    _index("deployment_outcomes", "deployment_name")
    _index("deployment_outcomes", "gpu")
    _index("deployment_outcomes", "model")


def downgrade() -> None:
    for table in (
        "deployment_outcomes",
        "benchmark_metrics",
        "benchmark_scenarios",
        "deployment_templates",
        "slo_templates",
        "prices",
        "gpus",
        "models",
        "kb_imports",
    ):
        op.drop_table(table)
