"""The catalog interface: a user's own models on top of the shipped facts."""

from __future__ import annotations

import pytest
from tests.perf_fixtures import llama_31_8b_config

from predeploy.core.catalog import CatalogWithModels
from predeploy.core.errors import UnknownNameError
from predeploy.core.hf_config import model_card_from_hf_config
from predeploy.kb.seed_files import seed_catalog

CONFIG = llama_31_8b_config()


def test_own_models_come_first_and_everything_else_is_the_base_catalogs() -> None:
    base = seed_catalog()
    own = model_card_from_hf_config(CONFIG, name="acme/bot-8b", source="test")
    catalog = CatalogWithModels(base, [own])
    assert catalog.models()[0] == own and len(catalog.models()) == len(base.models()) + 1
    assert catalog.model("acme/bot-8b") == own
    assert catalog.model("llama 3.1 8b") == base.model("llama 3.1 8b")
    assert catalog.gpus() == base.gpus() and catalog.prices("L4") == base.prices("L4")
    with pytest.raises(UnknownNameError):
        catalog.model("acme/unknown-model")
