"""Seed loading: idempotent, updates changed facts, removes dropped ones, spares user imports."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.unit.kb import samples

from predeploy.core.errors import InputError
from predeploy.kb.benchmarks import BenchmarkRepository
from predeploy.kb.seed import SeedData, SeedReport, load_seed, seeded_files_sha256
from predeploy.kb.stats import KbCounts, count_kb
from predeploy.kb.tables import ImportRow, ModelRow, PriceRow


def _seed(engine: Engine, seed: SeedData) -> SeedReport:
    with Session(engine) as session, session.begin():
        return load_seed(session, seed)


def _counts(engine: Engine) -> KbCounts:
    with Session(engine) as session:
        return count_kb(session)


def test_seeding_fills_every_collection(kb_engine: Engine) -> None:
    report = _seed(kb_engine, samples.seed_data())
    assert report.models.inserted == 2
    assert report.benchmarks.scenarios.inserted == 3
    assert _counts(kb_engine) == KbCounts(
        models=2, gpus=2, prices=3, slo_templates=1, deployment_templates=1,
        benchmarks=8, benchmark_scenarios=3, outcomes=0,
    )


def test_seeding_twice_changes_nothing(kb_engine: Engine) -> None:
    _seed(kb_engine, samples.seed_data())
    first = _counts(kb_engine)
    again = _seed(kb_engine, samples.seed_data())
    assert not again.changed
    assert again.models.unchanged == 2
    assert again.benchmarks.scenarios.unchanged == 3
    assert again.benchmarks.metric_values_written == 0
    assert _counts(kb_engine) == first
    with Session(kb_engine) as session:  # the import log lists only seedings that changed rows
        assert session.scalar(select(func.count()).select_from(ImportRow)) == 1


def test_seeding_records_the_files_digest_it_was_given(kb_engine: Engine) -> None:
    _seed(kb_engine, samples.seed_data())
    with Session(kb_engine) as session:
        assert seeded_files_sha256(session) is None  # facts built in code: nothing to record
    for digest in ("a" * 64, "b" * 64):  # every seeding records it, changed or not
        report = _seed(kb_engine, dataclasses.replace(samples.seed_data(), files_sha256=digest))
        assert not report.changed
        with Session(kb_engine) as session:
            assert seeded_files_sha256(session) == digest


def test_changed_facts_are_updated_in_place(kb_engine: Engine) -> None:
    _seed(kb_engine, samples.seed_data())
    cheaper = samples.price(usd=2.49)
    changed_bench = samples.benchmark(metrics={"ttft_ms_p50": 40.0, "tpot_ms_p99": 9.0})
    base = samples.seed_data()
    seed = samples.seed_data(
        prices=[cheaper, *base.prices[1:]],
        benchmarks=[changed_bench, *base.benchmarks[1:]],
    )
    report = _seed(kb_engine, seed)
    assert report.prices.updated == 1 and report.prices.unchanged == 2
    assert report.benchmarks.scenarios.updated == 1
    assert _counts(kb_engine).prices == 3
    with Session(kb_engine) as session:
        row = session.scalars(select(PriceRow).where(PriceRow.provider == "Lambda")).one()
        assert row.usd_per_gpu_hour_on_demand == 2.49
        stored = BenchmarkRepository(session).get(changed_bench.id)
    assert stored == changed_bench


def test_facts_dropped_from_the_seed_are_removed_but_imports_stay(kb_engine: Engine) -> None:
    _seed(kb_engine, samples.seed_data())
    imported = samples.benchmark("user/run-1", source_key="guidellm:run-1")
    with Session(kb_engine) as session, session.begin():
        BenchmarkRepository(session).add_many([imported], origin="import")
    full = samples.seed_data()
    smaller = samples.seed_data(models=[samples.llama_8b()], benchmarks=full.benchmarks[:1])
    report = _seed(kb_engine, smaller)
    assert report.models.removed == 1
    assert report.benchmarks.scenarios.removed == 2
    assert report.benchmarks.metric_values_removed == 4
    counts = _counts(kb_engine)
    assert counts.models == 1
    assert counts.benchmark_scenarios == 2  # one seeded, one imported
    with Session(kb_engine) as session:
        assert BenchmarkRepository(session).get("user/run-1") == imported


def test_a_duplicate_key_in_the_seed_fails_and_writes_nothing(kb_engine: Engine) -> None:
    seed = samples.seed_data(models=[samples.llama_8b(), samples.llama_8b()])
    with pytest.raises(InputError, match="models: two entries share the key"):
        _seed(kb_engine, seed)
    assert _counts(kb_engine) == KbCounts(
        models=0, gpus=0, prices=0, slo_templates=0, deployment_templates=0,
        benchmarks=0, benchmark_scenarios=0, outcomes=0,
    )
    with Session(kb_engine) as session:
        assert session.scalar(select(func.count()).select_from(ModelRow)) == 0
