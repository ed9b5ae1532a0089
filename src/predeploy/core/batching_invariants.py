"""Consistency checks of a :class:`~predeploy.core.batching.ContinuousBatcher`'s bookkeeping
(tests and ``run_simulation(check_invariants=True)``; O(n) per call).

Blocks held by the running requests equal the blocks in use; free blocks stay within the pool;
with whole-context reservation the promised blocks add up and fit in the free ones; SGLang's
new-token ratio stays in (0, 1]; at most ``max_num_seqs`` run; the decoder aggregates match
the decoding requests; at most one prefill is part-way, and it is the last running request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from predeploy.core.scheduler_limits import DECODING, PREFILLING

if TYPE_CHECKING:
    from predeploy.core.batching import ContinuousBatcher


def check_bookkeeping(b: ContinuousBatcher) -> None:
    """Raise :class:`AssertionError` naming the first inconsistency (module docstring)."""
    held = sum(b.blocks_held(r) for r in b.running)
    if held != b.used_blocks:
        raise AssertionError(f"blocks held {held} != used {b.used_blocks}")
    free, total = b.blocks.free_blocks, b.blocks.num_blocks
    if not 0 <= free <= total:
        raise AssertionError(f"free blocks {free} outside [0, {total}]")
    if b.config.reserve_full_context:
        promised = sum(b.full_blocks(r) - b.blocks_held(r) for r in b.running)
        if promised != b.reserved_blocks or promised > free:
            raise AssertionError(
                f"promised {promised} != reserved {b.reserved_blocks} (free {free})"
            )
    if b.config.new_token_ratio_admission and not 0.0 < b.ratio.current <= 1.0:
        raise AssertionError(f"new_token_ratio {b.ratio.current} outside (0, 1]")
    if len(b.running) > b.config.max_num_seqs:
        raise AssertionError(f"{len(b.running)} running > max_num_seqs")
    decoders = [r for r in b.running if b.state[r] == DECODING]
    if len(decoders) != b.num_decoding:
        raise AssertionError("decoder count out of sync")
    prefilling = [r for r in b.running if b.state[r] == PREFILLING]
    if len(prefilling) > 1 or (prefilling and b.running[-1] != prefilling[0]):
        raise AssertionError(f"part-way prefills {prefilling} not last in running")
    kv = sum(b.computed_tokens(r) + 1 for r in decoders)
    if kv != b.decode_kv_tokens():
        raise AssertionError(f"decode kv {b.decode_kv_tokens()} != {kv}")
