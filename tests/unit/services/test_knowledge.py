"""Knowledge-base services: init (migrate + seed), stats, imports in one transaction, export,
and the catalog fall-back before initialization."""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
import warnings
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.unit.kb import samples

from predeploy.core.errors import InputError, PredeployWarning
from predeploy.kb import seed_files
from predeploy.kb.catalog import SqlCatalog
from predeploy.kb.database import create_kb_engine
from predeploy.kb.stats import KbCounts
from predeploy.services import knowledge
from predeploy.settings import Settings

GUIDELLM_V1 = Path(__file__).parents[1] / "kb" / "importers" / "data" / "guidellm_v1_poisson.json"
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


@pytest.fixture
def settings(kb_url: str, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=kb_url)


@pytest.fixture
def initialized(settings: Settings) -> Settings:
    knowledge.init_kb(settings, seed=samples.seed_data())
    return settings


def _counts(settings: Settings) -> KbCounts:
    return knowledge.kb_stats(settings).counts


def test_init_twice_gives_the_same_counts(settings: Settings) -> None:
    first = knowledge.init_kb(settings, seed=samples.seed_data())
    second = knowledge.init_kb(settings, seed=samples.seed_data())
    assert first.counts == second.counts
    assert first.counts.benchmarks == 8 and first.counts.models == 2
    assert first.seed.changed and not second.seed.changed
    stats = knowledge.kb_stats(settings)
    assert stats.backend == "database" and stats.schema_revision == first.schema_revision


def test_stats_contract_keys(initialized: Settings) -> None:
    document = knowledge.kb_stats(initialized).contract()
    for key in ("models", "gpus", "prices", "slo_templates", "deployment_templates",
                "benchmarks", "outcomes"):
        assert isinstance(document[key], int)
    json.dumps(document)


def test_catalog_falls_back_to_the_seed_files_until_init(settings: Settings) -> None:
    assert knowledge.open_catalog(settings) is seed_files.seed_catalog()
    assert knowledge.kb_stats(settings).backend == "seed-files"
    knowledge.init_kb(settings, seed=samples.seed_data())
    catalog = knowledge.open_catalog(settings)
    assert isinstance(catalog, SqlCatalog)
    assert {m.id for m in catalog.models()} == {LLAMA, "Qwen/Qwen2.5-7B-Instruct"}


def test_a_dropped_catalog_leaves_no_database_connection_open(initialized: Settings) -> None:
    # Every planning call opens the catalog and drops it; a pooled engine kept a connection
    # open until the garbage collector closed it (psycopg: "deleted while still open").
    catalog = knowledge.open_catalog(initialized)
    assert isinstance(catalog, SqlCatalog)
    catalog.benchmarks(model=LLAMA)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del catalog
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_database_seeded_by_another_version_warns_until_init(settings: Settings) -> None:
    old = dataclasses.replace(samples.seed_data(), files_sha256="0" * 64)
    knowledge.init_kb(settings, seed=old)
    with pytest.warns(PredeployWarning, match=r"another predeploy version.*predeploy kb init"):
        catalog = knowledge.open_catalog(settings)
    assert isinstance(catalog, SqlCatalog)  # still served: the warning names the fix
    assert knowledge.kb_stats(settings).seed_current is False
    assert knowledge.kb_stats(settings).contract()["seed_current"] is False
    current = dataclasses.replace(old, files_sha256=seed_files.seed_files_sha256())
    knowledge.init_kb(settings, seed=current)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        knowledge.open_catalog(settings)
    assert knowledge.kb_stats(settings).seed_current is True


def test_a_seeding_without_a_digest_is_neither_current_nor_stale(initialized: Settings) -> None:
    assert knowledge.kb_stats(initialized).seed_current is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        knowledge.open_catalog(initialized)


def test_a_database_from_a_newer_predeploy_is_refused(initialized: Settings) -> None:
    engine = create_kb_engine(initialized.resolved_database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    with pytest.raises(InputError, match="revision ffff"):
        knowledge.open_catalog(initialized)


def test_imports_need_an_initialized_database(settings: Settings) -> None:
    with pytest.raises(InputError, match=r"not initialized; run `predeploy kb init`"):
        knowledge.import_guidellm(settings, [GUIDELLM_V1], model=LLAMA, gpu="H100-SXM")


def test_guidellm_import_and_reimport(initialized: Settings) -> None:
    summary = knowledge.import_guidellm(
        initialized, [GUIDELLM_V1], model="llama 8b", gpu="h100", precision="bf16"
    )
    assert summary.scenarios.inserted == 2 and len(summary.skipped) == 1
    after = _counts(initialized)
    assert after.benchmark_scenarios == 5
    assert after.benchmarks == 8 + summary.metric_values_written
    again = knowledge.import_guidellm(
        initialized, [GUIDELLM_V1], model="llama 8b", gpu="h100", precision="bf16"
    )
    assert again.scenarios.unchanged == 2
    assert _counts(initialized) == after
    catalog = knowledge.open_catalog(initialized)
    imported = [b for b in catalog.benchmarks(LLAMA, "H100-SXM") if b.id.startswith("guidellm/")]
    assert len(imported) == 2 and imported[0].precision == "bf16"


def test_a_bad_file_among_several_writes_nothing(initialized: Settings, tmp_path: Path) -> None:
    before = _counts(initialized)
    bad = tmp_path / "cut.json"
    bad.write_text(GUIDELLM_V1.read_text()[:5000])
    good_copy = tmp_path / "good.json"
    shutil.copy(GUIDELLM_V1, good_copy)
    with pytest.raises(InputError, match=r"^cut\.json: line 1, column \d+: invalid JSON"):
        knowledge.import_guidellm(initialized, [good_copy, bad], model=LLAMA, gpu="H100-SXM")
    assert _counts(initialized) == before


def test_the_same_report_twice_in_one_import_is_refused(
    initialized: Settings, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.json"
    shutil.copy(GUIDELLM_V1, copy)
    with pytest.raises(InputError, match=r"also in guidellm_v1_poisson\.json"):
        knowledge.import_guidellm(initialized, [GUIDELLM_V1, copy], model=LLAMA, gpu="L4")
    assert _counts(initialized).benchmark_scenarios == 3


def test_unknown_flags_get_suggestions(initialized: Settings) -> None:
    with pytest.raises(InputError, match=r"^--gpu: unknown GPU 'H10'; did you mean"):
        knowledge.import_guidellm(initialized, [GUIDELLM_V1], model=LLAMA, gpu="H10")
    with pytest.raises(InputError, match=r"^--model: unknown model 'lama 8b'"):
        knowledge.import_guidellm(initialized, [GUIDELLM_V1], model="lama 8b", gpu="L4")


def test_benchmark_file_import_is_all_or_nothing(initialized: Settings, tmp_path: Path) -> None:
    good = [samples.benchmark(f"user/{i}").model_dump(mode="json") for i in range(3)]
    bad = {**good[0], "id": "user/bad", "metrics": {"e2e_s_p50": 1.2}}
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in [*good, bad]) + "\n")
    before = _counts(initialized)
    with pytest.raises(InputError, match=r"^mine\.jsonl: line 4: metrics\.e2e_s_p50: unknown"):
        knowledge.import_benchmarks(initialized, path)
    assert _counts(initialized) == before
    path.write_text("\n".join(json.dumps(r) for r in good) + "\n")
    summary = knowledge.import_benchmarks(initialized, path)
    assert summary.scenarios.inserted == 3
    assert _counts(initialized).benchmarks == before.benchmarks + 12


def test_export_holds_every_collection(initialized: Settings) -> None:
    document = knowledge.export_kb(initialized)
    seed = samples.seed_data()
    assert len(document.models) == len(seed.models)
    assert sorted(b.id for b in document.benchmarks) == sorted(b.id for b in seed.benchmarks)
    assert document.outcomes == ()
    assert json.loads(document.model_dump_json())["format"] == "predeploy-kb-export"


def test_outcomes_are_recorded_and_listed(settings: Settings) -> None:
    assert knowledge.list_outcomes(settings) == []  # before init: none, and no error
    knowledge.init_kb(settings, seed=samples.seed_data())
    outcome = samples.outcome()
    knowledge.record_outcome(settings, outcome)
    assert knowledge.list_outcomes(settings) == [outcome]
    assert knowledge.list_outcomes(settings, deployment_name="other") == []
    assert _counts(settings).outcomes == 1
    assert knowledge.export_kb(settings).outcomes == (outcome,)


def test_calibration_cases_import_with_provenance(
    initialized: Settings, shared_dir: Path
) -> None:
    """The shared calibration file: ≥ 1,000 measured values, each row with its source."""
    cases = shared_dir / "calibration" / "perf_cases.jsonl"
    with pytest.raises(InputError, match=r"^perf_cases\.jsonl: line \d+: model: unknown model"):
        knowledge.import_benchmarks(initialized, cases)  # the sample catalog has two models
    summary = knowledge.import_benchmarks(initialized, cases, allow_unknown_names=True)
    assert summary.kind == "calibration-cases"
    assert (summary.scenarios.inserted, summary.metric_values_written) == (1212, 4897)
    engine = create_kb_engine(initialized.resolved_database_url)
    with engine.connect() as connection:
        with_provenance = connection.execute(text(
            "SELECT COUNT(*) FROM benchmark_metrics m JOIN benchmark_scenarios s"
            " ON s.id = m.scenario_id WHERE m.fact_kind = 'measured' AND m.source <> ''"
            " AND s.import_id IS NOT NULL AND s.source_key <> 'test-fixture'"
        )).scalar_one()
    engine.dispose()
    assert with_provenance == 4897
