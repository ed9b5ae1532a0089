"""SGLang's optimistic admission: the new-token ratio, and the scheduler's admission and
retraction with it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from tests.unit.core.test_batching import config, run_steps

from predeploy.core.batching import DECODING, WAITING, ContinuousBatcher, SchedulerConfig
from predeploy.core.new_token_ratio import (
    DP_ATTENTION_CONSERVATIVENESS,
    INIT_NEW_TOKEN_RATIO,
    NEW_TOKEN_RATIO_DECAY_STEPS,
    NewTokenRatio,
    clipped,
)


def sglang(**overrides: object) -> SchedulerConfig:
    """test_batching's limits with SGLang's scheduling and a 1,024-token context."""
    settings: dict[str, object] = {
        "max_num_seqs": 8,
        "max_model_len": 1024,
        "separate_prefill_batches": True,
        "new_token_ratio_admission": True,
    }
    return config(**{**settings, **overrides})


def step(b: ContinuousBatcher) -> None:
    run_steps(b, 1)


def second_arrives(config: SchedulerConfig, outputs: list[int]) -> ContinuousBatcher:
    """Two 16-token prompts: the first prefilled, then the second arrives and is scheduled."""
    b = ContinuousBatcher(config, [16, 16], outputs)
    b.enqueue(0)
    step(b)
    b.enqueue(1)
    step(b)
    return b


def test_the_ratio_falls_to_its_floor_and_resets() -> None:
    ratio = NewTokenRatio()
    floor = INIT_NEW_TOKEN_RATIO * 0.14
    ratio.decode_steps(NEW_TOKEN_RATIO_DECAY_STEPS // 2)
    assert ratio.current == pytest.approx((INIT_NEW_TOKEN_RATIO + floor) / 2)
    ratio.decode_steps(NEW_TOKEN_RATIO_DECAY_STEPS)
    assert ratio.current == pytest.approx(floor)
    ratio.reset()
    assert ratio.current == INIT_NEW_TOKEN_RATIO
    # After a retraction: (generated + 20 per decoder kept) / (requested + 1), at most 1.
    ratio.after_retraction(generated=180, requested=999, decoders=1)
    assert ratio.current == pytest.approx(0.2)
    ratio.after_retraction(generated=990, requested=999, decoders=1)
    assert ratio.current == 1.0
    assert (clipped(-3), clipped(10), clipped(10_000)) == (0, 10, 4096)


def test_config_takes_one_admission_rule() -> None:
    with pytest.raises(ValidationError, match="exclude each other"):
        sglang(reserve_full_context=True)


def test_running_answers_count_at_the_ratio() -> None:
    # 1,024 tokens of cache. Two 16-token prompts with 500-token answers: reserving whole
    # contexts (1,032 tokens) would hold one of them back; at the ratio 0.7 the first's
    # 499 tokens to come count as 349, and the second (516 tokens) fits what is left.
    assert second_arrives(sglang(), [500, 500]).state[1] == DECODING
    reserving = sglang(new_token_ratio_admission=False, reserve_full_context=True)
    assert second_arrives(reserving, [500, 500]).state[1] == WAITING


def test_data_parallel_attention_admits_on_a_third_of_the_ratio() -> None:
    # SGLang multiplies --schedule-conservativeness by 0.3 with data-parallel attention: the
    # ratio starts at 0.21, floors at 0.0294. Request 0's 719 tokens to come count as 151 of
    # the 1,008 free, and the second request (516 tokens) that waits at 0.7 is admitted.
    ratio = NewTokenRatio.with_conservativeness(DP_ATTENTION_CONSERVATIVENESS)
    assert ratio.current == ratio.init == pytest.approx(0.21)
    assert ratio.floor == pytest.approx(0.21 * 0.14)
    assert second_arrives(sglang(), [720, 500]).state[1] == WAITING
    eager = sglang(schedule_conservativeness=DP_ATTENTION_CONSERVATIVENESS)
    assert second_arrives(eager, [720, 500]).state[1] == DECODING


def test_a_prompt_waits_while_the_ratio_claims_the_cache() -> None:
    # Request 0's 719 tokens to come count as 503 of the 1,008 free: a 16-token prompt with a
    # 500-token answer does not fit; as request 0 decodes and the ratio falls, it does. A
    # decode stretch ends at the step that admits it, as stepping one by one does.
    def admitted_at(stretch: bool) -> int:
        b = second_arrives(sglang(), [720, 500])
        assert b.state[1] == WAITING
        while b.state[1] == WAITING:
            limit = b.decode_stretch_limit() if stretch else 0
            if limit:
                b.advance_decode(limit)
            else:
                step(b)
        return b.decode_step

    by_step = admitted_at(stretch=False)
    assert 10 < by_step < 100
    assert admitted_at(stretch=True) == by_step


def test_a_full_cache_retracts_the_newest_decoder_to_the_back_of_the_queue() -> None:
    b = ContinuousBatcher(sglang(), [16, 16, 16], [500, 500, 400])
    b.enqueue(0)
    for _ in range(11):  # its prefill and 10 decode steps
        step(b)
    b.enqueue(1)
    step(b)
    assert b.state[1] == DECODING
    b.enqueue(2)  # waits: the ratio claims what the cache has left
    while not b.preempted_decoding:
        step(b)
        assert b.state[2] == WAITING
    # Request 1 generated 10 tokens fewer than request 0: it leaves, keeping its output, and
    # queues behind request 2.
    assert b.preempted_decoding == [1]
    assert list(b.waiting) == [2, 1]
    assert b.state[1] == WAITING and b.generated[1] > 1 and b.preemptions[1] == 1
    generated = b.tokens_generated - b.generated[1]  # request 0's
    assert b.ratio.current == pytest.approx(min((generated + 20) / 501, 1.0))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 300), st.integers(1, 400)), min_size=1, max_size=12),
    st.integers(0, 3),
)
def test_everything_finishes_with_every_token_generated_once(
    requests: list[tuple[int, int]], stagger: int
) -> None:
    prompts = [p for p, _ in requests]
    outputs = [o for _, o in requests]
    b = ContinuousBatcher(sglang(max_model_len=704), prompts, outputs)
    arrivals = list(range(len(requests)))
    steps = 0
    while b.num_finished < len(requests):
        while arrivals and steps >= stagger * arrivals[0]:
            b.enqueue(arrivals.pop(0))
        if b.is_idle:
            steps += 1
            continue
        limit = b.decode_stretch_limit()
        if limit and not arrivals:
            b.advance_decode(limit)
        else:
            step(b)
        b.check_invariants()
        steps += 1
        assert steps < 200_000
    assert b.tokens_generated == sum(outputs)
    # Retracted requests prefill their prompt and their output so far once more.
    assert b.prefill_tokens_computed >= sum(prompts)
    assert b.used_blocks == 0
