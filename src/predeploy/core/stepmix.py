"""The mix of engine steps at an operating point: prefill cycles of Poisson prompt groups.

**Prefill cycles.** Prompts that arrive during a stretch of steps are prefilled together in
the next one (vLLM admits every waiting request that fits the token budget). A *cycle* is the
processing of one such group: k prompts (k·p tokens, p the mean prompt length, plus any
recomputation) take n_k = ⌈k·p / room⌉ steps, room = max_num_batched_tokens − D being what the
D decoding sequences leave of the budget; all but the last carry ``room`` prefill tokens. The
cycle lasts T_k = Σ of its step times; the next cycle's group is Poisson(λ·T_k) -- long
prefills let more requests pile up. The stationary distribution π of this chain (a few power
iterations from Poisson(λτ)) gives the steps: each cycle contributes its n_k steps with weight
π_k; a step chosen at random is a decode-only step (k = 0), a full chunk step, or a last step.

**Step times** are the step model's: f(prefill tokens, prefill tokens · E[p²]/(2p), D, D·c̄),
where E[p²]/(2p) is the attention context per prefill token of whole prompts and c̄ the
token-weighted mean context of a decoding sequence.

The Poisson counts are :mod:`~predeploy.core.poisson_counts`; the mixes at many batch sizes at
once, interpolated between two of these, are :mod:`~predeploy.core.state_mixes`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from predeploy.core.batching import StepCostModel
from predeploy.core.lengths import LengthStats
from predeploy.core.poisson_counts import MAX_PROMPTS_PER_CYCLE, poisson_pmf, poisson_support

#: Poisson tail mass the operating-point solver leaves out of its step mix.
SOLVER_TAIL_MASS = 1e-3
#: Power iterations of the prefill-cycle chain (converges geometrically; 6 is ample).
CHAIN_ITERATIONS = 6


def step_times_s(
    step: StepCostModel,
    prefill_tokens: NDArray[np.float64],
    prefill_attn_tokens: NDArray[np.float64],
    decode_seqs: int,
    decode_kv_tokens: int,
) -> NDArray[np.float64]:
    """The step model at several prefill amounts (same decoders), whole prefill tokens.

    Point by point: for the roofline model an array evaluation costs more than the dozen
    scalar calls it would replace (measured).
    """
    return np.array(
        [
            step.step_time_s(round(t), a, decode_seqs, decode_kv_tokens)
            for t, a in zip(prefill_tokens.tolist(), prefill_attn_tokens.tolist(), strict=True)
        ]
    )


def poisson_mean_step_s(
    step: StepCostModel,
    budget_tokens: int,
    lengths: LengthStats,
    decoders: float,
    prompts_per_step: float,
) -> float:
    """Mean step time when each cycle's prompt group is Poisson(``prompts_per_step``).

    The cheap form of :attr:`StepMix.mean_s` (no arrival-duration correlation, scalars only)
    that the operating-point solver iterates on.
    """
    room = max(budget_tokens - decoders, 1.0)
    d, kv = round(decoders), round(decoders * lengths.context)
    ratio = lengths.attention_per_prefill_token
    a = prompts_per_step
    prob = math.exp(-a)
    full_s = -1.0
    time_sum = steps_sum = mass = 0.0
    for k in range(MAX_PROMPTS_PER_CYCLE + 1):
        if mass > 1.0 - SOLVER_TAIL_MASS:
            break
        mass += prob
        tokens = k * lengths.p
        full = max(math.ceil(tokens / room) - 1.0, 0.0)
        last = tokens - full * room
        cycle = step.step_time_s(round(last), last * ratio, d, kv)
        if full:
            if full_s < 0.0:
                full_s = step.step_time_s(round(room), room * ratio, d, kv)
            cycle += full * full_s
        time_sum += prob * cycle
        steps_sum += prob * (full + 1.0)
        prob *= a / (k + 1)
    return time_sum / steps_sum


class StepMix:
    """Steps at one operating point: decoders D, prompts arriving at λ req/s.

    ``rate`` None means a fixed number of prompts per step (Poisson with mean
    ``prompts_per_step``), used at saturation where the batch refills as requests finish.
    ``extra_prefill_tokens`` are recomputed tokens per prompt (preemptions).
    """

    def __init__(
        self,
        step: StepCostModel,
        budget_tokens: int,
        lengths: LengthStats,
        *,
        decoders: float,
        prompts_per_step: float,
        rate: float | None,
        extra_prefill_tokens: float = 0.0,
        size: int | None = None,
        groups: NDArray[np.float64] | None = None,
        group_weights: NDArray[np.float64] | None = None,
        background_tokens: float = 0.0,
    ) -> None:
        self.decoders = decoders
        self.kv_tokens = decoders * lengths.context
        #: Prefill tokens every step carries besides the groups' (spread-out recomputation).
        self.background_tokens = background_tokens
        self.room = max(budget_tokens - decoders - background_tokens, 1.0)
        self._step = step
        self._lengths = lengths
        self._d = round(decoders)
        self._kv = round(self.kv_tokens)
        self._table: tuple[int, NDArray[np.float64], NDArray[np.float64]] | None = None
        per_prompt = lengths.p + extra_prefill_tokens
        self.tokens_per_prompt = per_prompt
        fixed_size = size
        if groups is None:
            size = poisson_support(prompts_per_step * 1.25 + 0.25)
            if fixed_size is not None:
                size = min(size, fixed_size)
            ks = np.arange(size, dtype=np.float64)
        else:
            ks = np.asarray(groups, dtype=np.float64)
            size = ks.size
        #: Group sizes tracked: 0..size−1 prompts per cycle (or the given ``groups``); ``size``
        #: given: exactly that many (to line up with another mix).
        self.size = size
        tokens = ks * per_prompt
        full_steps = np.maximum(np.ceil(tokens / self.room) - 1.0, 0.0)
        last_tokens = tokens - full_steps * self.room
        #: Duration of a full chunk step (``room`` prefill tokens), 0 when no group needs one.
        self.full_step_s = 0.0
        if full_steps.any():
            last_tokens = np.append(last_tokens, self.room)
        last = self.step_times(last_tokens)
        if full_steps.any():
            self.full_step_s, last = float(last[-1]), last[:-1]
        if rate is not None and group_weights is None:
            # Long cycles let many prompts pile up: track groups up to where the chain's mass
            # stays (λ·T_k well below k), their step times interpolated over prefill tokens.
            wanted = fixed_size or self._chain_size(rate, last, full_steps)
            if wanted > size:
                ks = np.arange(wanted, dtype=np.float64)
                tokens = ks * per_prompt
                full_steps = np.maximum(np.ceil(tokens / self.room) - 1.0, 0.0)
                last_tokens = tokens - full_steps * self.room
                if full_steps.any() and not self.full_step_s:
                    self.full_step_s = self.step_time(self.room)
                computed = last
                self.size = size = wanted
                self.last_step_s = computed  # the token table reads the computed groups
                grid, table = self._token_table()
                last = np.interp(last_tokens, grid, table)
                last[: computed.size] = computed
        cycle = full_steps * self.full_step_s + last
        self.cycle_steps = full_steps + 1.0
        self.cycle_s = cycle
        self.last_step_s = last
        if group_weights is not None:
            weights = np.asarray(group_weights, dtype=np.float64)
        else:
            weights = poisson_pmf(prompts_per_step, size)
        if rate is not None and group_weights is None:
            transition = poisson_pmf(rate * cycle, size)
            transition /= transition.sum(axis=1, keepdims=True)
            for _ in range(CHAIN_ITERATIONS):
                weights = weights @ transition
        self.cycle_weights = weights / weights.sum()
        steps = float(np.dot(self.cycle_weights, self.cycle_steps))
        #: Mean step duration, s.
        self.mean_s = float(np.dot(self.cycle_weights, cycle)) / steps
        second = np.dot(self.cycle_weights, full_steps * self.full_step_s**2 + last * last)
        self.stdev_s = math.sqrt(max(float(second) / steps - self.mean_s**2, 0.0))

    def mean_step_with(self, tokens_per_prompt: float) -> float:
        """Mean step of the same cycle mix if each prompt carried ``tokens_per_prompt``.

        Step times interpolated over prefill tokens from the ones computed (no new step-model
        evaluations); for fewer tokens than this mix's, e.g. the mix without recomputation.
        """
        grid, table = self._token_table()
        tokens = np.arange(self.size, dtype=np.float64) * tokens_per_prompt
        full = np.maximum(np.ceil(tokens / self.room) - 1.0, 0.0)
        last = np.interp(tokens - full * self.room, grid, table)
        cycle = full * (self.full_step_s or float(table[-1])) + last
        w = self.cycle_weights
        return float(np.dot(w, cycle) / np.dot(w, full + 1.0))

    def _chain_size(
        self, rate: float, last: NDArray[np.float64], full_steps: NDArray[np.float64]
    ) -> int:
        """Groups the chain needs: the smallest K with λ·T_K + 3√(λ·T_K) ≤ K.

        T_k grows about linearly in k (each prompt adds its prefill time), extrapolated from
        the computed groups; beyond the stability of the prefill queue (λ·ΔT ≥ 1) the cap.
        """
        k = last.size
        if k < 2:
            return k
        per_group = max(float(last[-1] - last[-2]), 0.0)
        if full_steps[-1]:
            per_group = max(per_group, self.full_step_s * self.tokens_per_prompt / self.room)
        base = float(last[-1] + full_steps[-1] * self.full_step_s) - per_group * (k - 1)
        for size in range(k, MAX_PROMPTS_PER_CYCLE + 1):
            load = rate * (base + per_group * size)
            if load + 3.0 * math.sqrt(load) <= size:
                return size + 1
        return MAX_PROMPTS_PER_CYCLE + 1

    @classmethod
    def waves(
        cls,
        step: StepCostModel,
        budget_tokens: int,
        lengths: LengthStats,
        *,
        running: float,
        extra_prefill_tokens: float = 0.0,
    ) -> StepMix:
        """Steps of a saturated batch of identical requests: admissions come in waves.

        With every request of the same length and all queued at once, the batch stays in
        lockstep: the ``running`` requests finish and are replaced together, their prompts
        prefilled back to back in full-budget steps, then o − 1 decode-only steps. Per cycle
        of o steps: one group of ``running`` prompts and the rest decode-only cycles.
        Recomputation after preemptions (``extra_prefill_tokens`` per request) happens as
        preempted requests return, spread over every step.
        """
        group = max(1.0, round(running))
        decoders = running * lengths.decode_steps / lengths.o
        background = extra_prefill_tokens * running / lengths.o
        groups = np.array([0.0, group])
        room = max(budget_tokens - decoders - background, 1.0)
        group_steps = math.ceil(group * lengths.p / room)
        decode_only = max(lengths.o - group_steps, 0.0)
        return cls(
            step, budget_tokens, lengths, decoders=decoders, prompts_per_step=0.0, rate=None,
            groups=groups, group_weights=np.array([decode_only, 1.0]),
            background_tokens=background,
        )

    def step_times(self, prefill_tokens: NDArray[np.float64]) -> NDArray[np.float64]:
        """:meth:`step_time` for several prefill amounts at once."""
        tokens = prefill_tokens + self.background_tokens
        attn = tokens * self._lengths.attention_per_prefill_token
        return step_times_s(self._step, tokens, attn, self._d, self._kv)

    def step_time(self, prefill_tokens: float) -> float:
        """Step model at this point's decoders with ``prefill_tokens`` of whole prompts."""
        tokens = prefill_tokens + self.background_tokens
        attn = tokens * self._lengths.attention_per_prefill_token
        return self._step.step_time_s(round(tokens), attn, self._d, self._kv)

    def step_atoms(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(durations, probabilities) of a step chosen at random."""
        w = self.cycle_weights
        full = w * (self.cycle_steps - 1.0)
        values = np.concatenate([self.last_step_s, [self.full_step_s]])
        probs = np.concatenate([w, [full.sum()]])
        return values, probs / probs.sum()

    def prefill_times(
        self, mine_tokens: NDArray[np.float64], all_tokens: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Time from the start of prefilling a group until a prompt's first token.

        ``mine_tokens``: tokens up to and including the prompt (those ahead of it in the group
        plus its own); ``all_tokens``: the whole group's. One step when the group fits the
        room; otherwise the full steps before the prompt's last chunk plus that step.
        """
        room = self.room
        grid, table = self._token_table()
        full = np.maximum(np.ceil(mine_tokens / room) - 1.0, 0.0)
        # Tokens in the step that completes the prompt: the rest of the group, up to room.
        last = np.minimum(all_tokens - full * room, room)
        full_s = self.full_step_s if self.full_step_s else float(table[-1])
        return np.asarray(full * full_s + np.interp(last, grid, table), dtype=np.float64)


    def _token_table(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Step times over prefill-token counts, for interpolation.

        The counts the mix already evaluated (whole groups of k prompts within the room, the
        full room), plus geometric steps (×4 from 16) that follow the step model's bend from
        memory- to compute-bound at small counts, and the median prompt.
        """
        cached = self._table
        if cached is not None and cached[0] == self.last_step_s.size:
            return cached[1], cached[2]
        room = self.room
        known: dict[float, float] = {0.0: float(self.last_step_s[0])}
        per_prompt = self.tokens_per_prompt
        for k in range(1, self.last_step_s.size):
            if k * per_prompt > room:
                break
            known[k * per_prompt] = float(self.last_step_s[k])
        if self.full_step_s:
            known[room] = self.full_step_s
        extra = {min(self._lengths.p50, room), room}
        extra.update(float(4**i) for i in range(2, 9) if 4**i < min(room, per_prompt))
        missing = np.array(sorted(t for t in extra if t not in known))
        if missing.size:
            known.update(zip(missing.tolist(), self.step_times(missing).tolist(), strict=True))
        grid = np.array(sorted(known))
        table = np.array([known[t] for t in grid])
        self._table = (self.last_step_s.size, grid, table)
        return grid, table

