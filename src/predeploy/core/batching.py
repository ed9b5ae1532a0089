"""Continuous batching as vLLM's V1 engine schedules it (FCFS policy, recompute preemption).

One call of :meth:`ContinuousBatcher.schedule` is one engine iteration's scheduling decision,
following ``vllm/v1/core/sched/scheduler.py`` (``Scheduler.schedule``):

1. A token budget of ``max_num_batched_tokens``.
2. RUNNING requests first, in admission order: a decoding request takes 1 token; a request
   whose prompt is part-way through (chunked prefill) takes ``min(remaining, budget)``.
   Each needs KV blocks for the tokens it computes (``block_size`` tokens per block). When no
   block is free, the most recently admitted running request is preempted: its blocks are
   freed, its computed tokens reset to 0, and it goes back to the *front* of the waiting queue
   (recompute preemption) -- repeated until the allocation fits or the request preempted
   itself.
3. Only if nothing was preempted this step: WAITING requests in FCFS order while budget
   remains and fewer than ``max_num_seqs`` run. A request needs all its tokens (prompt plus
   any output it had before a preemption) computed; with chunked prefill it takes
   ``min(tokens, budget)``, without it the scheduling stops at a request that does not fit the
   remaining budget. It needs blocks for that chunk; if they are not free, scheduling stops
   (waiting requests never preempt).

After the step, every request whose tokens are all computed samples one token: a decoding
request its next token, a request finishing its prefill its first token (or, after a
preemption, its next one). A request with all its output tokens finishes and frees its blocks.

Prefix caching (``enable_prefix_caching``, vLLM V1's default) matters here only after a
preemption: the preempted request's freed blocks join the free queue behind those already there
(vLLM's ``FreeKVCacheBlockQueue`` evicts least recently freed first, a request's tail blocks
before its head), so when it is scheduled again the full blocks of its context that no
allocation has reused since are cache hits and only the rest is recomputed (at least the last
token always is). Random prompts share no prefix with each other.

Simplifications, stated: no speculative decoding, no ``long_prefill_token_threshold``; vLLM's
reserved null block is not modelled.

Speed: a decoding request is not stepped one by one. Every decoding request runs in every step
(``max_num_batched_tokens ≥ max_num_seqs``, see :class:`SchedulerConfig`), so its computed length
is ``computed_at_join + (step − join_step)``; the batcher keeps aggregates over decoders (count,
Σ computed, how many cross a block boundary at each step phase) and a heap of finishing steps.
A decode-only stretch of k steps is then O(1) bookkeeping (:meth:`advance_decode`).
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import NamedTuple

from predeploy.core.latency import StepCostModel
from predeploy.core.scheduler_limits import SchedulerConfig

__all__ = [
    "ContinuousBatcher",
    "SchedulerConfig",
    "StepCostModel",
    "StepOutcome",
    "StepWork",
]


class StepWork(NamedTuple):
    """What one scheduled step computes: the arguments of :meth:`StepCostModel.step_time_s`."""

    prefill_tokens: int
    prefill_attn_tokens: float
    decode_seqs: int
    decode_kv_tokens: int


class StepOutcome(NamedTuple):
    """Requests whose state changed when a step completed (request ids)."""

    #: Sampled their first output token.
    first_token: list[int]
    #: Sampled a token after recomputing a preempted context (an irregular inter-token gap).
    resumed_token: list[int]
    finished: list[int]


# Request states.
PENDING, WAITING, PREFILLING, DECODING, FINISHED = range(5)


class ContinuousBatcher:
    """The scheduler state of one replica: queues, KV blocks and per-request progress.

    Requests are numbered 0..n−1; ``prompt_tokens[i]`` and ``output_tokens[i]`` are their
    lengths (``output_tokens[i] ≥ 1``); ``tracked[i]`` marks the requests counted in
    :attr:`num_decoding_tracked` (default: all). The caller owns time: it calls
    :meth:`enqueue` when a request arrives, :meth:`schedule` to start a step, the step model
    for its duration, and :meth:`complete` when it ends (or :meth:`decode_stretch_limit` /
    :meth:`advance_decode` for several decode-only steps at once).
    """

    def __init__(
        self,
        config: SchedulerConfig,
        prompt_tokens: list[int],
        output_tokens: list[int],
        tracked: list[bool] | None = None,
    ) -> None:
        if len(prompt_tokens) != len(output_tokens):
            raise ValueError("prompt_tokens and output_tokens differ in length")
        for i, (p, o) in enumerate(zip(prompt_tokens, output_tokens, strict=True)):
            if p < 1 or o < 1 or p + o > config.max_model_len:
                raise ValueError(
                    f"request {i}: prompt {p} + output {o} tokens must be >= 1 each and fit "
                    f"max_model_len {config.max_model_len}"
                )
        n = len(prompt_tokens)
        self.config = config
        self._bs = config.block_size
        self._budget = config.max_num_batched_tokens
        self.prompt = list(prompt_tokens)
        self.output = list(output_tokens)
        self.generated = [0] * n
        #: Prefilling/waiting: tokens computed. Decoding: tokens computed at ``join_step``.
        self.computed = [0] * n
        self.join_step = [0] * n
        self.finish_step = [0] * n
        self.state = [PENDING] * n
        self.preemptions = [0] * n
        #: Requests counted in :attr:`num_decoding_tracked` (e.g. the measured ones).
        self.tracked = list(tracked) if tracked is not None else [True] * n
        if len(self.tracked) != n:
            raise ValueError("tracked differs in length from prompt_tokens")
        self.waiting: deque[int] = deque()
        self.running: list[int] = []
        #: The request part-way through its prefill (always last in ``running``), or −1.
        self.partial = -1
        self.step_index = 0
        self.num_blocks = config.num_blocks
        self.free_blocks = config.num_blocks
        #: Blocks allocated so far (each takes the least recently freed block); a preempted
        #: request's cached blocks are reused from ``_evicted_from[r]`` allocations on.
        self._allocated = 0
        self._evicted_from: dict[int, tuple[int, int]] = {}  # r -> (allocation, full blocks)
        self.prefix_tokens_reused = 0
        # Decoder aggregates: count, Σ(computed_at_join − join_step), block-phase histogram.
        self.num_decoding = 0
        self.num_decoding_tracked = 0
        self._kv_base = 0
        self._phase = [0] * self._bs
        self._finish_heap: list[tuple[int, int]] = []
        self._chunks: list[tuple[int, int, int]] = []  # (request, computed before, chunk)
        #: Requests preempted by the last :meth:`schedule` while they were decoding.
        self.preempted_decoding: list[int] = []
        self.prefill_tokens_computed = 0
        self.tokens_generated = 0
        self.num_preemptions = 0
        self.num_finished = 0

    # ----------------------------------------------------------------- observation
    @property
    def is_idle(self) -> bool:
        """Nothing running and nothing waiting."""
        return not self.running and not self.waiting

    @property
    def used_blocks(self) -> int:
        return self.num_blocks - self.free_blocks

    def decode_kv_tokens(self) -> int:
        """Σ context (computed tokens + the one being computed) over decoders this step."""
        return self._kv_base + self.num_decoding * (self.step_index + 1)

    def computed_tokens(self, request: int) -> int:
        """Tokens of ``request`` whose KV is in the cache now."""
        if self.state[request] == DECODING:
            return self.computed[request] + self.step_index - self.join_step[request]
        if self.state[request] == PREFILLING:
            return self.computed[request]
        return 0

    def blocks_held(self, request: int) -> int:
        return -(-self.computed_tokens(request) // self._bs)

    # ----------------------------------------------------------------- arrivals
    def enqueue(self, request: int) -> None:
        """``request`` has arrived: it joins the back of the waiting queue."""
        if self.state[request] != PENDING:
            raise ValueError(f"request {request} was already enqueued")
        self.state[request] = WAITING
        self.waiting.append(request)

    # ----------------------------------------------------------------- one step
    def schedule(self) -> StepWork:
        """Decide the next step (vLLM V1 ``Scheduler.schedule``) and allocate its KV blocks."""
        bs = self._bs
        s = self.step_index
        budget = self._budget
        chunks = self._chunks
        chunks.clear()
        self.preempted_decoding = []
        preempted = False

        demand = self._phase[-s % bs] if self.num_decoding else 0
        if demand <= self.free_blocks:
            self._allocate(demand)
        else:
            preempted = self._schedule_decoders_with_preemption()
        budget -= self.num_decoding

        r = self.partial
        if r >= 0:
            c = self.computed[r]
            chunk = min(self.prompt[r] + self.generated[r] - c, budget)
            need = -(-(c + chunk) // bs) - (-(-c // bs))
            if need <= self.free_blocks:
                self._allocate(need)
                chunks.append((r, c, chunk))
                budget -= chunk
            else:  # the partial prefill is the tail of ``running``: it preempts itself
                self.running.pop()
                self._preempt(r)
                preempted = True

        if not preempted:
            waiting = self.waiting
            running = self.running
            max_seqs = self.config.max_num_seqs
            chunked = self.config.enable_chunked_prefill
            while waiting and budget > 0 and len(running) < max_seqs:
                r = waiting[0]
                tokens = self.prompt[r] + self.generated[r]
                cached = self._cached_tokens(r, tokens)
                if not chunked and tokens - cached > budget:
                    break
                chunk = min(tokens - cached, budget)
                need = -(-(cached + chunk) // bs) - cached // bs
                if cached // bs + need > self.free_blocks:
                    break
                waiting.popleft()
                running.append(r)
                self.state[r] = PREFILLING
                self.computed[r] = cached
                self._evicted_from.pop(r, None)
                self.prefix_tokens_reused += cached
                self.free_blocks -= cached // bs  # cache hits leave the free queue
                self._allocate(need)
                budget -= chunk
                chunks.append((r, cached, chunk))
                if cached + chunk < tokens:
                    self.partial = r

        prefill = 0
        attn = 0.0
        for _, c, chunk in chunks:
            prefill += chunk
            attn += chunk * (c + chunk / 2.0)
        return StepWork(prefill, attn, self.num_decoding, self.decode_kv_tokens())

    def complete(self) -> StepOutcome:
        """The scheduled step has run: advance progress, sample tokens, finish requests."""
        s = self.step_index
        self.step_index = s + 1
        self.tokens_generated += self.num_decoding
        first: list[int] = []
        resumed: list[int] = []
        finished: list[int] = []
        for r, c, chunk in self._chunks:
            done = c + chunk
            self.computed[r] = done
            self.prefill_tokens_computed += chunk
            if done < self.prompt[r] + self.generated[r]:
                self.partial = r
                continue
            if self.partial == r:
                self.partial = -1
            g = self.generated[r] + 1
            self.generated[r] = g
            self.tokens_generated += 1
            (first if g == 1 else resumed).append(r)
            if g >= self.output[r]:
                self._finish_prefilled(r)
                finished.append(r)
            else:
                self._start_decoding(r, done, g)
        self._chunks.clear()
        self._pop_finished(s, finished)
        return StepOutcome(first, resumed, finished)

    # ----------------------------------------------------------------- decode stretches
    def decode_stretch_limit(self) -> int:
        """How many next steps are certainly decode-only with an unchanged batch.

        True while no prefill is part-way, the waiting queue is empty or its head cannot be
        admitted (too many running, too little budget or too few free blocks -- conditions that
        only get worse as decoders grow), no decoder finishes before the last of them (the
        finishing step itself is included) and their block allocations fit the free blocks.
        New arrivals are the caller's business: they end a stretch when the queue is empty.
        """
        if self.partial >= 0 or not self.num_decoding:
            return 0
        heap = self._finish_heap
        while heap and not self._heap_entry_live(heap[0]):
            heapq.heappop(heap)
        limit = heap[0][0] - self.step_index + 1
        if self.waiting and not self._waiting_head_blocked():
            return 0
        return self._steps_within_free_blocks(limit)

    def decode_block_demand(self, steps: int) -> list[int]:
        """Blocks the decoders allocate in each of the next ``min(steps, block_size)`` steps.

        The pattern repeats with period ``block_size``.
        """
        bs = self._bs
        s = self.step_index
        phase = self._phase
        return [phase[-(s + j) % bs] for j in range(min(steps, bs))]

    def advance_decode(self, steps: int) -> list[int]:
        """Commit ``steps`` decode-only steps (at most :meth:`decode_stretch_limit`).

        Returns the requests that finished in the last of them.
        """
        if steps <= 0:
            return []
        bs = self._bs
        n = self.num_decoding
        full, rest = divmod(steps, bs)
        demand = full * n + sum(self.decode_block_demand(rest))
        if demand > self.free_blocks:
            raise ValueError(f"{steps} decode steps need {demand} blocks, {self.free_blocks} free")
        self._allocate(demand)
        self.tokens_generated += steps * n
        self.step_index += steps
        finished: list[int] = []
        self._pop_finished(self.step_index - 1, finished)
        return finished

    # ----------------------------------------------------------------- internals
    def _steps_within_free_blocks(self, limit: int) -> int:
        """Largest k ≤ limit whose cumulative decoder block demand fits the free blocks."""
        n = self.num_decoding
        bs = self._bs
        free = self.free_blocks
        cycles = min(limit // bs, free // n)
        k = cycles * bs
        free -= cycles * n
        phase = self._phase
        s = self.step_index + k
        while k < limit:
            d = phase[-s % bs]
            if d > free:
                break
            free -= d
            k += 1
            s += 1
        return k

    def _waiting_head_blocked(self) -> bool:
        """The head of the waiting queue cannot be admitted in the next (decode-only) step."""
        if len(self.running) >= self.config.max_num_seqs:
            return True
        budget = self._budget - self.num_decoding
        if budget <= 0:
            return True
        r = self.waiting[0]
        tokens = self.prompt[r] + self.generated[r]
        cached = self._cached_tokens(r, tokens)
        if not self.config.enable_chunked_prefill and tokens - cached > budget:
            return True
        need = -(-(cached + min(tokens - cached, budget)) // self._bs)
        demand = self._phase[-self.step_index % self._bs]
        return need > self.free_blocks - demand

    def _schedule_decoders_with_preemption(self) -> bool:
        """The running loop when decoders need more blocks than are free (rare: exact order)."""
        bs = self._bs
        s = self.step_index
        running = self.running
        preempted = False
        i = 0
        while i < len(running):
            r = running[i]
            if self.state[r] != DECODING:
                break  # the partial prefill (last) is handled by the caller
            need = 1 if (self.computed[r] + s - self.join_step[r]) % bs == 0 else 0
            self_preempted = False
            while need > self.free_blocks:
                victim = running.pop()
                self._preempt(victim)
                preempted = True
                if victim == r:
                    self_preempted = True
                    break
            if self_preempted:
                break
            self._allocate(need)
            i += 1
        return preempted

    def _preempt(self, r: int) -> None:
        """Free ``r``'s blocks, reset its progress, put it at the front of the queue."""
        if self.state[r] == DECODING:
            self.preempted_decoding.append(r)
            c = self.computed[r] + self.step_index - self.join_step[r]
            self.generated[r] = c + 1 - self.prompt[r]  # computed = prompt + generated − 1
            self._remove_decoder(r)
        else:
            c = self.computed[r]
            if self.partial == r:
                self.partial = -1
        if self.config.enable_prefix_caching:
            # Its blocks go behind the free ones: reused once those are gone.
            self._evicted_from[r] = (self._allocated + self.free_blocks, c // self._bs)
        self.free_blocks += -(-c // self._bs)
        self.computed[r] = 0
        self.state[r] = WAITING
        self.waiting.appendleft(r)
        self.preemptions[r] += 1
        self.num_preemptions += 1

    def _allocate(self, blocks: int) -> None:
        """Take ``blocks`` new blocks from the head of the free queue."""
        self.free_blocks -= blocks
        self._allocated += blocks

    def _cached_tokens(self, r: int, tokens: int) -> int:
        """Tokens of a preempted ``r`` still in the prefix cache: its full blocks that no
        allocation has reused since (the tail ones go first), never its last token."""
        entry = self._evicted_from.get(r)
        if entry is None:
            return 0
        start, full = entry
        reused = min(max(self._allocated - start, 0), full)
        bs = self._bs
        return min((full - reused) * bs, (tokens - 1) // bs * bs)

    def _start_decoding(self, r: int, computed: int, generated: int) -> None:
        join = self.step_index
        key = computed - join
        self.computed[r] = computed
        self.join_step[r] = join
        self.state[r] = DECODING
        self._kv_base += key
        self._phase[key % self._bs] += 1
        self.num_decoding += 1
        self.num_decoding_tracked += self.tracked[r]
        finish = join + self.output[r] - generated - 1
        self.finish_step[r] = finish
        heapq.heappush(self._finish_heap, (finish, r))

    def _remove_decoder(self, r: int) -> None:
        key = self.computed[r] - self.join_step[r]
        self._kv_base -= key
        self._phase[key % self._bs] -= 1
        self.num_decoding -= 1
        self.num_decoding_tracked -= self.tracked[r]

    def _finish_prefilled(self, r: int) -> None:
        self.free_blocks += -(-self.computed[r] // self._bs)
        self.running.remove(r)
        self.state[r] = FINISHED
        self.num_finished += 1

    def _heap_entry_live(self, entry: tuple[int, int]) -> bool:
        step, r = entry
        return self.state[r] == DECODING and self.finish_step[r] == step

    def _pop_finished(self, last_step: int, finished: list[int]) -> None:
        """Finish the decoders whose last token came out in a step ≤ ``last_step``."""
        heap = self._finish_heap
        while heap and heap[0][0] <= last_step:
            entry = heapq.heappop(heap)
            if not self._heap_entry_live(entry):
                continue
            r = entry[1]
            computed = self.computed[r] + self.step_index - self.join_step[r]
            self._remove_decoder(r)
            self.computed[r] = computed
            self.free_blocks += -(-computed // self._bs)
            self.running.remove(r)
            self.generated[r] = self.output[r]
            self.state[r] = FINISHED
            self.num_finished += 1
            finished.append(r)

    def check_invariants(self) -> None:
        """Raise if the bookkeeping is inconsistent (used by tests; O(n))."""
        held = sum(self.blocks_held(r) for r in self.running)
        if held != self.used_blocks:
            raise AssertionError(f"blocks held {held} != used {self.used_blocks}")
        if not 0 <= self.free_blocks <= self.num_blocks:
            raise AssertionError(f"free blocks {self.free_blocks} outside [0, {self.num_blocks}]")
        if len(self.running) > self.config.max_num_seqs:
            raise AssertionError(f"{len(self.running)} running > max_num_seqs")
        decoders = [r for r in self.running if self.state[r] == DECODING]
        if len(decoders) != self.num_decoding:
            raise AssertionError("decoder count out of sync")
        prefilling = [r for r in self.running if self.state[r] == PREFILLING]
        if len(prefilling) > 1 or (prefilling and self.running[-1] != prefilling[0]):
            raise AssertionError(f"part-way prefills {prefilling} not last in running")
        kv = sum(self.computed_tokens(r) + 1 for r in decoders)
        if kv != self.decode_kv_tokens():
            raise AssertionError(f"decode kv {self.decode_kv_tokens()} != {kv}")
