"""Traffic profile generator: from what the user said (and the use-case template) to load.

Rates, in order of precedence (a stated figure always beats a derived one):

* ``qps`` (average) and ``peak_qps`` as stated;
* a daily volume: ``requests_per_day / (active_hours × 3600)``;
* users, whose meaning depends on :attr:`DeploymentIntent.user_kind`:

  - ``total`` (registered users): ``users × active_user_ratio`` are active at once, each sending
    ``requests_per_active_user_per_min``; that is the **average** rate, and the peak is
    ``average × diurnal_peak_factor``;
  - ``concurrent`` (users online at the same moment, i.e. the busy-hour population): the same
    product is the **peak** rate, and the average is ``peak / diurnal_peak_factor``;
  - ``daily`` (daily active users): ``users × requests_per_user_per_day / 86 400 s`` is the
    average, and the peak is ``average × diurnal_peak_factor``.

Token lengths come from the template; a stated length replaces the template's mean and scales
its whole distribution (same shape and coefficient of variation). Every figure is written out in
:attr:`TrafficProfile.derivation`.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from predeploy.core.errors import InputError
from predeploy.core.prefix_cache import computed_prompt_tokens, prefixed_prompt_tokens
from predeploy.core.types import DeploymentIntent, SloTemplate, TokenDistribution, TrafficProfile
from predeploy.core.types.traffic import MAX_TOKENS_PER_REQUEST
from predeploy.core.wording import format_number, format_percent, format_tokens

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_HOUR = 3_600.0
SECONDS_PER_MINUTE = 60.0
HOURS_PER_DAY = 24.0
#: Percentile of prompt and output length a deployment must accept without truncation.
CONTEXT_QUANTILE = 0.99
#: vLLM allocates KV cache in blocks; max_model_len is rounded up to this many tokens.
CONTEXT_ROUNDING_TOKENS = 256

_STANDARD_NORMAL = NormalDist()


def plan_traffic(intent: DeploymentIntent, template: SloTemplate) -> TrafficProfile:
    """The load the deployment must carry, each derived figure explained in words."""
    defaults = template.traffic
    lines: list[str] = []
    prefix = intent.shared_prefix_tokens or 0
    output_lines: list[str] = []
    output = _stated_length(
        "output", _given(intent, "output_tokens"), defaults.output_tokens,
        template.id.value, output_lines,
    )
    history = 0
    if prefix or intent.history_tokens or (intent.conversation_turns or 0) > 1:
        prompt, history = _conversation_prompt(
            intent, prefix, defaults.prompt_tokens, output.mean, template.id.value, lines
        )
    else:
        prompt = _stated_length(
            "prompt", _given(intent, "prompt_tokens"), defaults.prompt_tokens,
            template.id.value, lines,
        )
    if history and intent.think_time_s is not None:
        lines.append(
            f"think time: {format_number(intent.think_time_s)} s between a reply and the next "
            "message (stated): a conversation's history is found only where the free KV cache "
            "outlasts the pause"
        )
    lines.extend(output_lines)
    factor = defaults.diurnal_peak_factor
    avg, peak, active = _rates(intent, template, lines)
    if avg is None and peak is None:
        raise InputError(
            "the request needs a load to size capacity: state users (users + user_kind), "
            "qps, peak_qps or requests_per_day"
        )
    if peak is None:
        assert avg is not None
        peak = avg * factor
        lines.append(
            f"peak = {format_number(avg)} req/s average × {format_number(factor)} diurnal peak "
            f"factor ({template.id.value} template) = {format_number(peak)} req/s"
        )
    if avg is None:
        avg = peak / factor
        lines.append(
            f"average = {format_number(peak)} req/s peak ÷ {format_number(factor)} diurnal peak "
            f"factor = {format_number(avg)} req/s"
        )
    if avg > peak:
        if intent.qps is not None and intent.peak_qps is not None:
            raise InputError(
                f"peak_qps ({format_number(peak)}) is below qps ({format_number(avg)}): the peak "
                "request rate must be at least the average"
            )
        lines.append(
            f"the derived average {format_number(avg)} req/s exceeds the stated peak; "
            f"average capped at {format_number(peak)} req/s"
        )
        avg = peak
    cv = defaults.burstiness_cv
    arrivals = "Poisson arrivals" if cv == 1 else f"gamma arrivals, CV {format_number(cv)}"
    lines.append(
        f"burstiness: inter-arrival coefficient of variation {format_number(cv)} ({arrivals}; "
        f"{template.id.value} template)"
    )
    return TrafficProfile(
        prompt_tokens=prompt,
        output_tokens=output,
        avg_requests_per_s=avg,
        peak_requests_per_s=peak,
        burstiness_cv=cv,
        diurnal_peak_factor=max(1.0, peak / avg),
        active_users=active,
        shared_prefix_tokens=prefix,
        prefix_count=(intent.prefix_count or 1) if prefix else 1,
        prefix_popularity=(intent.prefix_popularity or 0.0)
        if prefix and (intent.prefix_count or 1) > 1
        else 0.0,
        history_tokens=history,
        conversation_turns=intent.conversation_turns if history else None,
        think_time_s=intent.think_time_s if history else None,
        derivation=tuple(lines),
    )


def _rates(
    intent: DeploymentIntent, template: SloTemplate, lines: list[str]
) -> tuple[float | None, float | None, float | None]:
    """(average, peak, active users) from the stated figures; ``None`` where not determined."""
    defaults = template.traffic
    avg: float | None = None
    peak: float | None = None
    active: float | None = None
    if intent.qps is not None:
        avg = intent.qps
        lines.append(f"average rate {format_number(avg)} req/s as stated (qps)")
    if intent.peak_qps is not None:
        peak = intent.peak_qps
        lines.append(f"peak rate {format_number(peak)} req/s as stated (peak_qps)")
    if avg is not None:
        return avg, peak, active
    if intent.requests_per_day is not None:
        hours = intent.active_hours_per_day or HOURS_PER_DAY
        avg = intent.requests_per_day / (hours * SECONDS_PER_HOUR)
        window = "the day" if hours == HOURS_PER_DAY else f"a {format_number(hours)} h window"
        lines.append(
            f"{format_number(intent.requests_per_day)} requests/day over {window} = "
            f"{format_number(avg)} req/s average"
        )
        return avg, peak, active
    if intent.users is None:
        return None, peak, active
    users = float(intent.users)
    rpm = defaults.requests_per_active_user_per_min
    template_name = template.id.value
    if intent.user_kind == "concurrent":
        active = users
        derived_peak = users * rpm / SECONDS_PER_MINUTE
        lines.append(
            f"{format_number(users)} concurrent users × {format_number(rpm)} req/min each "
            f"({template_name} template) = {format_number(derived_peak)} req/s at peak "
            "(concurrent users are the busy-hour population)"
        )
        if peak is None:
            peak = derived_peak
        else:
            lines.append("the stated peak rate wins over the derived one")
        return None, peak, active
    if intent.user_kind == "daily":
        per_day = defaults.requests_per_user_per_day
        avg = users * per_day / SECONDS_PER_DAY
        active = avg * SECONDS_PER_MINUTE / rpm
        lines.append(
            f"{format_number(users)} daily users × {format_number(per_day)} req/day "
            f"({template_name} template) = {format_number(users * per_day)} req/day = "
            f"{format_number(avg)} req/s average"
        )
        return avg, peak, active
    ratio = defaults.active_user_ratio
    active = users * ratio
    avg = active * rpm / SECONDS_PER_MINUTE
    lines.append(
        f"{format_number(users)} users × {format_percent(ratio)} active × "
        f"{format_number(rpm)} req/min ({template_name} template) = "
        f"{format_number(avg)} req/s average"
    )
    return avg, peak, active


def _conversation_prompt(
    intent: DeploymentIntent,
    prefix: int,
    default: TokenDistribution,
    output_mean: float,
    template_name: str,
    lines: list[str],
) -> tuple[TokenDistribution, int]:
    """Prompts that start with a shared prefix of ``prefix`` tokens, then a conversation's
    earlier turns, then each request's own part; and the history's tokens.

    The history is stated, or derived from the turns per conversation ``k``: a turn carries
    the turns before it, ``(k − 1)/2`` on average, each its own part and its answer. A stated
    prompt longer than the prefix and a stated history counts them (the own part is the rest);
    otherwise, and always with turns, it is the own part; unstated, the template's prompt
    is. The own part has the template's spread, scaled to its mean."""
    stated = _given(intent, "prompt_tokens")
    given_history = intent.history_tokens
    start = prefix + (given_history or 0)
    if stated is not None and start and stated > start:
        own = scale_tokens(default, stated - start)
        how = f"stated {format_tokens(stated)} less the prefix and history"
    elif stated is not None:
        own = scale_tokens(default, stated)
        how = "stated"
    else:
        own = default
        how = f"{template_name} template"
    if given_history is not None:
        history, source = given_history, "stated"
    else:
        turns = intent.conversation_turns or 1
        history = round((turns - 1) / 2.0 * (own.mean + output_mean))
        source = (
            f"{format_number((turns - 1) / 2.0)} earlier turns on average of {turns} per "
            f"conversation × ({format_tokens(own.mean)} + {format_tokens(output_mean)} answer "
            "tokens)"
        )
    whole = prefixed_prompt_tokens(own, prefix + history)
    p99 = prefix + history + token_quantile(own, CONTEXT_QUANTILE)
    count = intent.prefix_count or 1
    shared = "shared prefix" if count == 1 else f"shared prefix, one of {count:,}"
    if count > 1 and intent.prefix_popularity:
        shared += f" requested by Zipf's law (exponent {format_number(intent.prefix_popularity)})"
    parts = [f"{format_tokens(prefix)} {shared} (stated)"] if prefix else []
    if history:
        parts.append(f"{format_tokens(history)} of earlier turns ({source})")
    parts.append(
        f"mean {format_tokens(own.mean)} per request ({how}; {own.kind}, the {template_name} "
        "template's spread)"
    )
    lines.append(
        f"prompt tokens: {' + '.join(parts)} = mean {format_tokens(whole.mean)}, p99 "
        f"{format_tokens(p99)}; the prefix and a conversation's earlier turns are found in the "
        "prefix cache where the engine keeps one"
    )
    return whole, history


def _given(intent: DeploymentIntent, field: str) -> int | None:
    """The intent's token length unless it merely echoes the template default."""
    value: int | None = getattr(intent, field)
    source = intent.sources.get(field)
    return None if source is not None and source.origin == "default" else value


def _stated_length(
    what: str,
    stated: int | None,
    default: TokenDistribution,
    template_name: str,
    lines: list[str],
) -> TokenDistribution:
    if stated is None:
        dist = default
        source = f"{template_name} template"
    else:
        dist = scale_tokens(default, stated)
        source = f"stated mean {format_tokens(stated)}, spread of the {template_name} template"
    p99 = token_quantile(dist, CONTEXT_QUANTILE)
    lines.append(
        f"{what} tokens: mean {format_tokens(dist.mean)}, p99 {format_tokens(p99)} "
        f"({dist.kind}; {source})"
    )
    return dist


def scale_tokens(dist: TokenDistribution, mean: float) -> TokenDistribution:
    """The same distribution shape with a new mean (stdev, p95, max and values scale alike).

    ``max`` and ``p95`` stay within :data:`MAX_TOKENS_PER_REQUEST` (a stated mean near that
    bound would otherwise scale the template's tail past it).
    """
    if dist.kind == "fixed":
        return TokenDistribution.fixed(max(1, round(mean)))
    ratio = mean / dist.mean
    longest = None if dist.max is None else min(
        MAX_TOKENS_PER_REQUEST, max(1, math.ceil(dist.max * ratio)))
    p95 = None if dist.p95 is None else dist.p95 * ratio
    if p95 is not None and longest is not None:
        p95 = min(p95, float(longest))
    return TokenDistribution(
        kind=dist.kind,
        mean=mean,
        stdev=dist.stdev * ratio,
        p95=p95,
        max=longest,
        values=tuple(max(1, round(v * ratio)) for v in dist.values),
    )


def token_quantile(dist: TokenDistribution, quantile: float) -> float:
    """The ``quantile`` of a token-length distribution, clipped to [1, ``max``].

    ``normal``: μ + zσ. ``lognormal`` with mean m and stdev s: σ_ln² = ln(1 + s²/m²),
    μ_ln = ln m − σ_ln²/2, quantile = exp(μ_ln + z σ_ln); when only ``p95`` is known,
    σ_ln solves σ²/2 − 1.645σ + ln(p95/m) = 0. ``empirical``: the sample quantile.
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    z = _STANDARD_NORMAL.inv_cdf(quantile)
    if dist.kind == "fixed":
        value = dist.mean
    elif dist.kind == "empirical":
        value = float(np.quantile(np.asarray(dist.values, dtype=float), quantile))
    elif dist.kind == "normal":
        value = dist.mean + z * dist.stdev
    else:
        sigma = _lognormal_sigma(dist)
        mu = math.log(dist.mean) - sigma * sigma / 2
        value = math.exp(mu + z * sigma)
    if dist.max is not None:
        value = min(value, float(dist.max))
    return max(1.0, value)


def _lognormal_sigma(dist: TokenDistribution) -> float:
    if dist.stdev > 0:
        return math.sqrt(math.log1p((dist.stdev / dist.mean) ** 2))
    if dist.p95 is not None and dist.p95 > dist.mean:
        z95 = _STANDARD_NORMAL.inv_cdf(0.95)
        disc = z95 * z95 - 2 * math.log(dist.p95 / dist.mean)
        return z95 - math.sqrt(disc) if disc > 0 else z95
    return 0.0


def context_tokens(traffic: TrafficProfile) -> int:
    """Tokens one sequence must be able to hold (prompt + output) — the minimum max_model_len.

    The p99 prompt plus the p99 output (a sum of percentiles, so above the p99 of the sum), or
    the distributions' hard maxima where they clip lower; rounded up to
    :data:`CONTEXT_ROUNDING_TOKENS`. A shared prompt prefix and a conversation's history are
    the same length in every prompt: the p99 is theirs plus the p99 of the requests' own
    parts.
    """
    start = traffic.shared_prefix_tokens + traffic.history_tokens
    own = computed_prompt_tokens(traffic.prompt_tokens, start)
    needed = start + token_quantile(own, CONTEXT_QUANTILE) + token_quantile(
        traffic.output_tokens, CONTEXT_QUANTILE
    )
    return int(math.ceil(needed / CONTEXT_ROUNDING_TOKENS) * CONTEXT_ROUNDING_TOKENS)


def scale_rate(traffic: TrafficProfile, factor: float) -> TrafficProfile:
    """The same traffic with every request rate multiplied by ``factor`` (what-if sweeps)."""
    if not factor > 0:
        raise InputError(f"a rate multiplier must be positive, got {factor}")
    avg = traffic.avg_requests_per_s * factor
    peak = traffic.peak_requests_per_s * factor
    return traffic.model_copy(
        update={
            "avg_requests_per_s": avg,
            "peak_requests_per_s": peak,
            "active_users": None if traffic.active_users is None
            else traffic.active_users * factor,
            "derivation": (
                *traffic.derivation,
                f"what-if: rates × {format_number(factor)} → {format_number(avg)} req/s average,"
                f" {format_number(peak)} req/s peak",
            ),
        }
    )
