"""The mix of engine steps at an operating point, and the queueing formulas the analytic mode uses.

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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from predeploy.core.batching import StepCostModel
from predeploy.core.lengths import token_length_grid
from predeploy.core.types import TokenDistribution

#: Largest group of prompts per cycle the chain tracks; beyond, the Poisson tail is dropped.
MAX_PROMPTS_PER_CYCLE = 64
_LOG_FACTORIAL = np.array([math.lgamma(k + 1.0) for k in range(MAX_PROMPTS_PER_CYCLE + 1)])
#: Power iterations of the prefill-cycle chain (converges geometrically; 6 is ample).
CHAIN_ITERATIONS = 6


@dataclass(frozen=True)
class LengthStats:
    """Moments and quantile grids of prompt and output lengths (tokens)."""

    prompt_grid: NDArray[np.float64]
    output_grid: NDArray[np.float64]
    #: Mean prompt length p and E[p²].
    p: float
    p2: float
    #: Mean output length o and E[o²].
    o: float
    o2: float
    #: Token-weighted mean context of a decoding sequence, c̄ (tokens).
    context: float

    @classmethod
    def of(
        cls, prompt: TokenDistribution, output: TokenDistribution, max_model_len: int
    ) -> LengthStats:
        """Moments of the clipped distributions, as :mod:`~predeploy.core.sampling` samples."""
        pg = token_length_grid(prompt, max_model_len - 1)
        og = token_length_grid(output, max_model_len - 1)
        p, o = float(pg.mean()), float(og.mean())
        steps = float((og - 1.0).mean())
        # A request decodes o−1 steps with context p+1 … p+o−1: Σ = (o−1)p + (o−1)o/2.
        context = p + float(((og - 1.0) * og).mean()) / (2.0 * steps) if steps > 0 else p
        return cls(
            prompt_grid=pg,
            output_grid=og,
            p=p,
            p2=float((pg * pg).mean()),
            o=o,
            o2=float((og * og).mean()),
            context=context,
        )

    @property
    def decode_steps(self) -> float:
        """Mean decode steps per request, o − 1 (the first token comes from the prefill)."""
        return self.o - 1.0

    @property
    def attention_per_prefill_token(self) -> float:
        """E[p²]/(2p): mean attention context per prefill token of whole prompts."""
        return self.p2 / (2.0 * self.p)


def poisson_pmf(mean: NDArray[np.float64] | float, size: int) -> NDArray[np.float64]:
    """P(K = k), k = 0..size−1, for each mean (last axis = k)."""
    m = np.maximum(np.asarray(mean, dtype=np.float64), 1e-300)[..., None]
    k = np.arange(size, dtype=np.float64)
    return np.asarray(np.exp(k * np.log(m) - m - _LOG_FACTORIAL[:size]), dtype=np.float64)


def poisson_support(mean: float) -> int:
    """How many k (0..K) to track so the dropped tail of Poisson(mean) is negligible."""
    if mean <= 0.0:
        return 2
    return min(int(mean + 7.0 * math.sqrt(mean) + 4.0), MAX_PROMPTS_PER_CYCLE + 1)


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
    ) -> None:
        self.decoders = decoders
        self.kv_tokens = decoders * lengths.context
        self.room = max(budget_tokens - decoders, 1.0)
        self._step = step
        self._lengths = lengths
        self._d = round(decoders)
        self._kv = round(self.kv_tokens)
        per_prompt = lengths.p + extra_prefill_tokens
        self.tokens_per_prompt = per_prompt
        size = poisson_support(prompts_per_step * 1.5 + 1.0)
        ks = np.arange(size, dtype=np.float64)
        tokens = ks * per_prompt
        full_steps = np.maximum(np.ceil(tokens / self.room) - 1.0, 0.0)
        last_tokens = tokens - full_steps * self.room
        #: Duration of a full chunk step (``room`` prefill tokens).
        self.full_step_s = self.step_time(self.room) if full_steps.any() else 0.0
        last = np.array([self.step_time(float(t)) for t in last_tokens])
        cycle = full_steps * self.full_step_s + last
        self.cycle_steps = full_steps + 1.0
        self.cycle_s = cycle
        self.last_step_s = last
        weights = poisson_pmf(prompts_per_step, size)
        if rate is not None:
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

    def step_time(self, prefill_tokens: float) -> float:
        """Step model at this point's decoders with ``prefill_tokens`` of whole prompts."""
        attn = prefill_tokens * self._lengths.attention_per_prefill_token
        return self._step.step_time_s(round(prefill_tokens), attn, self._d, self._kv)

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
        grid = self._token_grid()
        table = np.array([self.step_time(float(t)) for t in grid])
        full = np.maximum(np.ceil(mine_tokens / room) - 1.0, 0.0)
        # Tokens in the step that completes the prompt: the rest of the group, up to room.
        last = np.minimum(all_tokens - full * room, room)
        full_s = self.full_step_s if self.full_step_s else float(table[-1])
        return np.asarray(full * full_s + np.interp(last, grid, table), dtype=np.float64)


    def _token_grid(self) -> NDArray[np.float64]:
        """Prefill-token counts to evaluate the step model at: 0, powers of two, ``room``.

        Doubling steps keep linear interpolation exact on each linear piece of a roofline
        (compute- vs memory-bound) model; the prompt grid's median and the mean are added.
        """
        room = self.room
        top = math.floor(math.log2(room)) if room >= 2 else 0
        points = [0.0, room, self._lengths.p, float(np.median(self._lengths.prompt_grid))]
        points += [float(2**i) for i in range(3, top + 1)]
        return np.unique(np.clip(points, 0.0, room))


def erlang_c(servers: int, offered: float) -> float:
    """M/M/c probability of waiting, c = ``servers``, offered load a = λ·E[S] (< c)."""
    if offered <= 0.0:
        return 0.0
    if offered >= servers:
        return 1.0
    ks = np.arange(servers + 1, dtype=np.float64)
    log_terms = ks * math.log(offered) - np.concatenate([[0.0], np.cumsum(np.log(ks[1:]))])
    terms = np.exp(log_terms - log_terms.max())
    blocking = float(terms[-1] / terms.sum())
    rho = offered / servers
    return min(1.0, blocking / (1.0 - rho * (1.0 - blocking)))
