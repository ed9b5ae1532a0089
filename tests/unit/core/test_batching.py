"""The scheduler follows vLLM V1's rules step by step."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from predeploy.core.batching import (
    DECODING,
    FINISHED,
    PREFILLING,
    WAITING,
    ContinuousBatcher,
    SchedulerConfig,
)
from predeploy.core.types import VllmSettings


def config(**overrides: object) -> SchedulerConfig:
    base: dict[str, object] = {
        "max_num_seqs": 4,
        "max_num_batched_tokens": 64,
        "kv_capacity_tokens": 1024,
        "block_size": 16,
        "max_model_len": 256,
    }
    base.update(overrides)
    return SchedulerConfig.model_validate(base)


def run_steps(batcher: ContinuousBatcher, steps: int) -> list[tuple[int, int, int]]:
    """Schedule and complete ``steps`` steps; (prefill tokens, decode seqs, kv) per step."""
    out = []
    for _ in range(steps):
        work = batcher.schedule()
        out.append((work.prefill_tokens, work.decode_seqs, work.decode_kv_tokens))
        batcher.complete()
        batcher.check_invariants()
    return out


def test_config_rejects_what_vllm_rejects() -> None:
    with pytest.raises(ValidationError, match="max_num_batched_tokens"):
        config(max_num_seqs=128, max_num_batched_tokens=64)
    with pytest.raises(ValidationError, match="without chunked prefill"):
        config(enable_chunked_prefill=False, max_num_batched_tokens=128, max_model_len=256)
    with pytest.raises(ValidationError, match="cannot hold one sequence"):
        config(kv_capacity_tokens=200, max_model_len=256)
    with pytest.raises(ValidationError, match="extra"):
        SchedulerConfig.model_validate({**config().model_dump(), "typo": 1})


def test_config_from_vllm_settings() -> None:
    settings = VllmSettings(max_model_len=4096, max_num_seqs=128, max_num_batched_tokens=2048)
    cfg = SchedulerConfig.from_vllm(settings, kv_capacity_tokens=100_000)
    assert (cfg.max_num_seqs, cfg.max_num_batched_tokens, cfg.block_size) == (128, 2048, 16)
    assert cfg.num_blocks == 100_000 // 16


def test_prefill_then_one_token_per_step() -> None:
    b = ContinuousBatcher(config(), [20], [3])
    b.enqueue(0)
    steps = run_steps(b, 3)
    # Prefill 20 tokens (first token), then two decodes reading 21 and 22 tokens of context.
    assert steps == [(20, 0, 0), (0, 1, 21), (0, 1, 22)]
    assert b.state[0] == FINISHED and b.generated[0] == 3
    assert b.used_blocks == 0 and b.tokens_generated == 3 and b.prefill_tokens_computed == 20


def test_chunked_prefill_splits_a_long_prompt_over_steps() -> None:
    b = ContinuousBatcher(config(), [150], [2])
    b.enqueue(0)
    work = b.schedule()
    assert work.prefill_tokens == 64
    outcome = b.complete()
    assert outcome.first_token == [] and b.partial == 0 and b.state[0] == PREFILLING
    assert [s[0] for s in run_steps(b, 2)] == [64, 22]
    assert b.generated[0] == 1 and b.state[0] == DECODING
    # The second chunk's attention covers the 64 cached tokens before it.


def test_chunk_attention_counts_cached_context() -> None:
    b = ContinuousBatcher(config(), [100], [2])
    b.enqueue(0)
    assert b.schedule().prefill_attn_tokens == 64 * 32
    b.complete()
    assert b.schedule().prefill_attn_tokens == 36 * (64 + 18)


def test_decodes_go_first_and_prefills_take_the_remaining_budget() -> None:
    b = ContinuousBatcher(config(max_num_batched_tokens=64), [10, 10, 70], [5, 5, 5])
    b.enqueue(0)
    b.enqueue(1)
    run_steps(b, 1)  # both prefilled together
    b.enqueue(2)
    work = b.schedule()
    assert work.decode_seqs == 2 and work.prefill_tokens == 62  # 64 − 2 decode tokens


def test_without_chunked_prefill_a_prompt_waits_for_a_step_with_room() -> None:
    cfg = config(enable_chunked_prefill=False, max_num_batched_tokens=256)
    b = ContinuousBatcher(cfg, [10, 10, 10, 254], [5, 5, 5, 2])
    for r in range(3):
        b.enqueue(r)
    run_steps(b, 1)
    b.enqueue(3)
    work = b.schedule()  # 254 > 256 − 3 decode tokens: it does not fit this step
    assert work.prefill_tokens == 0 and b.state[3] == WAITING
    b.complete()
    b.check_invariants()


def test_max_num_seqs_caps_the_running_set() -> None:
    b = ContinuousBatcher(config(max_num_seqs=2), [8, 8, 8], [10, 10, 10])
    for r in range(3):
        b.enqueue(r)
    run_steps(b, 1)
    assert len(b.running) == 2 and list(b.waiting) == [2]


def test_waiting_request_needs_free_blocks() -> None:
    # 4 blocks of 16 tokens: request 0 holds 3 blocks, request 1 needs 2 and must wait.
    cfg = config(kv_capacity_tokens=64, max_model_len=64)
    b = ContinuousBatcher(cfg, [40, 20], [5, 5])
    b.enqueue(0)
    run_steps(b, 1)
    b.enqueue(1)
    run_steps(b, 1)
    assert b.state[1] == WAITING and b.used_blocks == 3


def test_preemption_evicts_the_newest_and_requeues_it_at_the_front() -> None:
    # 6 blocks (96 tokens). Requests 0 and 1 hold 2 full blocks each after prefill (32 tokens);
    # request 2 (16 tokens) takes 1; decoding needs a new block for each of 0 and 1 at once:
    # 1 free block, so the newest (2) is preempted and goes back to the front.
    cfg = config(kv_capacity_tokens=96, max_model_len=96, max_num_batched_tokens=128)
    b = ContinuousBatcher(cfg, [32, 32, 16, 16], [20, 20, 20, 20])
    for r in range(3):
        b.enqueue(r)
    run_steps(b, 1)
    assert b.used_blocks == 5
    b.enqueue(3)
    b.schedule()
    assert b.preempted_decoding == [2]
    assert list(b.waiting) == [2, 3]
    assert b.state[2] == WAITING and b.preemptions[2] == 1
    b.complete()
    b.check_invariants()
    # Recompute: request 2 now needs its prompt plus its one generated token.
    assert b.generated[2] == 1


def test_preemption_skips_admission_in_the_same_step() -> None:
    cfg = config(kv_capacity_tokens=96, max_model_len=96, max_num_batched_tokens=128)
    b = ContinuousBatcher(cfg, [32, 32, 16, 16], [20, 20, 20, 20])
    for r in range(3):
        b.enqueue(r)
    run_steps(b, 1)
    work = b.schedule()
    assert work.prefill_tokens == 0  # vLLM schedules no waiting request after a preemption
    b.complete()


def test_decode_stretch_matches_step_by_step() -> None:
    prompts, outputs = [30, 50, 70], [40, 25, 33]
    fast = ContinuousBatcher(config(), prompts, outputs)
    slow = ContinuousBatcher(config(), prompts, outputs)
    for b in (fast, slow):
        for r in range(3):
            b.enqueue(r)
        run_steps(b, 3)
    while fast.num_finished < 3:
        k = fast.decode_stretch_limit()
        assert k > 0
        kv_before = fast.decode_kv_tokens()
        finished = fast.advance_decode(k)
        slow_kv = []
        slow_finished: list[int] = []
        for _ in range(k):
            work = slow.schedule()
            slow_kv.append(work.decode_kv_tokens)
            slow_finished = slow.complete().finished
        assert slow_kv[0] == kv_before
        assert finished == slow_finished
        assert fast.used_blocks == slow.used_blocks
        fast.check_invariants()
    assert slow.num_finished == 3 and fast.tokens_generated == slow.tokens_generated


def test_enqueue_twice_is_an_error() -> None:
    b = ContinuousBatcher(config(), [10], [2])
    b.enqueue(0)
    with pytest.raises(ValueError, match="already enqueued"):
        b.enqueue(0)


def test_requests_must_fit_the_context() -> None:
    with pytest.raises(ValueError, match="max_model_len"):
        ContinuousBatcher(config(), [200], [100])


def test_tight_cache_with_prefix_caching_reuses_preempted_blocks() -> None:
    prompts, outputs = [40, 40, 40, 40], [60, 60, 60, 60]
    plain = ContinuousBatcher(config(kv_capacity_tokens=256), prompts, outputs)
    cached = ContinuousBatcher(config(kv_capacity_tokens=256, enable_prefix_caching=True),
                               prompts, outputs)
    for b in (plain, cached):
        for r in range(4):
            b.enqueue(r)
        while b.num_finished < 4:
            b.schedule()
            b.complete()
            b.check_invariants()
    assert plain.num_preemptions > 0 and cached.blocks.prefix_tokens_reused > 0
    assert cached.prefill_tokens_computed < plain.prefill_tokens_computed


def test_multi_step_scheduling_admits_only_every_nth_step() -> None:
    b = ContinuousBatcher(config(scheduler_steps=4), [8, 8], [20, 20])
    b.enqueue(0)
    assert run_steps(b, 1)[0][0] == 8  # nothing running: admitted at once
    b.enqueue(1)
    steps = run_steps(b, 4)  # steps 1-3 decode only; step 4 is the next admission
    assert [prefill for prefill, _, _ in steps] == [0, 0, 0, 8]
    assert b.state[1] == DECODING


def test_a_decode_stretch_ends_at_the_next_admission_step() -> None:
    b = ContinuousBatcher(config(scheduler_steps=4), [8, 8], [20, 20])
    b.enqueue(0)
    run_steps(b, 1)
    b.enqueue(1)
    assert b.decode_stretch_limit() == 3


def test_separate_prefill_batches_pause_the_decoders() -> None:
    """SGLang's default scheduler: an admissible prompt runs as its own batch with the whole
    budget while the decoders wait; they advance again on the next decode step."""
    b = ContinuousBatcher(config(separate_prefill_batches=True), [8, 8], [20, 20])
    b.enqueue(0)
    run_steps(b, 3)  # prefill, then two decode steps
    context = b.computed_tokens(0)
    generated = b.tokens_generated
    b.enqueue(1)
    assert run_steps(b, 1) == [(8, 0, 0)]  # a prefill batch: no decoders in it
    assert b.computed_tokens(0) == context  # request 0 waited
    assert b.tokens_generated == generated + 1  # only request 1's first token
    assert run_steps(b, 1) == [(0, 2, context + 1 + 9)]  # both decode again


def test_separate_prefill_batches_chunk_a_long_prompt_back_to_back() -> None:
    b = ContinuousBatcher(config(separate_prefill_batches=True), [8, 150], [30, 5])
    b.enqueue(0)
    run_steps(b, 2)
    b.enqueue(1)
    steps = run_steps(b, 4)  # 64 + 64 + 22 tokens with the decoder paused, then decode
    assert steps[:3] == [(64, 0, 0), (64, 0, 0), (22, 0, 0)]
    assert steps[3][0] == 0 and steps[3][1] == 2
    assert b.decode_stretch_limit() > 0


def test_separate_prefill_batches_finish_everything() -> None:
    prompts = [30, 90, 12, 70, 44, 100]
    outputs = [20, 3, 40, 1, 25, 9]
    b = ContinuousBatcher(config(separate_prefill_batches=True), prompts, outputs)
    for r in range(len(prompts)):
        b.enqueue(r)
    while b.num_finished < len(prompts):
        b.schedule()
        b.complete()
        b.check_invariants()
    assert b.tokens_generated == sum(outputs)
    assert b.prefill_tokens_computed == sum(prompts)
