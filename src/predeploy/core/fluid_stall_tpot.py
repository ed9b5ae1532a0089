"""TPOT statistics where the first wave's separate prefill batches stall its requests'
decoding (SGLang's bursts, offline runs and closed loops: ``fluid_decode.first_wave``).

A first-wave request waits out the rest of its wave's prefill ``X`` in one gap, so its TPOT
is ``b + X/g`` (``g`` its gaps, ``b`` its decode steps): inversely proportional to its gaps.
A short answer early in the wave has a TPOT of seconds — GPUStack's Qwen3-14B burst of 1,000
ShareGPT prompts on an H100: a two-token answer prefilled at 2.3 s waits 9.7 s for its second
token in the simulation — and those answers set the TPOT's tail and much of its mean. On the
request grid each sample pairs one position (its ``X``) with one output quantile, and the
smallest outputs (a stratum of ``1/n`` each) stand at their midpoints: the joint tail of an
early position and a very short answer is barely sampled, and ``E[1/g]`` over a stratum is
well above ``1/g`` at its midpoint (the grid's TPOT p99 1,032 ms and mean 184 ms there
against the simulation's 1,830 and 237).

Position and answer length are independent, so where the first wave stalls its TPOT is taken
from their product: each first-wave position (its ``X`` and ``b``, the drain its own answer
reaches included) against the whole answer law at :data:`OUTPUT_POINTS` quantiles, rounded to
whole tokens as the simulation draws them (answers of a single token have no TPOT: the
benchmark clients leave them out, as the simulation does). ``P(b + X/g ≤ x) = P(g ≥ X/(x −
b))`` is read off the sorted law, so the product costs one search per position. The next
wave's prefill, which the grid's sample puts in the same gap, is met as the slots refill over
a request's life, not in its first gap: it counts at the first wave's mean per token (an
SGLang burst of 1,000 chat prompts on an L4 in five waves: TPOT p99 847 ms with it in the gap,
486 without, 413-633 simulated over four seeds). The other samples keep their own TPOT, each
for its own position. The mean and the :data:`~predeploy.core.fluid_stats.PERCENTILES` of
that mixture (read off its distribution function) replace the grid's. Against 1,000 simulated
requests of GPUStack's 42 SGLang bursts, the TPOT's median |log ratio| falls from 0.145 to
0.090 (mean) and from 0.240 to 0.085 (p99).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from predeploy.core.fluid_decode import FirstWave
from predeploy.core.fluid_stats import PERCENTILES, lognormal_at, normal_quantile
from predeploy.core.fluid_steady import FluidInputs

#: Quantiles of the answer law the first wave's stalls are paired with.
OUTPUT_POINTS = 512
#: Points of the scan of the mixture's distribution function over the log of the TPOT (from
#: its smallest to its largest value), and a quarter of them again inside the interval that
#: brackets each percentile.
SCAN_POINTS = 48
_Z = normal_quantile((np.arange(OUTPUT_POINTS) + 0.5) / OUTPUT_POINTS)


class MixtureStats(NamedTuple):
    """One scenario's TPOT mixture: its mean and its :data:`PERCENTILES` (s)."""

    mean_s: float
    percentiles_s: np.ndarray


def stalled_tpot_stats(
    inp: FluidInputs,
    wave: FirstWave,
    output_tokens: np.ndarray,
    tpot: np.ndarray,
    out: dict[str, np.ndarray],
) -> None:
    """Overwrite ``tpot_ms_mean`` and ``tpot_ms_<percentile>`` in ``out`` for the scenarios
    whose first wave waits out separate prefill batches (module docstring); ``output_tokens``
    and ``tpot`` (s, stalls included): the request samples'."""
    separate = np.asarray(wave.separate, dtype=bool)
    if not separate.any():
        return
    stall_s = wave.steps[:, None] * wave.stall_share * wave.step_s[:, None]
    own_s = wave.steps[:, None] * wave.own_share * wave.step_s[:, None]
    first = (wave.weight == 1.0) & (own_s > 0.0) & separate[:, None]
    for r in np.flatnonzero(first.any(axis=1)):
        answers = np.round(
            np.clip(
                inp.output_quantile_mean[r] * lognormal_at(_Z, inp.output_quantile_cv[r]),
                1.0,
                inp.output_max[r],
            )
        )
        if not (answers > 1.0).any():
            continue  # single-token answers only: no TPOT
        stats = _mixture_stats(
            tpot[r], stall_s[r], own_s[r], first[r], output_tokens[r], answers - 1.0
        )
        out["tpot_ms_mean"][r] = stats.mean_s * 1e3
        for label, value in zip(PERCENTILES, stats.percentiles_s, strict=True):
            out[f"tpot_ms_{label}"][r] = value * 1e3


def _mixture_stats(
    tpot: np.ndarray,
    stall: np.ndarray,
    own: np.ndarray,
    first: np.ndarray,
    output_tokens: np.ndarray,
    law_gaps: np.ndarray,
) -> MixtureStats:
    """Mean and percentiles (s) of one scenario's TPOT mixture: ``tpot``, the whole ``stall``
    its TPOT holds, the ``own`` wave's part of it, ``first`` (in the first wave) and
    ``output_tokens`` per sample; ``law_gaps`` the answer law's whole gaps at
    :data:`OUTPUT_POINTS` quantiles (0: a single token)."""
    gaps = np.maximum(output_tokens[first] - 1.0, 1.0)
    # A first-wave position's decode steps (its own, the drain its answer reaches
    # included), and the next wave's prefill, met as the slots refill over its life, at the
    # first wave's mean per token; its own wave's rest ``X`` is one gap.
    refill = (stall[first] - own[first]).sum() / gaps.sum()
    base = tpot[first] - stall[first] / gaps + refill
    stalls = own[first]
    law = np.sort(law_gaps[law_gaps >= 1.0])
    # Each position stands for as many requests, spread over the answers with a TPOT.
    plain = tpot[~first & (np.round(output_tokens) >= 2.0)]
    answered = law.size / OUTPUT_POINTS
    positions = plain.size + first.sum() * answered
    inverse_gaps = (1.0 / law).sum() / OUTPUT_POINTS
    mean = (plain.sum() + answered * base.sum() + stalls.sum() * inverse_gaps) / positions

    def below(x: np.ndarray) -> np.ndarray:
        """The mixture's share at or below each TPOT in ``x`` (s)."""
        plain_part = (plain[None, :] <= x[:, None]).sum(axis=1)
        # Position k: b_k + X_k/g ≤ x ⇔ g ≥ X_k/(x − b_k), for x above b_k.
        room = x[:, None] - base[None, :]
        needed = np.where(room > 0.0, stalls[None, :] / np.maximum(room, 1e-300), np.inf)
        short = np.searchsorted(law, needed.ravel(), side="left").reshape(needed.shape)
        first_part = (law.size - short).sum(axis=1) / OUTPUT_POINTS
        return np.asarray((plain_part + first_part) / positions, dtype=float)

    targets = np.array(list(PERCENTILES.values())) / 100.0
    smallest = float(np.min(np.concatenate([plain, base])))
    largest = float(np.max(np.concatenate([plain, base + stalls / law[0]])))
    # A coarse scan of the distribution function over log TPOT, then a fine one inside the
    # interval that brackets each percentile, interpolated linearly.
    coarse = np.linspace(np.log(max(smallest, 1e-9)), np.log(max(largest, 1e-9)), SCAN_POINTS)
    at = below(np.exp(coarse))
    upper = np.minimum(np.searchsorted(at, targets, side="left"), SCAN_POINTS - 1)
    lower = np.maximum(upper - 1, 0)
    steps = np.linspace(0.0, 1.0, SCAN_POINTS // 4)[None, :]
    fine = coarse[lower][:, None] + (coarse[upper] - coarse[lower])[:, None] * steps
    fine_at = below(np.exp(fine.ravel())).reshape(fine.shape)
    log_tpot = [
        np.interp(t, np.maximum.accumulate(f), x)
        for t, f, x in zip(targets, fine_at, fine, strict=True)
    ]
    return MixtureStats(float(mean), np.exp(log_tpot))
