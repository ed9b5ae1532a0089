"""A user's own model, known only by its Hugging Face ``config.json``: read and carded.

``predeploy predict --model-config``, ``plan``/``whatif --model-config`` and ``kb import-model``
read the file here; :mod:`predeploy.core.hf_config` turns it into a catalog card.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from predeploy.core.errors import InputError
from predeploy.core.hf_config import model_card_from_hf_config
from predeploy.core.types import ModelCard


def read_model_config(path: Path) -> dict[str, Any]:
    """A Hugging Face ``config.json`` (a JSON object; a model folder stands for the
    ``config.json`` in it), or InputError saying why not."""
    if path.is_dir():
        path = path / "config.json"
    try:
        value = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise InputError(f"{path} holds a JSON {type(value).__name__}, not a config object")
    return value


def own_model_name(path: Path, config: Mapping[str, Any], name: str | None = None) -> str:
    """What a model read from ``path`` is called: ``name``, else the config's
    ``_name_or_path``, else its folder's name."""
    folder = path.resolve() if path.is_dir() else path.resolve().parent
    return name or str(config.get("_name_or_path") or "") or folder.name or "model"


def read_own_model(path: Path, name: str | None = None) -> ModelCard:
    """A model card for the model a Hugging Face ``config.json`` at ``path`` (or in the folder
    ``path``) describes, named as :func:`own_model_name` says."""
    config = read_model_config(path)
    return model_card_from_hf_config(
        config, name=own_model_name(path, config, name), source=f"config.json at {path}"
    )
