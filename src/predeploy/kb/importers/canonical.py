"""Canonical model and GPU names for imported records, with "did you mean" suggestions."""

from __future__ import annotations

from collections.abc import Sequence

from predeploy.core.errors import UnknownNameError
from predeploy.core.names import resolve_gpu, resolve_model
from predeploy.core.types import GpuSpec, ModelCard


class NameResolver:
    """Maps what a file says ("h100", "llama 8b") to catalog names ("H100-SXM", HF ids).

    Unknown names raise :class:`~predeploy.core.errors.UnknownNameError` (with suggestions);
    with ``strict=False`` they are kept verbatim instead (benchmarks of models the catalog does
    not describe yet).
    """

    def __init__(
        self, models: Sequence[ModelCard], gpus: Sequence[GpuSpec], *, strict: bool = True
    ) -> None:
        self._models = models
        self._gpus = gpus
        self.strict = strict

    def model(self, name: str) -> str:
        try:
            return resolve_model(name, self._models).id
        except UnknownNameError:
            if self.strict:
                raise
            return name

    def gpu(self, name: str) -> str:
        try:
            return resolve_gpu(name, self._gpus).name
        except UnknownNameError:
            if self.strict:
                raise
            return name
