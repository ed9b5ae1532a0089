"""A user's own model, known only by its Hugging Face ``config.json``: read and carded.

``predeploy predict --model-config``, ``plan``/``whatif --model-config`` and ``kb import-model``
read the file here; :mod:`predeploy.core.hf_config` turns it into a catalog card.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from predeploy.core.errors import InputError
from predeploy.core.hf_config import model_card_from_hf_config
from predeploy.core.types import ModelCard


def read_model_config(path: Path) -> dict[str, Any]:
    """A Hugging Face ``config.json`` (a JSON object), or InputError saying why not."""
    try:
        value = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise InputError(f"{path} holds a JSON {type(value).__name__}, not a config object")
    return value


def read_own_model(path: Path, name: str | None = None) -> ModelCard:
    """A model card for the model a Hugging Face ``config.json`` at ``path`` describes, named
    ``name``, else its ``_name_or_path``, else its folder's name."""
    config = read_model_config(path)
    fallback = path.resolve().parent.name or "model"
    label = name or str(config.get("_name_or_path") or "") or fallback
    return model_card_from_hf_config(config, name=label, source=f"config.json at {path}")
