"""The KV-cache blocks of one replica: how many are free and, with prefix caching, which of a
preempted request's blocks still hold its context.

A request holding ``c`` computed tokens holds ``⌈c / block_size⌉`` blocks; allocating takes
blocks from the head of the free queue, freeing puts them back.

Prefix caching (``enable_prefix_caching``, vLLM V1's default) matters here after a
preemption: the preempted request's freed blocks join the free queue behind those already there
(vLLM's ``FreeKVCacheBlockQueue`` evicts least recently freed first, a request's tail blocks
before its head), so when it is scheduled again the full blocks of its context that no
allocation has reused since are cache hits and only the rest is recomputed (at least the last
token always is). Random prompts share no prefix with each other. If ``a`` blocks had been
allocated and ``f`` were free when a request with ``F`` full blocks was preempted, then once
``A`` blocks have been allocated in all, ``min(max(A − a − f, 0), F)`` of them are reused and
the remaining ``F − reused`` full blocks are cached.

A conversation's request also finds its earlier turns cached when first admitted
(``history_tokens``, left by the conversation's previous request and assumed still in the free
queue): those tokens leave the free queue as hits and are not computed.
"""

from __future__ import annotations

from collections.abc import Sequence


class BlockPool:
    """Free KV blocks, counted, and the free-queue positions of preempted contexts.

    Blocks are counted, not named: the free queue is represented by the number of blocks
    allocated so far (each takes the least recently freed block), which is all the prefix
    cache needs to know which freed blocks have been reused.
    """

    __slots__ = (
        "_admitted",
        "_allocated",
        "_evicted_from",
        "block_size",
        "free_blocks",
        "history_tokens",
        "num_blocks",
        "prefix_caching",
        "prefix_tokens_reused",
    )

    def __init__(
        self,
        num_blocks: int,
        block_size: int,
        prefix_caching: bool,
        history_tokens: Sequence[int] = (),
    ) -> None:
        self.num_blocks = num_blocks
        self.block_size = block_size
        self.prefix_caching = prefix_caching
        #: Tokens of each request's own context found cached at its first admission (by
        #: request number; none for requests beyond the sequence).
        self.history_tokens = list(history_tokens)
        self._admitted: set[int] = set()
        self.free_blocks = num_blocks
        #: Blocks allocated so far; a preempted request's cached blocks are reused from
        #: ``_evicted_from[r]`` allocations on.
        self._allocated = 0
        self._evicted_from: dict[int, tuple[int, int]] = {}  # r -> (allocation, full blocks)
        #: Tokens whose KV an admitted request found in the prefix cache.
        self.prefix_tokens_reused = 0

    @property
    def used_blocks(self) -> int:
        return self.num_blocks - self.free_blocks

    def allocate(self, blocks: int) -> None:
        """Take ``blocks`` new blocks from the head of the free queue."""
        self.free_blocks -= blocks
        self._allocated += blocks

    def release(self, blocks: int) -> None:
        """A finished request's ``blocks`` go back to the free queue."""
        self.free_blocks += blocks

    def preempt(self, request: int, computed_tokens: int) -> None:
        """Free the blocks of a preempted ``request`` holding ``computed_tokens`` tokens; with
        prefix caching remember where its full blocks joined the free queue."""
        bs = self.block_size
        if self.prefix_caching:
            # Its blocks go behind the free ones: reused once those are gone.
            self._evicted_from[request] = (
                self._allocated + self.free_blocks,
                computed_tokens // bs,
            )
        self.free_blocks += -(-computed_tokens // bs)

    def cached_tokens(self, request: int, tokens: int) -> int:
        """Tokens of a preempted ``request`` (``tokens`` long) still in the prefix cache: its
        full blocks that no allocation has reused since (the tail ones go first), never its
        last token."""
        entry = self._evicted_from.get(request)
        if entry is None:
            history = self.history_tokens
            if request < len(history) and history[request] and request not in self._admitted:
                return min(history[request], tokens - 1)
            return 0
        start, full = entry
        reused = min(max(self._allocated - start, 0), full)
        bs = self.block_size
        return min((full - reused) * bs, (tokens - 1) // bs * bs)

    def reuse(self, request: int, cached_tokens: int) -> None:
        """``request`` is admitted with its first ``cached_tokens`` tokens from the cache:
        those blocks leave the free queue (cache hits, not allocations)."""
        self._evicted_from.pop(request, None)
        self._admitted.add(request)
        self.prefix_tokens_reused += cached_tokens
        self.free_blocks -= cached_tokens // self.block_size
