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

With ``reserve_full_context`` (TensorRT-LLM's guaranteed-no-evict admission) a waiting request
is admitted only when the free blocks, less those promised to running requests, hold its whole
context (prompt plus output); what it does not allocate at once stays promised to it, so the
running requests never run out of blocks and nothing is preempted.

With ``separate_prefill_batches`` (SGLang's scheduler without ``--enable-mixed-chunk``) a step
either prefills or decodes: whenever a prefill is part-way or a waiting request can be
admitted, the step is a prefill batch with the whole token budget (step 2's part-way prefill,
then step 3) and the decoders pause; otherwise it is a decode step of every running request.
A prompt is admitted only when the free blocks hold all of it, as SGLang's admission counts
the whole input, so a chunked prompt never waits for blocks mid-way.

With ``new_token_ratio_admission`` (SGLang's own admission, :mod:`~predeploy.core.new_token_ratio`)
a prompt is admitted while it and its answer fit what the free blocks leave once the running
requests' remaining answers are counted at the decaying ratio; when a decode step finds too few
free blocks, the decoders with the fewest generated tokens are retracted (freed, their output
kept) to the *back* of the waiting queue, and re-prefill their prompt and output when admitted
again.

With ``scheduler_steps`` N > 1 (multi-step scheduling: vLLM V0 ``--num-scheduler-steps``,
SGLang ``--num-continuous-decode-steps``) step 3 runs only on every N-th step (or when nothing
runs): an arrival waits for the next admission step.

KV blocks, and with prefix caching the blocks of a preempted context that are still cached
when it is scheduled again, are kept by :class:`~predeploy.core.block_pool.BlockPool`.
Simplifications, stated: no speculative decoding, no ``long_prefill_token_threshold``; vLLM's
reserved null block is not modelled.

Speed: decoding requests are not stepped one by one but kept as aggregates
(:class:`~predeploy.core.decode_cohort.DecodeCohort`), so a decode-only stretch of k steps is
O(1) bookkeeping (:meth:`ContinuousBatcher.advance_decode`).
"""

from __future__ import annotations

from collections import deque

from predeploy.core.batching_invariants import check_bookkeeping
from predeploy.core.block_pool import BlockPool
from predeploy.core.decode_cohort import DecodeCohort
from predeploy.core.latency import StepCostModel
from predeploy.core.new_token_ratio import (
    CLIP_MAX_NEW_TOKENS,
    RETRACT_DECODE_STEPS,
    NewTokenRatio,
    clipped,
)
from predeploy.core.scheduler_limits import (
    DECODING,
    FINISHED,
    PENDING,
    PREFILLING,
    WAITING,
    SchedulerConfig,
    StepOutcome,
    StepWork,
)

__all__ = ["ContinuousBatcher", "SchedulerConfig", "StepCostModel", "StepOutcome", "StepWork"]


class ContinuousBatcher:
    """The scheduler state of one replica: queues, KV blocks and per-request progress.

    Requests are numbered 0..n−1; ``prompt_tokens[i]`` and ``output_tokens[i]`` are their
    lengths (``output_tokens[i] ≥ 1``); ``tracked[i]`` marks the requests counted in
    :attr:`num_decoding_tracked` (default: all); ``history_found[i]`` the tokens of its
    conversation's history request ``i`` finds cached (default: all
    ``SchedulerConfig.cached_history_tokens`` for every request). The caller owns time: it calls
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
        history_found: list[int] | None = None,
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
        #: Steps in which the decoders advanced (every step, except prefill-only batches).
        self.decode_step = 0
        self._separate = config.separate_prefill_batches
        #: The scheduled step is a prefill batch with the decoders paused.
        self.prefill_only = False
        #: The KV-cache blocks: free queue and prefix cache.
        history = config.cached_history_tokens
        found = history_found if history_found is not None else [history] * n
        self.blocks = BlockPool(
            config.num_blocks, self._bs, config.enable_prefix_caching, found if history else ()
        )
        #: Aggregates over the decoding requests.
        self.decoders = DecodeCohort(self._bs)
        self._chunks: list[tuple[int, int, int]] = []  # (request, computed before, chunk)
        #: Free blocks promised to admitted requests (``reserve_full_context``), not yet used.
        self.reserved_blocks = 0
        self._reserve = config.reserve_full_context
        self._admission_period = config.scheduler_steps
        #: SGLang's admission by ``new_token_ratio``, with retraction.
        self._by_ratio = config.new_token_ratio_admission
        self.ratio = NewTokenRatio.with_conservativeness(config.schedule_conservativeness)
        self._retracted = False
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
        return self.blocks.used_blocks

    @property
    def num_decoding(self) -> int:
        return self.decoders.count

    @property
    def num_decoding_tracked(self) -> int:
        """Decoding requests that are tracked (see ``tracked``)."""
        return self.decoders.tracked_count

    def decode_kv_tokens(self) -> int:
        """Σ context (computed tokens + the one being computed) over decoders this step."""
        return self.decoders.kv_tokens(self.decode_step)

    def computed_tokens(self, request: int) -> int:
        """Tokens of ``request`` whose KV is in the cache now."""
        if self.state[request] == DECODING:
            return self.computed[request] + self.decode_step - self.join_step[request]
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
        if self._by_ratio and self.is_idle:  # SGLang resets the ratio when it idles
            self.ratio.reset()
        self.state[request] = WAITING
        self.waiting.append(request)

    # ----------------------------------------------------------------- one step
    def schedule(self) -> StepWork:
        """Decide the next step (vLLM V1 ``Scheduler.schedule``) and allocate its KV blocks."""
        bs = self._bs
        budget = self._budget
        chunks = self._chunks
        chunks.clear()
        self.preempted_decoding = []
        preempted = self._retracted = False

        blocks = self.blocks
        decoders = self.decoders
        self.prefill_only = self._separate and self._prefill_ready()
        if not self.prefill_only:
            demand = decoders.block_demand(self.decode_step) if decoders.count else 0
            if demand > blocks.free_blocks and self._by_ratio:
                self._retract()
                preempted = self._retracted = True
                demand = decoders.block_demand(self.decode_step)
            if demand <= blocks.free_blocks:
                blocks.allocate(demand)
                self._use_reservation(demand)
            else:
                preempted = self._schedule_decoders_with_preemption()
            budget -= decoders.count

        # SGLang's claim on the free tokens: the running answers at the ratio, and the
        # answers of the prompts this batch completes in full.
        admits = self._by_ratio and (self.partial >= 0 or bool(self.waiting))
        claimed = self._running_claim() if admits else 0.0
        r = self.partial
        if r >= 0:
            c = self.computed[r]
            chunk = min(self.prompt[r] + self.generated[r] - c, budget)
            need = -(-(c + chunk) // bs) - (-(-c // bs))
            if need <= blocks.free_blocks:
                blocks.allocate(need)
                self._use_reservation(need)
                chunks.append((r, c, chunk))
                budget -= chunk
                if c + chunk == self.prompt[r] + self.generated[r]:
                    claimed += self._answer(r)
            else:  # the partial prefill is the tail of ``running``: it preempts itself
                self.running.pop()
                self._preempt(r)
                preempted = True

        if not preempted and self._admitting():
            waiting = self.waiting
            running = self.running
            max_seqs = self.config.max_num_seqs
            chunked = self.config.enable_chunked_prefill
            while waiting and budget > 0 and len(running) < max_seqs:
                r = waiting[0]
                tokens = self.prompt[r] + self.generated[r]
                cached = blocks.cached_tokens(r, tokens)
                if not chunked and tokens - cached > budget:
                    break
                chunk = min(tokens - cached, budget)
                need = -(-(cached + chunk) // bs) - cached // bs
                promise = self.full_blocks(r) - cached // bs if self._reserve else need
                # Separate prefill batches admit a prompt only when all of it fits (SGLang's
                # PrefillAdder counts the whole input): its later chunks then never stall
                # behind decoders that cannot run until it is done.
                whole = -(-tokens // bs) - cached // bs if self._separate else promise
                if cached // bs + max(promise, whole) > blocks.free_blocks - self.reserved_blocks:
                    break
                answer = self._answer(r)
                if self._by_ratio and tokens - cached + answer >= self._free_tokens() - claimed:
                    break
                waiting.popleft()
                running.append(r)
                self.state[r] = PREFILLING
                self.computed[r] = cached
                blocks.reuse(r, cached)
                blocks.allocate(need)
                self.reserved_blocks += promise - need
                budget -= chunk
                chunks.append((r, cached, chunk))
                if cached + chunk < tokens:
                    self.partial = r
                else:
                    claimed += answer

        prefill = 0
        attn = 0.0
        for _, c, chunk in chunks:
            prefill += chunk
            attn += chunk * (c + chunk / 2.0)
        if self.prefill_only:
            return StepWork(prefill, attn, 0, 0)
        return StepWork(prefill, attn, decoders.count, self.decode_kv_tokens())

    def complete(self) -> StepOutcome:
        """The scheduled step has run: advance progress, sample tokens, finish requests."""
        self.step_index += 1
        decoded = not self.prefill_only
        if decoded:
            self.decode_step += 1
            self.tokens_generated += self.decoders.count
            if self._by_ratio and not self._retracted:
                self.ratio.decode_steps(1)
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
                self._finish(r, done)
                finished.append(r)
            else:
                self._start_decoding(r, done, g)
        self._chunks.clear()
        if decoded:
            self._pop_finished(self.decode_step - 1, finished)
        self.prefill_only = False
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
        if self.partial >= 0 or not self.decoders.count:
            return 0
        limit = self.decoders.next_finish_step() - self.decode_step + 1
        if self.waiting and not self._waiting_head_blocked():
            # Multi-step scheduling: nobody is admitted before the next admission step.
            to_admission = -self.step_index % self._admission_period
            if not to_admission:
                return 0
            limit = min(limit, to_admission)
        limit = self.decoders.steps_within(self.blocks.free_blocks, limit, self.decode_step)
        if self.waiting and self._by_ratio and limit > 1:
            # Every decode step lowers the ratio and the running answers' claim.
            limit = self._claim_held_steps(limit)
        return limit

    def decode_block_demand(self, steps: int) -> list[int]:
        """Blocks the decoders allocate in each of the next ``min(steps, block_size)`` steps.

        The pattern repeats with period ``block_size``.
        """
        return self.decoders.block_demands(self.decode_step, steps)

    def advance_decode(self, steps: int) -> list[int]:
        """Commit ``steps`` decode-only steps (at most :meth:`decode_stretch_limit`).

        Returns the requests that finished in the last of them.
        """
        if steps <= 0:
            return []
        blocks = self.blocks
        demand = self.decoders.blocks_over(self.decode_step, steps)
        if demand > blocks.free_blocks:
            free = blocks.free_blocks
            raise ValueError(f"{steps} decode steps need {demand} blocks, {free} free")
        blocks.allocate(demand)
        self._use_reservation(demand)
        self.tokens_generated += steps * self.decoders.count
        self.step_index += steps
        self.decode_step += steps
        if self._by_ratio:
            self.ratio.decode_steps(steps)
        finished: list[int] = []
        self._pop_finished(self.decode_step - 1, finished)
        return finished

    # ----------------------------------------------------------------- internals
    def _admitting(self) -> bool:
        """New requests may join this step: every step, or every ``scheduler_steps``-th (and
        whenever nothing runs) under multi-step scheduling."""
        return not self.step_index % self._admission_period or not self.running

    def _prefill_ready(self) -> bool:
        """A prefill batch can run now: a prefill is part-way, or the head of the waiting
        queue can be admitted on this step."""
        if self.partial >= 0:
            return True
        return bool(self.waiting) and self._admitting() and not self._waiting_head_blocked()

    def _waiting_head_blocked(self) -> bool:
        """The head of the waiting queue cannot be admitted in the next (decode-only) step."""
        if len(self.running) >= self.config.max_num_seqs:
            return True
        budget = self._budget if self._separate else self._budget - self.decoders.count
        if budget <= 0:
            return True
        r = self.waiting[0]
        tokens = self.prompt[r] + self.generated[r]
        cached = self.blocks.cached_tokens(r, tokens)
        if not self.config.enable_chunked_prefill and tokens - cached > budget:
            return True
        if self._reserve:  # decoders draw on their own promises: what is left stays left
            return self.full_blocks(r) > self.blocks.free_blocks - self.reserved_blocks
        if self._by_ratio:
            answer = self._answer(r)
            if tokens - cached + answer >= self._free_tokens() - self._running_claim():
                return True
        need = -(-(cached + min(tokens - cached, budget)) // self._bs)
        if self._separate:  # the whole prompt, and no decoder allocates in a prefill batch
            return -(-tokens // self._bs) > self.blocks.free_blocks
        demand = self.decoders.block_demand(self.decode_step)
        return need > self.blocks.free_blocks - demand

    def _schedule_decoders_with_preemption(self) -> bool:
        """The running loop when decoders need more blocks than are free (rare: exact order)."""
        bs = self._bs
        s = self.decode_step
        running = self.running
        blocks = self.blocks
        preempted = False
        i = 0
        while i < len(running):
            r = running[i]
            if self.state[r] != DECODING:
                break  # the partial prefill (last) is handled by the caller
            need = 1 if (self.computed[r] + s - self.join_step[r]) % bs == 0 else 0
            self_preempted = False
            while need > blocks.free_blocks:
                victim = running.pop()
                self._preempt(victim)
                preempted = True
                if victim == r:
                    self_preempted = True
                    break
            if self_preempted:
                break
            blocks.allocate(need)
            self._use_reservation(need)
            i += 1
        return preempted

    def _claim_held_steps(self, limit: int) -> int:
        """Decode steps, at most ``limit``, before each of which SGLang's claim still holds the
        waiting head back (it does now): the free blocks fall by the decoders' demand, the
        ratio by its decay and the running answers by a token per decoder each step. An
        answer clipped in the claim falls slower than counted here, which only ends the
        stretch early (``schedule`` then decides exactly)."""
        r = self.waiting[0]
        tokens = self.prompt[r] + self.generated[r]
        need = tokens - self.blocks.cached_tokens(r, tokens)
        need += self._answer(r)
        n = self.decoders.count
        remaining = self.decoders.remaining_tokens(self.decode_step, CLIP_MAX_NEW_TOKENS)
        demands = self.decoders.block_demands(self.decode_step, limit)
        free = self.blocks.free_blocks
        ratio = self.ratio
        for j in range(1, limit):
            free -= demands[(j - 1) % len(demands)]
            share = max(ratio.current - j * ratio.decay, ratio.floor)
            if need < free * self._bs - share * (remaining - n * j):
                return j
        return limit

    def _answer(self, r: int) -> int:
        """The tokens ``r`` still asks for, as SGLang's admission counts them (clipped)."""
        return clipped(self.output[r] - self.generated[r])

    def _free_tokens(self) -> int:
        return self.blocks.free_blocks * self._bs

    def _running_claim(self) -> float:
        """SGLang's claim of the running requests: their remaining answers at the ratio."""
        if not self.decoders.count:
            return 0.0
        remaining = self.decoders.remaining_tokens(self.decode_step, CLIP_MAX_NEW_TOKENS)
        return self.ratio.current * remaining

    def _retract(self) -> None:
        """SGLang's ``retract_decode``: the decoders with the fewest generated tokens (then the
        longest prompts; ties: the latest admitted) leave, at least one and until
        ``RETRACT_DECODE_STEPS`` tokens per decoder kept are free; the ratio is re-estimated
        from those kept."""
        s = self.decode_step
        finish = self.decoders.finish_steps()

        def generated(r: int) -> int:
            return self.output[r] - (finish[r] - s + 1)

        # The running batch in admission order, sorted as SGLang sorts it (stable).
        kept = sorted(
            (r for r in self.running if r in finish),
            key=lambda r: (generated(r), -self.prompt[r]),
            reverse=True,
        )
        first = True
        while len(kept) > 1 and (first or self._free_tokens() < RETRACT_DECODE_STEPS * len(kept)):
            first = False
            r = kept.pop()
            self.running.remove(r)
            self._preempt(r, to_back=True)
        requested = sum(self.output[r] for r in kept)
        self.ratio.after_retraction(sum(map(generated, kept)), requested, len(kept))

    def _preempt(self, r: int, *, to_back: bool = False) -> None:
        """Free ``r``'s blocks, reset its progress, put it at the front of the queue (at the
        back when SGLang retracts it)."""
        if self.state[r] == DECODING:
            self.preempted_decoding.append(r)
            c = self.computed[r] + self.decode_step - self.join_step[r]
            self.generated[r] = c + 1 - self.prompt[r]  # computed = prompt + generated − 1
            self.decoders.leave(r)
        else:
            c = self.computed[r]
            if self.partial == r:
                self.partial = -1
        self._release_promise(r, c)
        if to_back:  # SGLang frees a retracted request's cache: nothing of it stays cached
            self.blocks.release(-(-c // self._bs))
        else:
            self.blocks.preempt(r, c)
        self.computed[r] = 0
        self.state[r] = WAITING
        if to_back:
            self.waiting.append(r)
        else:
            self.waiting.appendleft(r)
        self.preemptions[r] += 1
        self.num_preemptions += 1

    def full_blocks(self, r: int) -> int:
        """Blocks of ``r``'s whole context (prompt plus every output token)."""
        return -(-(self.prompt[r] + self.output[r]) // self._bs)

    def _use_reservation(self, blocks: int) -> None:
        """Allocations of admitted requests come out of their promises (reserve mode)."""
        if self._reserve:
            self.reserved_blocks = max(self.reserved_blocks - blocks, 0)

    def _release_promise(self, r: int, computed: int) -> None:
        """``r`` leaves holding ``⌈computed / block⌉`` blocks: its unused promise is freed."""
        if self._reserve:
            unused = self.full_blocks(r) - (-(-computed // self._bs))
            self.reserved_blocks = max(self.reserved_blocks - max(unused, 0), 0)

    def _start_decoding(self, r: int, computed: int, generated: int) -> None:
        join = self.decode_step
        key = computed - join
        self.computed[r] = computed
        self.join_step[r] = join
        self.state[r] = DECODING
        finish = join + self.output[r] - generated - 1
        self.decoders.join(r, key, finish, self.tracked[r])

    def _finish(self, r: int, computed: int) -> None:
        """``r`` has sampled its last token with ``computed`` tokens cached: free its blocks."""
        self.computed[r] = computed
        self._release_promise(r, computed)
        self.blocks.release(-(-computed // self._bs))
        self.running.remove(r)
        self.generated[r] = self.output[r]
        self.state[r] = FINISHED
        self.num_finished += 1

    def _pop_finished(self, last_step: int, finished: list[int]) -> None:
        """Finish the decoders whose last token came out in a step ≤ ``last_step``."""
        for r in self.decoders.pop_finished(last_step):
            self._finish(r, self.computed[r] + self.decode_step - self.join_step[r])
            finished.append(r)

    def check_invariants(self) -> None:
        """Raise if the bookkeeping is inconsistent (used by tests; O(n);
        :func:`predeploy.core.batching_invariants.check_bookkeeping`)."""
        check_bookkeeping(self)
