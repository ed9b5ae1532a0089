"""The deployment-outcome repository: what deployed plans actually did (empty until recorded)."""

from __future__ import annotations

import difflib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from predeploy.core.errors import InputError
from predeploy.core.types import DeploymentOutcome
from predeploy.kb.records import now_utc, outcome_from_row, outcome_values
from predeploy.kb.tables import DeploymentOutcomeRow


class OutcomeRepository:
    """Deployment outcomes, written in the caller's session transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, outcome: DeploymentOutcome) -> None:
        """Record an outcome; an id that is already recorded is an error (outcomes are facts)."""
        if self._session.get(DeploymentOutcomeRow, outcome.id) is not None:
            raise InputError(f"a deployment outcome with id {outcome.id!r} is already recorded")
        self._session.add(DeploymentOutcomeRow(**outcome_values(outcome), recorded_at=now_utc()))
        self._session.flush()

    def get(self, outcome_id: str) -> DeploymentOutcome:
        """One outcome by id; :class:`InputError` with close ids when absent."""
        row = self._session.get(DeploymentOutcomeRow, outcome_id)
        if row is None:
            ids = list(self._session.scalars(select(DeploymentOutcomeRow.id)))
            close = difflib.get_close_matches(outcome_id, ids, n=3)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise InputError(f"no deployment outcome {outcome_id!r}{hint}")
        return outcome_from_row(row)

    def list(
        self, *, deployment_name: str | None = None, model: str | None = None
    ) -> list[DeploymentOutcome]:
        """Outcomes, oldest period first, optionally of one deployment or one model."""
        statement = select(DeploymentOutcomeRow)
        if deployment_name is not None:
            statement = statement.where(DeploymentOutcomeRow.deployment_name == deployment_name)
        if model is not None:
            statement = statement.where(DeploymentOutcomeRow.model == model)
        statement = statement.order_by(DeploymentOutcomeRow.period_end, DeploymentOutcomeRow.id)
        return [outcome_from_row(row) for row in self._session.scalars(statement)]

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(DeploymentOutcomeRow)) or 0
