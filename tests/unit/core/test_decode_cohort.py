"""The decoder aggregates: KV read, block-demand pattern and finishing order without per-request
stepping."""

from __future__ import annotations

from predeploy.core.decode_cohort import DecodeCohort


def test_kv_and_block_demand_follow_each_decoders_length() -> None:
    cohort = DecodeCohort(block_size=4)
    # Joined at step 2 with 7 computed tokens (key 5) and at step 3 with 12 (key 9).
    cohort.join(0, key=5, finish_step=20, tracked=True)
    cohort.join(1, key=9, finish_step=30, tracked=False)
    assert (cohort.count, cohort.tracked_count) == (2, 1)
    # Step 3: 8 and 12 tokens computed, one more being computed each.
    assert cohort.kv_tokens(3) == 9 + 13
    # A decoder needs a block when its computed length is a multiple of 4: both at step 3.
    assert [cohort.block_demand(s) for s in range(3, 7)] == [2, 0, 0, 0]
    assert cohort.block_demands(3, 10) == [2, 0, 0, 0]
    assert cohort.blocks_over(3, 9) == 2 * 2 + 2
    assert cohort.steps_within(free_blocks=3, limit=9, step=3) == 4
    cohort.leave(1)
    assert (cohort.count, cohort.tracked_count, cohort.kv_tokens(3)) == (1, 1, 9)


def test_finishing_steps_skip_stale_entries() -> None:
    cohort = DecodeCohort(block_size=16)
    cohort.join(0, key=10, finish_step=5, tracked=True)
    cohort.join(1, key=10, finish_step=8, tracked=True)
    cohort.leave(0)  # preempted: its entry for step 5 is stale
    cohort.join(0, key=3, finish_step=12, tracked=True)
    assert cohort.next_finish_step() == 8
    assert cohort.pop_finished(11) == [1]
    assert cohort.pop_finished(12) == [0]
    assert cohort.count == 0


def test_remaining_tokens_count_each_decoders_rest_up_to_the_clip() -> None:
    cohort = DecodeCohort(block_size=16)
    cohort.join(0, key=10, finish_step=20, tracked=True)
    cohort.join(1, key=10, finish_step=5_000, tracked=True)
    # From step 4: 17 tokens to come for request 0 and 4,997 for request 1.
    assert cohort.remaining_tokens(4, clip=10_000) == 17 + 4_997
    assert cohort.remaining_tokens(4, clip=4_096) == 17 + 4_096
    cohort.leave(1)
    assert cohort.remaining_tokens(4, clip=4_096) == 17
    assert cohort.finish_steps() == {0: 20}
