"""Typed settings from ``PREDEPLOY_*`` environment variables.

Only entry points and services read settings; the core never does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from predeploy.core.errors import InputError

LlmBackendKind = Literal["none", "ollama", "openai"]
ENV_PREFIX = "PREDEPLOY_"
#: The knowledge base file under PREDEPLOY_HOME when no database URL is configured.
DEFAULT_DATABASE_FILE = "predeploy.sqlite3"


def _default_home() -> Path:
    return Path.home() / ".predeploy"


class Settings(BaseModel):
    """Runtime configuration. Every field maps to ``PREDEPLOY_<FIELD_NAME_UPPERCASE>`` (read by
    :func:`load_settings`; building ``Settings()`` directly reads no environment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home: Path = Field(default_factory=_default_home)
    #: SQLAlchemy URL; default is an SQLite file under ``home``.
    database_url: str | None = None
    llm_backend: LlmBackendKind = "none"
    llm_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    llm_timeout_s: float = Field(default=20.0, gt=0, le=600)
    seed: int = Field(default=20261130, ge=0, lt=2**63)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / DEFAULT_DATABASE_FILE}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build :class:`Settings` from the environment (``PREDEPLOY_*``; empty values count as
    unset). A bad value is an :class:`InputError` naming the variable."""
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if env.get(key):
            values[name] = env[key]
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = [
            f"{ENV_PREFIX}{str(item['loc'][0]).upper()}: {item['msg']}" if item["loc"]
            else item["msg"]
            for item in exc.errors(include_url=False)
        ]
        raise InputError("; ".join(problems)) from None
