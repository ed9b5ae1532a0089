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
  with that finishing step.
"""

from __future__ import annotations

import heapq


class DecodeCohort:
    """Aggregates over the decoding requests: count, Σ key, block-phase histogram, finishes."""

    __slots__ = ("_heap", "_kv_base", "_members", "_phase", "block_size", "count", "tracked_count")

    def __init__(self, block_size: int) -> None:
        self.block_size = block_size
        #: Decoding requests, and how many of them are tracked (e.g. the measured ones).
        self.count = 0
        self.tracked_count = 0
        self._kv_base = 0  # Σ key
        self._phase = [0] * block_size
        self._members: dict[int, tuple[int, int, bool]] = {}  # r -> (key, finish step, tracked)
        self._heap: list[tuple[int, int]] = []  # (finish step, r)

    def join(self, request: int, key: int, finish_step: int, tracked: bool) -> None:
        """``request`` decodes from now on; its last token comes out in ``finish_step``."""
        self._kv_base += key
        self._phase[key % self.block_size] += 1
        self.count += 1
        self.tracked_count += tracked
        self._members[request] = (key, finish_step, tracked)
        heapq.heappush(self._heap, (finish_step, request))

    def leave(self, request: int) -> None:
        """``request`` stops decoding (finished or preempted)."""
        key, _, tracked = self._members.pop(request)
        self._kv_base -= key
        self._phase[key % self.block_size] -= 1
        self.count -= 1
        self.tracked_count -= tracked

    def kv_tokens(self, step: int) -> int:
        """Σ context (computed tokens + the one being computed) over decoders in ``step``."""
        return self._kv_base + self.count * (step + 1)

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
