"""The KV block pool: free-queue order decides which of a preempted context's blocks survive."""

from __future__ import annotations

from predeploy.core.block_pool import BlockPool


def test_a_preempted_context_survives_until_the_free_blocks_ahead_are_used() -> None:
    """Free-queue order: 5 blocks were free when request 0's 10 full blocks were freed; after
    7 allocations 2 of its (tail) blocks are reused and 8 are still cache hits. The last token
    is always recomputed."""
    pool = BlockPool(num_blocks=64, block_size=16, prefix_caching=True)
    pool.allocate(59)  # request 0 holds 11 blocks (170 tokens: 10 full), others hold 48
    pool.preempt(0, 170)
    assert pool.free_blocks == 5 + 11
    assert pool.cached_tokens(0, 200) == 10 * 16
    pool.allocate(7)
    assert pool.cached_tokens(0, 200) == 8 * 16
    assert pool.cached_tokens(0, 8 * 16) == 7 * 16  # never the last token
    pool.allocate(9)
    assert pool.cached_tokens(0, 200) == 0


def test_a_readmitted_request_takes_its_cached_blocks_out_of_the_free_queue() -> None:
    pool = BlockPool(num_blocks=64, block_size=16, prefix_caching=True)
    pool.allocate(10)
    pool.preempt(0, 160)
    cached = pool.cached_tokens(0, 161)
    assert cached == 160
    pool.reuse(0, cached)
    assert pool.used_blocks == 10 and pool.prefix_tokens_reused == 160
    assert pool.cached_tokens(0, 161) == 0  # its entry is gone once it is readmitted
    pool.release(10)
    assert pool.free_blocks == 64


def test_without_prefix_caching_nothing_is_cached() -> None:
    pool = BlockPool(num_blocks=64, block_size=16, prefix_caching=False)
    pool.allocate(10)
    pool.preempt(0, 160)
    assert pool.free_blocks == 64 and pool.cached_tokens(0, 161) == 0
