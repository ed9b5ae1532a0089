"""The SQL catalog answers exactly like the in-memory catalog over the same facts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.unit.kb import samples

from predeploy.core.catalog import Catalog, InMemoryCatalog
from predeploy.core.errors import InputError, UnknownNameError
from predeploy.core.types import UseCase
from predeploy.kb.catalog import SqlCatalog
from predeploy.kb.seed import load_seed


@pytest.fixture
def catalogs(kb_engine: Engine) -> tuple[Catalog, Catalog]:
    seed = samples.seed_data()
    with Session(kb_engine) as session, session.begin():
        load_seed(session, seed)
    memory = InMemoryCatalog(
        seed.models, seed.gpus, seed.prices, seed.slo_templates, seed.deployment_templates,
        seed.benchmarks,
    )
    return SqlCatalog(kb_engine), memory


def test_collections_match(catalogs: tuple[Catalog, Catalog]) -> None:
    sql, memory = catalogs
    assert sorted(sql.models(), key=lambda m: m.id) == sorted(memory.models(), key=lambda m: m.id)
    assert sorted(sql.gpus(), key=lambda g: g.name) == sorted(memory.gpus(), key=lambda g: g.name)
    assert set(sql.prices()) == set(memory.prices())
    assert set(sql.prices("L4")) == set(memory.prices("L4"))
    assert list(sql.slo_templates()) == list(memory.slo_templates())
    assert list(sql.deployment_templates()) == list(memory.deployment_templates())


@pytest.mark.parametrize(
    ("model", "gpu"),
    [(None, None), ("meta-llama/Llama-3.1-8B-Instruct", None), (None, "L4"),
     ("Qwen/Qwen2.5-7B-Instruct", "H100-SXM"), ("missing/model", None)],
)
def test_benchmark_queries_match(
    catalogs: tuple[Catalog, Catalog], model: str | None, gpu: str | None
) -> None:
    sql, memory = catalogs
    assert sorted(sql.benchmarks(model, gpu), key=lambda b: b.id) == sorted(
        memory.benchmarks(model, gpu), key=lambda b: b.id
    )


def test_name_resolution_and_templates(catalogs: tuple[Catalog, Catalog]) -> None:
    sql, _ = catalogs
    assert sql.model("llama 8b").id == "meta-llama/Llama-3.1-8B-Instruct"
    assert sql.gpu("nvidia h100").name == "H100-SXM"
    assert sql.slo_template(UseCase.CHATBOT).name == "Chatbot"
    with pytest.raises(UnknownNameError, match="did you mean"):
        sql.gpu("H10")
    with pytest.raises(InputError, match="no SLO template"):
        sql.slo_template(UseCase.TRANSLATION)
