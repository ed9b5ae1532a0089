from __future__ import annotations

import math

import numpy as np
import pytest
from tests.planning_facts import chat_template, rag_template

from predeploy.core.errors import InputError
from predeploy.core.traffic import (
    context_tokens,
    plan_traffic,
    scale_rate,
    scale_tokens,
    token_quantile,
)
from predeploy.core.types import DeploymentIntent, TokenDistribution, TrafficProfile, UseCase
from predeploy.core.types.traffic import MAX_TOKENS_PER_REQUEST


def _intent(**fields: object) -> DeploymentIntent:
    return DeploymentIntent.model_validate({"use_case": "chatbot", **fields})


def test_total_users_give_average_then_peak_with_derivation() -> None:
    traffic = plan_traffic(_intent(users=1000), chat_template())
    assert traffic.avg_requests_per_s == pytest.approx(1000 * 0.1 * 2 / 60)
    assert traffic.peak_requests_per_s == pytest.approx(10.0)
    words = " ".join(traffic.derivation)
    assert "1,000 users × 10 % active × 2 req/min" in words
    assert "3.33 req/s average" in words
    assert "× 3 diurnal peak factor" in words and "= 10 req/s" in words


def test_concurrent_users_are_the_peak_population() -> None:
    traffic = plan_traffic(_intent(users=5000, user_kind="concurrent"), chat_template())
    assert traffic.peak_requests_per_s == pytest.approx(5000 * 2 / 60)
    assert traffic.avg_requests_per_s == pytest.approx(5000 * 2 / 60 / 3)
    assert traffic.active_users == 5000


def test_daily_users_spread_over_the_day() -> None:
    traffic = plan_traffic(_intent(users=2000, user_kind="daily"), chat_template())
    assert traffic.avg_requests_per_s == pytest.approx(2000 * 20 / 86_400)
    assert traffic.peak_requests_per_s == pytest.approx(3 * 2000 * 20 / 86_400)


def test_user_kinds_mean_different_loads() -> None:
    rates = {
        kind: plan_traffic(_intent(users=1000, user_kind=kind), chat_template())
        .peak_requests_per_s
        for kind in ("concurrent", "total", "daily")
    }
    assert rates["concurrent"] > rates["total"] > rates["daily"]


def test_stated_qps_wins_over_users_and_stated_peak_over_derived() -> None:
    traffic = plan_traffic(_intent(users=1000, qps=7.0), chat_template())
    assert traffic.avg_requests_per_s == 7.0
    assert traffic.peak_requests_per_s == pytest.approx(21.0)
    traffic = plan_traffic(_intent(qps=7.0, peak_qps=9.0), chat_template())
    assert (traffic.avg_requests_per_s, traffic.peak_requests_per_s) == (7.0, 9.0)
    traffic = plan_traffic(_intent(users=1000, peak_qps=40.0), chat_template())
    assert traffic.peak_requests_per_s == 40.0
    assert traffic.avg_requests_per_s == pytest.approx(1000 * 0.1 * 2 / 60)


def test_stated_peak_only_derives_average() -> None:
    traffic = plan_traffic(_intent(peak_qps=30.0), chat_template())
    assert traffic.avg_requests_per_s == pytest.approx(10.0)
    assert "÷ 3 diurnal peak factor" in " ".join(traffic.derivation)


def test_daily_volume_over_a_window() -> None:
    traffic = plan_traffic(
        _intent(requests_per_day=1_000_000, active_hours_per_day=8), chat_template()
    )
    assert traffic.avg_requests_per_s == pytest.approx(1_000_000 / (8 * 3600))
    assert "8 h window" in " ".join(traffic.derivation)


def test_missing_load_and_inconsistent_rates_are_clear_errors() -> None:
    with pytest.raises(InputError, match="users"):
        plan_traffic(_intent(), chat_template())
    with pytest.raises(InputError, match="peak_qps"):
        plan_traffic(_intent(qps=10, peak_qps=5), chat_template())


def test_stated_lengths_scale_the_template_distribution() -> None:
    template = rag_template()
    traffic = plan_traffic(
        DeploymentIntent(use_case=UseCase.RAG_QA, qps=1, prompt_tokens=30_000, output_tokens=500),
        template,
    )
    assert traffic.prompt_tokens.mean == 30_000
    ratio = 30_000 / template.traffic.prompt_tokens.mean
    expected = template.traffic.prompt_tokens.stdev * ratio
    assert traffic.prompt_tokens.stdev == pytest.approx(expected)
    assert context_tokens(traffic) >= 30_000 + 500


def test_lognormal_quantile_matches_sampling() -> None:
    dist = TokenDistribution(kind="lognormal", mean=1000, stdev=600)
    sigma = math.sqrt(math.log1p(0.36))
    rng = np.random.default_rng(0)
    samples = rng.lognormal(math.log(1000) - sigma**2 / 2, sigma, 200_000)
    assert token_quantile(dist, 0.99) == pytest.approx(np.quantile(samples, 0.99), rel=0.02)


def test_quantile_kinds_and_clipping() -> None:
    assert token_quantile(TokenDistribution.fixed(300), 0.99) == 300
    clipped = TokenDistribution(kind="lognormal", mean=1000, stdev=2000, max=3000)
    assert token_quantile(clipped, 0.99) == 3000
    empirical = TokenDistribution(kind="empirical", mean=50, values=tuple(range(1, 101)))
    assert token_quantile(empirical, 0.5) == pytest.approx(50.5)
    normal = TokenDistribution(kind="normal", mean=100, stdev=10)
    assert token_quantile(normal, 0.99) == pytest.approx(100 + 2.3263 * 10, rel=1e-3)
    by_p95 = TokenDistribution(kind="lognormal", mean=100, p95=200)
    assert token_quantile(by_p95, 0.95) == pytest.approx(200, rel=1e-6)


def test_scale_tokens_keeps_shape_and_rate_scaling_records_why() -> None:
    dist = TokenDistribution(kind="lognormal", mean=100, stdev=50, p95=190, max=400)
    scaled = scale_tokens(dist, 200)
    assert (scaled.stdev, scaled.p95, scaled.max) == (100, 380, 800)
    base = plan_traffic(_intent(users=1000), chat_template())
    doubled = scale_rate(base, 2)
    assert doubled.peak_requests_per_s == pytest.approx(2 * base.peak_requests_per_s)
    assert "× 2" in doubled.derivation[-1]
    with pytest.raises(InputError):
        scale_rate(base, 0)


def test_scaled_tails_stay_within_the_token_bound() -> None:
    dist = TokenDistribution(kind="lognormal", mean=100, stdev=50, p95=190, max=400)
    longest = scale_tokens(dist, MAX_TOKENS_PER_REQUEST)
    assert longest.mean == longest.max == MAX_TOKENS_PER_REQUEST
    assert longest.p95 == MAX_TOKENS_PER_REQUEST
    traffic = plan_traffic(_intent(users=100, prompt_tokens=MAX_TOKENS_PER_REQUEST),
                           chat_template())
    assert traffic.prompt_tokens.max == MAX_TOKENS_PER_REQUEST


def test_template_default_lengths_are_not_reported_as_stated() -> None:
    template = chat_template()
    mean = int(template.traffic.prompt_tokens.mean)
    defaulted = _intent(
        users=1000, prompt_tokens=mean, sources={"prompt_tokens": {"origin": "default"}}
    )
    traffic = plan_traffic(defaulted, template)
    assert traffic.prompt_tokens == template.traffic.prompt_tokens
    assert not any("stated mean" in line for line in traffic.derivation)
    stated = _intent(
        users=1000, prompt_tokens=mean * 2, sources={"prompt_tokens": {"origin": "stated"}}
    )
    assert any("stated mean" in line for line in plan_traffic(stated, template).derivation)


def test_a_shared_prefix_comes_before_the_template_prompt() -> None:
    template = chat_template()
    traffic = plan_traffic(_intent(users=1000, shared_prefix_tokens=2000), template)
    assert traffic.shared_prefix_tokens == 2000
    assert traffic.prompt_tokens.mean == pytest.approx(template.traffic.prompt_tokens.mean + 2000)
    assert traffic.prompt_tokens.stdev == template.traffic.prompt_tokens.stdev
    assert any("2,000 shared prefix" in line for line in traffic.derivation)


def test_a_stated_prompt_longer_than_the_prefix_counts_it() -> None:
    stated = _intent(users=1000, prompt_tokens=3000, shared_prefix_tokens=2000)
    traffic = plan_traffic(stated, chat_template())
    assert traffic.prompt_tokens.mean == pytest.approx(3000)
    assert any("stated 3,000 less the prefix" in line for line in traffic.derivation)
    # The spread is the request's own part's: the template's, scaled to its 1,000 tokens.
    template = chat_template().traffic.prompt_tokens
    assert traffic.prompt_tokens.stdev == pytest.approx(template.stdev * 1000 / template.mean)
    # A shorter one is the request's own part, after the prefix.
    shorter = _intent(users=1000, prompt_tokens=200, shared_prefix_tokens=2000)
    assert plan_traffic(shorter, chat_template()).prompt_tokens.mean == pytest.approx(2200)


def test_several_system_prompts_are_counted_with_their_length() -> None:
    template = chat_template()
    many = plan_traffic(_intent(users=1000, shared_prefix_tokens=2000, prefix_count=40), template)
    assert (many.shared_prefix_tokens, many.prefix_count) == (2000, 40)
    assert any("2,000 shared prefix, one of 40 (stated)" in line for line in many.derivation)
    # A count of prompts of no stated length is not priced.
    bare = plan_traffic(_intent(users=1000, prefix_count=40), template)
    assert (bare.shared_prefix_tokens, bare.prefix_count) == (0, 1)
    with pytest.raises(ValueError, match="prefix_count"):
        TrafficProfile.model_validate({**bare.model_dump(), "prefix_count": 3})


def test_traffic_refuses_a_prefix_as_long_as_its_prompts() -> None:
    traffic = plan_traffic(_intent(users=1000), chat_template())
    with pytest.raises(ValueError, match="shared_prefix_tokens"):
        TrafficProfile.model_validate({**traffic.model_dump(), "shared_prefix_tokens": 10**6})


def test_the_context_holds_the_prefix_and_the_own_parts_p99() -> None:
    template = chat_template()
    plain = plan_traffic(_intent(users=1000), template)
    shared = plan_traffic(_intent(users=1000, shared_prefix_tokens=4000), template)
    own_p99 = token_quantile(template.traffic.prompt_tokens, 0.99)
    output_p99 = token_quantile(template.traffic.output_tokens, 0.99)
    assert context_tokens(shared) >= 4000 + own_p99 + output_p99
    assert context_tokens(shared) - context_tokens(plain) == pytest.approx(4000, abs=256)


def test_turns_per_conversation_give_each_prompt_its_earlier_turns() -> None:
    template = chat_template()
    own, out = template.traffic.prompt_tokens.mean, template.traffic.output_tokens.mean
    traffic = plan_traffic(_intent(users=1000, conversation_turns=5), template)
    history = round(2 * (own + out))  # (5 − 1)/2 earlier turns, each a message and an answer
    assert traffic.history_tokens == history
    assert traffic.prompt_tokens.mean == pytest.approx(own + history)
    assert any("2 earlier turns on average of 5 per conversation" in line
               for line in traffic.derivation)
    # A stated history longer than nothing, and a stated prompt that counts it and the prefix.
    stated = _intent(users=1000, shared_prefix_tokens=500, history_tokens=2000, prompt_tokens=3000)
    counted = plan_traffic(stated, template)
    assert (counted.history_tokens, counted.prompt_tokens.mean) == (2000, pytest.approx(3000))
    assert context_tokens(counted) >= 2500 + token_quantile(
        scale_tokens(template.traffic.prompt_tokens, 500), 0.99
    )
