"""Settings from PREDEPLOY_* variables: mapping, defaults, and errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from predeploy.core.errors import InputError
from predeploy.settings import load_settings


def test_variables_map_to_fields_and_empty_means_unset(tmp_path: Path) -> None:
    settings = load_settings({"PREDEPLOY_HOME": str(tmp_path), "PREDEPLOY_SEED": "7",
                              "PREDEPLOY_LLM_BACKEND": "", "OTHER": "x"})
    assert (settings.home, settings.seed, settings.llm_backend) == (tmp_path, 7, "none")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'predeploy.sqlite3'}"
    url = "postgresql://u@h/db"
    assert load_settings({"PREDEPLOY_DATABASE_URL": url}).resolved_database_url == url


def test_defaults_read_no_other_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDEPLOY_HOME", "/elsewhere")
    assert load_settings({}).home == Path.home() / ".predeploy"
    assert load_settings().home == Path("/elsewhere")


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(InputError) as info:
        load_settings({"PREDEPLOY_SEED": "abc", "PREDEPLOY_LLM_TIMEOUT_S": "-1"})
    message = str(info.value)
    assert "PREDEPLOY_SEED: Input should be a valid integer" in message
    assert "PREDEPLOY_LLM_TIMEOUT_S: Input should be greater than 0" in message
    with pytest.raises(InputError, match="PREDEPLOY_LLM_BACKEND: Input should be 'none'"):
        load_settings({"PREDEPLOY_LLM_BACKEND": "gpt"})
    with pytest.raises(InputError, match="PREDEPLOY_SEED: Input should be greater than or"):
        load_settings({"PREDEPLOY_SEED": "-1"})  # numpy seeds are non-negative
