"""What would fit when a configuration does not: memory arithmetic on the same rules as the
prediction (``core.workload.prepare``), no latency.

When a scenario's weights, runtime reserve and one sequence's KV cache exceed the memory the
engine may use, :func:`fitting_alternatives` changes one thing at a time and keeps the smallest
change that fits:

* **tensor parallelism**: the smallest power-of-two TP above the stated one, within one node
  and dividing the attention heads (the engines shard heads evenly), at the same precision;
* **precision**: each smaller weight format the model ships and the accelerator serves, at the
  stated TP, else at the smallest TP where it fits;
* **KV-cache dtype**: an FP8 KV cache (half the bytes of 16-bit), when the weights fit and only
  the cache does not;
* **accelerator**: other catalogued accelerators where it fits at the stated precision, fewest
  GPUs first (at most :data:`MAX_OTHER_ACCELERATORS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import StrEnum

from predeploy.core.types import (
    FrozenModel,
    GpuSpec,
    KvCacheDtype,
    MemoryFit,
    Precision,
    ServingScenario,
)
from predeploy.core.weights import BYTES_PER_WEIGHT
from predeploy.core.workload import prepare

#: Other accelerators suggested at most (fewest GPUs, then least memory per GPU, first).
MAX_OTHER_ACCELERATORS = 3


class FitChange(StrEnum):
    """The one thing an alternative changes."""

    TENSOR_PARALLEL = "tensor_parallel"
    PRECISION = "precision"
    KV_CACHE_DTYPE = "kv_cache_dtype"
    ACCELERATOR = "accelerator"


class FitAlternative(FrozenModel):
    """A configuration that differs from a non-fitting one in :attr:`change` and fits."""

    change: FitChange
    gpu: str
    tp: int
    pp: int
    precision: Precision
    kv_cache_dtype: KvCacheDtype
    memory: MemoryFit

    @property
    def label(self) -> str:
        """``"8x L4 (TP8, bf16)"``, with ``fp8 KV`` when the cache is FP8."""
        parallel = f"TP{self.tp}" + (f" x PP{self.pp}" if self.pp > 1 else "")
        kv = ", fp8 KV" if self.kv_cache_dtype == KvCacheDtype.FP8 else ""
        return f"{self.tp * self.pp}x {self.gpu} ({parallel}, {self.precision.value}{kv})"


def fitting_alternatives(
    scenario: ServingScenario,
    precisions: Sequence[Precision],
    accelerators: Sequence[GpuSpec] = (),
) -> list[FitAlternative]:
    """Configurations one change away from ``scenario`` that fit (module docstring); empty
    when ``scenario`` fits. ``precisions``: those the model ships (its catalog card);
    ``accelerators``: others to try at the stated precision."""
    if _memory(scenario).fits:
        return []
    out: list[FitAlternative] = []
    wider = _smallest_fitting_tp(FitChange.TENSOR_PARALLEL, scenario, above=scenario.tp)
    if wider is not None:
        out.append(wider)
    for precision in _smaller_formats(scenario, precisions):
        smaller = scenario.model_copy(update={"precision": precision})
        fitted = _smallest_fitting_tp(FitChange.PRECISION, smaller, above=scenario.tp - 1)
        if fitted is not None:
            out.append(fitted)
            if fitted.tp == scenario.tp:
                break  # a smaller format at the stated TP: smaller ones only cost quality
    if _kv_dtype(scenario) == KvCacheDtype.AUTO:
        fp8_kv = _if_fits(FitChange.KV_CACHE_DTYPE, _with_kv(scenario, KvCacheDtype.FP8))
        if fp8_kv is not None:
            out.append(fp8_kv)
    memory_gb = {gpu.name: gpu.memory_gb for gpu in accelerators}
    others: list[FitAlternative] = []
    for gpu in accelerators:
        if gpu.name == scenario.gpu.name or not gpu.serves(scenario.precision):
            continue
        moved = scenario.model_copy(update={"gpu": gpu})
        fitted = _smallest_fitting_tp(FitChange.ACCELERATOR, moved, above=0)
        if fitted is not None:
            others.append(fitted)
    others.sort(key=lambda a: (a.tp * a.pp, memory_gb[a.gpu], a.gpu))
    return out + others[:MAX_OTHER_ACCELERATORS]


def _smaller_formats(scenario: ServingScenario, precisions: Sequence[Precision]) -> list[Precision]:
    """The precisions in ``precisions`` with fewer bytes per weight than the stated one that the
    accelerator serves, largest first, one per size (natively computed formats preferred: FP8
    over INT8 on an accelerator with FP8 tensor cores)."""
    gpu = scenario.gpu
    stated = BYTES_PER_WEIGHT[scenario.precision]
    ranked = sorted(
        (p for p in set(precisions) if BYTES_PER_WEIGHT[p] < stated and gpu.serves(p)),
        key=lambda p: (-BYTES_PER_WEIGHT[p], p not in gpu.supported_precisions, p.value),
    )
    out: list[Precision] = []
    for p in ranked:
        if not out or BYTES_PER_WEIGHT[out[-1]] != BYTES_PER_WEIGHT[p]:
            out.append(p)
    return out


def _memory(scenario: ServingScenario) -> MemoryFit:
    return prepare(scenario).memory


def _kv_dtype(scenario: ServingScenario) -> KvCacheDtype:
    stated = scenario.engine_settings
    return (stated.kv_cache_dtype if stated else None) or scenario.kv_cache_dtype


def _with_kv(scenario: ServingScenario, dtype: KvCacheDtype) -> ServingScenario:
    update: dict[str, object] = {"kv_cache_dtype": dtype}
    if scenario.engine_settings is not None:
        update["engine_settings"] = scenario.engine_settings.model_copy(
            update={"kv_cache_dtype": dtype}
        )
    return scenario.model_copy(update=update)


def _smallest_fitting_tp(
    change: FitChange, scenario: ServingScenario, *, above: int
) -> FitAlternative | None:
    """``scenario`` at the smallest power-of-two TP above ``above`` (TP stays within one node;
    it divides the attention heads) at which it fits; ``None`` when none does."""
    heads = scenario.model.num_attention_heads
    tp = 2 ** max(math.floor(math.log2(above)) + 1, 0) if above >= 1 else 1
    while tp <= scenario.gpu.gpus_per_node:
        if heads % tp == 0:
            fitted = _if_fits(change, scenario.model_copy(update={"tp": tp}))
            if fitted is not None:
                return fitted
        tp *= 2
    return None


def _if_fits(change: FitChange, scenario: ServingScenario) -> FitAlternative | None:
    """``scenario`` as an alternative when it fits (its memory computed once)."""
    memory = _memory(scenario)
    if not memory.fits:
        return None
    return FitAlternative(
        change=change,
        gpu=scenario.gpu.name,
        tp=scenario.tp,
        pp=scenario.pp,
        precision=scenario.precision,
        kv_cache_dtype=_kv_dtype(scenario),
        memory=memory,
    )
