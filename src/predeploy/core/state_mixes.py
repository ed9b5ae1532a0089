"""Step mixes at several batch sizes at once, for the open-loop batch-size distribution.

Computing a :class:`~predeploy.core.stepmix.StepMix` per batch size would cost a step-model
evaluation per size and group; instead the step durations at batch size m are interpolated
linearly between two computed mixes (at n₀ and n₁), and the prefill-cycle chain (next group
~ Poisson(λ·T_k)) is solved at a few anchor sizes and interpolated between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predeploy.core.poisson_counts import poisson_pmf
from predeploy.core.stepmix import StepMix

#: Power iterations per batch-size row, started from the operating point's distribution.
STATE_CHAIN_ITERATIONS = 3
#: Batch sizes at which the per-row chain is solved (rows in between interpolate).
STATE_ANCHORS = 5


@dataclass(frozen=True)
class StateMixes:
    """Step mixes at several batch sizes m (rows), interpolated between two computed mixes.

    Step durations move linearly in m between the mix at n₀ and the one at n₁ (the step model
    is close to linear in the batch over that range); each row's prefill-cycle distribution is
    the stationary chain at its own durations, so larger batches -- longer steps -- also see
    more prompts per step.
    """

    #: Duration of the last (or only) step of a cycle of k prompts, per state (S × K).
    last_s: NDArray[np.float64]
    #: Duration of a full chunk step, per state (S).
    full_s: NDArray[np.float64]
    #: Cycle durations (S × K) and steps per cycle (K).
    cycle_s: NDArray[np.float64]
    cycle_steps: NDArray[np.float64]
    #: Stationary cycle distribution per state (S × K).
    weights: NDArray[np.float64]

    @classmethod
    def between(
        cls,
        low: StepMix,
        high: StepMix,
        n_low: float,
        n_high: float,
        states: NDArray[np.float64],
        rate: float,
    ) -> StateMixes:
        share = ((states - n_low) / max(n_high - n_low, 1e-9))[:, None]
        last = np.maximum(low.last_step_s + share * (high.last_step_s - low.last_step_s), 1e-9)
        full = np.maximum(
            low.full_step_s + share[:, 0] * (high.full_step_s - low.full_step_s), 1e-9
        )
        extra = low.cycle_steps - 1.0
        cycle = last + extra[None, :] * full[:, None]
        # The chain at a few anchor batch sizes (started from the low mix's stationary
        # distribution, a few steps reach each one's own), interpolated between them.
        lo, hi = float(states.min()), float(states.max())
        anchors = np.linspace(lo, hi, STATE_ANCHORS) if hi > lo else np.array([lo])
        a_share = ((anchors - n_low) / max(n_high - n_low, 1e-9))[:, None]
        a_last = np.maximum(low.last_step_s + a_share * (high.last_step_s - low.last_step_s), 1e-9)
        a_full = np.maximum(
            low.full_step_s + a_share[:, 0] * (high.full_step_s - low.full_step_s), 1e-9
        )
        a_cycle = a_last + extra[None, :] * a_full[:, None]
        size = low.size
        a_weights = np.broadcast_to(low.cycle_weights, (anchors.size, size))
        transition = poisson_pmf(rate * a_cycle, size)  # anchors × K × K
        transition /= transition.sum(axis=2, keepdims=True)
        for _ in range(STATE_CHAIN_ITERATIONS):
            a_weights = np.einsum("si,sij->sj", a_weights, transition)
        if anchors.size > 1:
            position = (states - lo) / (hi - lo) * (anchors.size - 1)
            left = np.minimum(position.astype(int), anchors.size - 2)
            frac = (position - left)[:, None]
            weights = a_weights[left] * (1.0 - frac) + a_weights[left + 1] * frac
        else:
            weights = np.broadcast_to(a_weights[0], (states.size, size)).copy()
        weights /= weights.sum(axis=1, keepdims=True)
        return cls(last, full, cycle, low.cycle_steps, weights)

    def step_atoms(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(durations, probabilities), S × (K + 1): a random step of each state (rows sum to 1)."""
        w = self.weights
        steps = w @ self.cycle_steps
        full = (w * (self.cycle_steps - 1.0)).sum(axis=1)
        values = np.concatenate([self.last_s, self.full_s[:, None]], axis=1)
        probs = np.concatenate([w, full[:, None]], axis=1) / steps[:, None]
        return values, probs

    def mean_step_s(self) -> NDArray[np.float64]:
        """Mean step duration per state."""
        w = self.weights
        return np.asarray((w * self.cycle_s).sum(axis=1) / (w @ self.cycle_steps))
