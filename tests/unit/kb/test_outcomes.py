"""Deployment outcomes: empty by default; add, get, list."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.unit.kb import samples

from predeploy.core.errors import InputError
from predeploy.kb.outcomes import OutcomeRepository


def test_outcomes_start_empty(kb_engine: Engine) -> None:
    with Session(kb_engine) as session:
        repo = OutcomeRepository(session)
        assert repo.list() == []
        assert repo.count() == 0


def test_add_get_list(kb_engine: Engine) -> None:
    first, second = samples.outcome("chat-prod-2026-01"), samples.outcome("chat-prod-2026-02")
    with Session(kb_engine) as session, session.begin():
        repo = OutcomeRepository(session)
        repo.add(first)
        repo.add(second)
    with Session(kb_engine) as session:
        repo = OutcomeRepository(session)
        assert repo.get("chat-prod-2026-01") == first
        assert repo.list() == [first, second]
        assert repo.list(deployment_name="chat-prod") == [first, second]
        assert repo.list(model="Qwen/Qwen2.5-7B-Instruct") == []
        with pytest.raises(InputError, match="did you mean 'chat-prod-2026-01'"):
            repo.get("chat-prod-2026-1")


def test_an_outcome_is_recorded_once(kb_engine: Engine) -> None:
    with Session(kb_engine) as session, session.begin():
        OutcomeRepository(session).add(samples.outcome())
    with (Session(kb_engine) as session, session.begin(),
          pytest.raises(InputError, match="already recorded")):
        OutcomeRepository(session).add(samples.outcome())
