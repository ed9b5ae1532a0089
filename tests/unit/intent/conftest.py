"""Fixtures for the intent engine: a small catalog and extractors over it."""

from __future__ import annotations

import pytest
from tests.intent_fixtures import intent_catalog

from predeploy.core.catalog import InMemoryCatalog
from predeploy.intent.rules import RuleExtractor


@pytest.fixture(scope="session")
def catalog() -> InMemoryCatalog:
    return intent_catalog()


@pytest.fixture(scope="session")
def rules(catalog: InMemoryCatalog) -> RuleExtractor:
    return RuleExtractor(catalog)
