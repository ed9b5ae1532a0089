"""The decoding requests of one replica as aggregates, so a decode-only stretch is O(1).

Every decoding request runs in every step (``max_num_batched_tokens ≥ max_num_seqs``, see
:class:`~predeploy.core.scheduler_limits.SchedulerConfig`), so a request that joined the
decoders at step j with c computed tokens has ``c + (s − j)`` computed at step s. With its
``key = c − j``, the cohort of n decoders keeps:

* ``Σ key``, so the KV read in step s (computed tokens plus the one being computed) is
  ``Σ (key + s + 1) = Σ key + n·(s + 1)``;
* a histogram of ``key mod block_size``: a decoder needs a new block in step s when its computed
  length is a multiple of ``block_size``, i.e. when ``key ≡ −s (mod block_size)``, so step s
  allocates ``phase[−s mod block_size]`` blocks -- a pattern of period ``block_size``, of which
  a whole period allocates n;
* a heap of finishing steps, deleted lazily: an entry is live while its request is a member
  with that finishing step;
* ``Σ finish step``, so the tokens the decoders have still to generate from step s on are
  ``Σ (f − s + 1)`` (SGLang's admission counts them, :mod:`~predeploy.core.new_token_ratio`).
"""

from __future__ import annotations

import heapq

#: Stale entries the heap of latest finishing steps may gather before it is rebuilt.
LATEST_HEAP_SLACK = 64


class DecodeCohort:
    """Aggregates over the decoding requests: count, Σ key, block-phase histogram, finishes."""

    __slots__ = (
        "_finish_sum",
        "_heap",
        "_kv_base",
        "_latest",
        "_members",
        "_phase",
        "block_size",
        "count",
        "tracked_count",
    )

    def __init__(self, block_size: int) -> None:
        self.block_size = block_size
        #: Decoding requests, and how many of them are tracked (e.g. the measured ones).
        self.count = 0
        self.tracked_count = 0
        self._kv_base = 0  # Σ key
        self._phase = [0] * block_size
        self._members: dict[int, tuple[int, int, bool]] = {}  # r -> (key, finish step, tracked)
        self._heap: list[tuple[int, int]] = []  # (finish step, r)
        self._finish_sum = 0
        self._latest: list[tuple[int, int]] = []  # (−finish step, r): the latest first

    def join(self, request: int, key: int, finish_step: int, tracked: bool) -> None:
        """``request`` decodes from now on; its last token comes out in ``finish_step``."""
        self._kv_base += key
        self._phase[key % self.block_size] += 1
        self.count += 1
        self.tracked_count += tracked
        self._members[request] = (key, finish_step, tracked)
        heapq.heappush(self._heap, (finish_step, request))
        self._finish_sum += finish_step
        latest = self._latest
        heapq.heappush(latest, (-finish_step, request))
        if len(latest) > 2 * self.count + LATEST_HEAP_SLACK:  # drop the stale entries
            latest[:] = [(-f, r) for r, (_, f, _) in self._members.items()]
            heapq.heapify(latest)

    def leave(self, request: int) -> None:
        """``request`` stops decoding (finished or preempted)."""
        key, finish_step, tracked = self._members.pop(request)
        self._finish_sum -= finish_step
        self._kv_base -= key
        self._phase[key % self.block_size] -= 1
        self.count -= 1
        self.tracked_count -= tracked

    def kv_tokens(self, step: int) -> int:
        """Σ context (computed tokens + the one being computed) over decoders in ``step``."""
        return self._kv_base + self.count * (step + 1)

    def remaining_tokens(self, step: int, clip: int) -> int:
        """Σ over decoders of the tokens still to come from ``step`` on, each at most ``clip``."""
        latest = self._latest
        while latest and -latest[0][0] - step + 1 > clip:
            if self._live((-latest[0][0], latest[0][1])):
                return sum(min(f - step + 1, clip) for _, f, _ in self._members.values())
            heapq.heappop(latest)
        return self._finish_sum - self.count * (step - 1)

    def finish_steps(self) -> dict[int, int]:
        """Each decoder's finishing step, by request."""
        return {r: f for r, (_, f, _) in self._members.items()}

    def block_demand(self, step: int) -> int:
        """New blocks the decoders need in ``step``."""
        return self._phase[-step % self.block_size]

    def block_demands(self, step: int, steps: int) -> list[int]:
        """New blocks needed in each of ``min(steps, block_size)`` steps from ``step`` on (the
        pattern repeats with period ``block_size``)."""
        bs = self.block_size
        phase = self._phase
        return [phase[-(step + j) % bs] for j in range(min(steps, bs))]

    def blocks_over(self, step: int, steps: int) -> int:
        """Blocks the decoders allocate in the ``steps`` steps from ``step`` on."""
        full, rest = divmod(steps, self.block_size)
        return full * self.count + sum(self.block_demands(step, rest))

    def steps_within(self, free_blocks: int, limit: int, step: int) -> int:
        """Largest k ≤ limit whose cumulative block demand from ``step`` on fits
        ``free_blocks`` (the cohort must not be empty)."""
        n = self.count
        bs = self.block_size
        free = free_blocks
        cycles = min(limit // bs, free // n)
        k = cycles * bs
        free -= cycles * n
        phase = self._phase
        s = step + k
        while k < limit:
            d = phase[-s % bs]
            if d > free:
                break
            free -= d
            k += 1
            s += 1
        return k

    def next_finish_step(self) -> int:
        """The earliest step in which a decoder samples its last token (cohort not empty)."""
        heap = self._heap
        while heap and not self._live(heap[0]):
            heapq.heappop(heap)
        return heap[0][0]

    def pop_finished(self, last_step: int) -> list[int]:
        """Remove and return the decoders whose last token came out in a step ≤ ``last_step``,
        in order of finishing step (then request)."""
        heap = self._heap
        finished: list[int] = []
        while heap and heap[0][0] <= last_step:
            entry = heapq.heappop(heap)
            if self._live(entry):
                self.leave(entry[1])
                finished.append(entry[1])
        return finished

    def _live(self, entry: tuple[int, int]) -> bool:
        step, request = entry
        member = self._members.get(request)
        return member is not None and member[1] == step
