"""Candidate configurations: accelerators allowed, precisions, TP sizes, memory fit.

Everything here is arithmetic on catalog facts and the engine's memory fit — no latency
prediction. Rules, each with its reason:

* precisions: those the model ships (or vLLM quantizes on the fly) that the accelerator serves,
  within the user's allowed list; FP16 is dropped where BF16 is possible (same speed, memory);
* tensor parallelism: 1, 2, 4, 8 within one node, within the GPUs on hand and the TP cap, and
  dividing the attention heads (vLLM shards heads evenly); at most :data:`TP_SPREAD` × the
  smallest TP that fits (per priority) — beyond it the all-reduce cost grows while the per-GPU
  work shrinks, a region the search leaves out to stay fast (stated in the result's notes);
* memory: weights + reserve + the KV cache of at least one ``max_model_len`` sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from predeploy.core.catalog import Catalog
from predeploy.core.cost import cheapest_gpu_hour
from predeploy.core.recommend import ModelCandidate
from predeploy.core.sizing import Configuration, PerformanceEngine, Screen, Workload
from predeploy.core.types import (
    DeploymentIntent,
    GpuSpec,
    PlannerOptions,
    Precision,
    PriceQuote,
    Priority,
    RejectedOption,
)

#: Largest TP tried, as a multiple of the smallest TP at which the model fits the accelerator:
#: one doubling (more memory for KV cache, faster decode). Wider TP for the same model costs
#: twice the GPUs again for a shrinking latency gain, and the search stays within 2 s.
TP_SPREAD: dict[Priority, int] = dict.fromkeys(Priority, 2)


@dataclass(slots=True)
class Accelerator:
    gpu: GpuSpec
    #: Most GPUs a plan may use on this accelerator (on hand, and the global cap).
    max_gpus: int | None
    quotes: tuple[PriceQuote, ...]
    gpu_hour_floor: float | None


@dataclass(slots=True)
class SearchState:
    """What one search saw: kept for rejections, suggestions and statistics."""

    rejected: list[RejectedOption] = field(default_factory=list)
    screens: list[tuple[Configuration, Screen]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n


def allowed_accelerators(intent: DeploymentIntent, catalog: Catalog) -> list[Accelerator]:
    """The accelerators allowed (named ones, else all; never an excluded one), with GPU limits
    and price quotes.

    On-prem amortized estimates (purchase price over years plus power: a lower bound that leaves
    out servers, network and facility) are not comparable with rental prices, so they are used
    only for accelerators the user names (hardware they own) or when on-prem is the preferred
    provider; otherwise an accelerator with no rental quote gets no plan (``no_price``).
    """
    cap = intent.constraints.max_total_gpus
    prefs = intent.preferences
    excluded = {catalog.gpu(name).name for name in intent.constraints.excluded_gpus}
    if intent.constraints.gpus:
        chosen: dict[str, tuple[GpuSpec, int | None]] = {}
        for item in intent.constraints.gpus:
            gpu = catalog.gpu(item.gpu)
            previous = chosen.get(gpu.name)
            count = item.count
            if previous is not None:  # the same accelerator twice: counts add, unknown wins
                count = None if previous[1] is None or count is None else previous[1] + count
            chosen[gpu.name] = (gpu, count)
        pairs = [(g, n) for g, n in chosen.values() if g.name not in excluded]
    else:
        pairs = [(g, None) for g in catalog.gpus() if g.name not in excluded]
    named = bool(intent.constraints.gpus)
    wants_on_prem = any(p.strip().lower().startswith(("on-prem", "onprem", "on prem"))
                        for p in prefs.providers)
    if wants_on_prem:
        prefs = prefs.model_copy(update={"providers": ()})
    out = []
    for gpu, count in pairs:
        limits = [n for n in (count, cap) if n is not None]
        quotes = tuple(q for q in catalog.prices(gpu.name)
                       if (q.region_class == "on-prem") == wants_on_prem
                       or (named and q.region_class == "on-prem"))
        out.append(Accelerator(gpu, min(limits) if limits else None, quotes,
                                cheapest_gpu_hour(quotes, prefs)))
    return out


def precisions_for(card_precisions: Sequence[Precision], gpu: GpuSpec,
                allowed: Sequence[Precision]) -> list[Precision]:
    """The weight precisions of a model card ``gpu`` serves (and the intent allows); a BF16
    checkpoint on a GPU without BF16 (Volta, Turing) is served as FP16 (``--dtype half``)."""
    offered = [gpu.half_precision if p == Precision.BF16 else p for p in card_precisions]
    out = [p for p in dict.fromkeys(offered) if gpu.serves(p)
           and (not allowed or p in allowed)]
    if Precision.BF16 in out and Precision.FP16 in out:
        out.remove(Precision.FP16)  # same speed and memory: one of the two is enough
    return out


def enumerate_configurations(
    candidates: Sequence[ModelCandidate],
    accelerators: Sequence[Accelerator],
    intent: DeploymentIntent,
    options: PlannerOptions,
    engine: PerformanceEngine,
    workload: Workload,
    state: SearchState,
) -> list[tuple[Configuration, Accelerator]]:
    out: list[tuple[Configuration, Accelerator]] = []
    allowed = intent.constraints.precisions
    spread = TP_SPREAD[intent.priority]
    for candidate in candidates:
        card = candidate.card
        for acc in accelerators:
            gpu = acc.gpu
            base = RejectedOption.model_validate
            precisions = precisions_for(card.precisions, gpu, allowed)
            if not precisions:
                state.rejected.append(base({
                    "candidate": {"model": card.id, "gpu": gpu.name}, "reason": "precision",
                    "details": f"no common precision: model {_names(card.precisions)}, "
                    f"{gpu.name} {_names(gpu.supported_precisions)}"
                    + (f", allowed {_names(allowed)}" if allowed else ""),
                }))
                continue
            tps = [t for t in options.tensor_parallel
                   if t <= min(gpu.gpus_per_node, intent.constraints.max_tensor_parallel,
                               acc.max_gpus or t)
                   and card.architecture.num_attention_heads % t == 0]
            if not tps:
                state.rejected.append(base({
                    "candidate": {"model": card.id, "gpu": gpu.name},
                    "reason": "tensor_parallel" if acc.max_gpus is None else "gpu_availability",
                    "details": "no tensor-parallel size fits the node, the GPUs on hand and the "
                    "attention heads",
                }))
                continue
            for precision in precisions:
                last_reason = ""
                fitted = 0
                smallest: int | None = None
                for tp in tps:
                    if smallest is not None and tp > spread * smallest:
                        state.count("tp_beyond_spread")
                        continue
                    state.count("configurations")
                    memory = engine.fit_memory(card, gpu, precision, tp, workload.context_tokens)
                    if not memory.fits or memory.max_concurrent_seqs < 1:
                        last_reason = memory.reason
                        continue
                    vllm = engine.vllm_settings(card, gpu, precision, tp, memory,
                                                workload.context_tokens)
                    if vllm.max_model_len < workload.context_tokens:
                        vllm = vllm.model_copy(
                            update={"max_model_len": workload.context_tokens})
                    fitted += 1
                    smallest = smallest or tp
                    out.append((Configuration(candidate, gpu, precision, tp, memory, vllm), acc))
                if not fitted:
                    state.rejected.append(base({
                        "candidate": {"model": card.id, "gpu": gpu.name, "precision": precision,
                                      "tp": tps[-1]},
                        "reason": "memory", "details": last_reason,
                    }))
    state.count("memory_feasible", len(out))
    return out


def _names(values: Sequence[Precision]) -> str:
    return "/".join(v.value for v in values) or "none"


