"""Prompt tokens served from the engine's prefix cache: a prompt prefix every request shares.

A support bot's system prompt, a RAG template, few-shot examples: when every prompt starts
with the same ``shared_prefix_tokens`` (``ServingScenario``), an engine that keeps computed
KV blocks for later requests (vLLM's automatic prefix caching, SGLang's radix cache,
TensorRT-LLM's KV-cache block reuse) computes the prefix once and every later request finds
it cached. The performance engine then reads each request as two parts
(:func:`cached_prefix_tokens`):

- the **shared prefix** (``c`` tokens): never prefilled again, its KV held once per replica
  (pinned while requests use it), but read by every sequence's attention, each decode step
  and each prompt token's (the step model's ``shared_context_tokens``);
- the **computed rest** of the prompt (``I − c``): prefilled, budgeted, held in the KV cache
  per request, as any prompt is. The prompts' spread is the rest's: a fixed prefix and a
  varying request (:func:`computed_prompt_tokens`).

The prefix is assumed cached before the measured run (a server in steady service). How much
of it a request finds depends on the engine's cache granularity: vLLM caches full blocks only
(``--block-size``, 16), SGLang's radix tree any token (``--page-size`` 1), TensorRT-LLM reuses
partly filled blocks too (``enable_partial_reuse``). No engine serves a whole prompt from the
cache: its last token is always computed, so ``c ≤ I − 1``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from predeploy.core.types import Engine, Routing, ServingScenario, TokenDistribution

#: Engines whose prefix cache is on unless turned off. Sources: vLLM
#: ``--enable-prefix-caching`` "None → on when supported" (../shared/ecosystem/vllm.md,
#: 0.33.0); SGLang's radix cache is on unless ``--disable-radix-cache`` (SGLang server
#: arguments); TensorRT-LLM ``KvCacheConfig(enable_block_reuse=True)`` by default (TensorRT-LLM
#: LLM API reference, 1.3-1.4). LMDeploy's is off unless ``--enable-prefix-caching`` (its
#: ``api_server`` arguments).
CACHING_BY_DEFAULT = frozenset({Engine.VLLM, Engine.SGLANG, Engine.TRTLLM})

#: vLLM caches full blocks only (vLLM docs, "Automatic Prefix Caching"), of ``--block-size``
#: tokens: 16 by default on CUDA (``VllmSettings.block_size``).
VLLM_BLOCK_TOKENS = 16
#: LMDeploy's KV blocks, ``--cache-block-seq-len``: 64 tokens by default.
LMDEPLOY_BLOCK_TOKENS = 64


def prefix_caching_on(scenario: ServingScenario) -> bool:
    """Whether the engine keeps a prompt prefix for later requests: stated
    (``EngineSettings.prefix_caching``, vLLM ``--[no-]enable-prefix-caching``, SGLang
    ``--disable-radix-cache``), else the engine's default. llama.cpp and other engines are
    not modelled (their prompts are computed in full)."""
    stated = scenario.engine_settings.prefix_caching if scenario.engine_settings else None
    if scenario.engine in (Engine.LLAMA_CPP, Engine.OTHER):
        return False
    if stated is not None:
        return stated
    if scenario.engine == Engine.VLLM and scenario.vllm is not None:
        return scenario.vllm.enable_prefix_caching
    return scenario.engine in CACHING_BY_DEFAULT


def hit_granularity_tokens(scenario: ServingScenario) -> int:
    """The tokens a prefix-cache hit comes in: vLLM's and LMDeploy's whole blocks; any token
    for SGLang's radix cache (``--page-size`` 1 by default) and TensorRT-LLM, which reuses
    partly filled blocks too (``enable_partial_reuse``, on by default)."""
    if scenario.engine == Engine.VLLM:
        return scenario.vllm.block_size if scenario.vllm is not None else VLLM_BLOCK_TOKENS
    if scenario.engine == Engine.LMDEPLOY:
        return LMDEPLOY_BLOCK_TOKENS
    return 1


def cached_prefix_tokens(scenario: ServingScenario) -> int:
    """Prompt tokens each request finds in the prefix cache: the shared prefix rounded down
    to the engine's hit granularity, never the whole mean prompt (0 where the engine keeps
    no prefix, or the model has linear-attention layers with a recurrent state, which the
    model does not split at a prefix; layers with no KV cache and no state, such as
    Nemotron-NAS's linear replacements, do not matter)."""
    shared = scenario.shared_prefix_tokens
    return _cached_start(scenario, shared) if shared > 0 else 0


def _cached_start(scenario: ServingScenario, tokens: int) -> int:
    """How much of a prompt's first ``tokens`` a request finds in the prefix cache: them,
    rounded down to the engine's hit granularity, never the whole mean prompt (0 where the
    engine keeps no prefix, or the model has a recurrent state)."""
    if not prefix_caching_on(scenario) or _recurrent(scenario):
        return 0
    unit = hit_granularity_tokens(scenario)
    longest = max(math.ceil(scenario.prompt_tokens.mean) - 1, 0)
    return min(tokens, longest) // unit * unit


#: How :func:`prefix_caveat` and :func:`history_caveat` start (a plan's rationale picks them,
#: and the KV cache's count with the prefix held once, out of a prediction's caveats).
PREFIX_CAVEAT_START = "shared prompt prefix"
HISTORY_CAVEAT_START = "conversation history"


def _recurrent(scenario: ServingScenario) -> bool:
    """The model keeps a recurrent linear-attention state per sequence."""
    return scenario.model.linear_state_bytes > 0


def _why_computed(scenario: ServingScenario) -> str:
    """Why a shared prefix is computed with every prompt, in words."""
    if prefix_caching_on(scenario):
        return "the model's linear-attention state is not split at a prefix"
    if scenario.engine in (Engine.LLAMA_CPP, Engine.OTHER):
        return f"a prefix cache is not modelled for {scenario.engine.value}"
    stated = scenario.engine_settings.prefix_caching if scenario.engine_settings else None
    if stated is False or (scenario.vllm is not None and not scenario.vllm.enable_prefix_caching):
        return "the engine's prefix cache is turned off"
    return "LMDeploy's prefix cache is off unless --enable-prefix-caching"


def prefix_caveat(scenario: ServingScenario, hit_share: float = 1.0) -> str | None:
    """In words, how the shared prefix was priced (``None`` without one; ``hit_share``:
    :func:`prefix_residency`'s where the scenario states several prefixes)."""
    shared = scenario.shared_prefix_tokens
    if shared <= 0:
        return None
    cached = cached_prefix_tokens(scenario)
    if cached == 0:
        return (
            f"{PREFIX_CAVEAT_START} of {shared:,} tokens computed with every prompt "
            f"({_why_computed(scenario)})"
        )
    unit = hit_granularity_tokens(scenario)
    rounded = f" ({cached:,} of {shared:,}: whole cache blocks of {unit})"
    if cached == shared:
        rounded = ""
    count = scenario.prefix_count
    if count > 1:
        return (
            f"{PREFIX_CAVEAT_START}es: {count:,} distinct prefixes of {cached:,} tokens"
            f"{rounded}{_popularity(scenario)}, "
            + (
                f"found in the prefix cache by {hit_share:.0%} of the requests (the popular ones "
                "more often) — "
                if scenario.prefix_popularity
                else f"each found in the prefix cache by {hit_share:.0%} of its requests — "
            )
            + "held while its requests run and for as long as the free cache outlasts the "
            "pause between them — and computed again by the others; each held once per "
            f"replica while in use (per GPU under data-parallel attention){_spread(scenario)}"
        )
    return (
        f"{PREFIX_CAVEAT_START} served from the prefix cache: {cached:,} tokens per request"
        f"{rounded} not prefilled and held once per replica (per GPU under data-parallel "
        "attention; assumed cached before the run)"
    )


def _popularity(scenario: ServingScenario) -> str:
    """How unevenly the requests spread over the prefixes, in words (empty if evenly)."""
    s = scenario.prefix_popularity
    if not s:
        return ""
    _, shares = prefix_groups(scenario.prefix_count, s)
    return (
        f", their requests spread by Zipf's law (exponent {s:g}: the most requested takes "
        f"{shares[0]:.0%} of them)"
    )


def _spread(scenario: ServingScenario) -> str:
    """How the router shares several prefixes out among the replicas, in words (empty for
    one replica)."""
    replicas = scenario.router_replicas
    if replicas == 1:
        return ""
    if scenario.routing == Routing.PREFIX_AWARE:
        share = prefixes_per_replica(scenario)
        return (
            f"; routed by prefix, each of the {replicas} replicas serves about {share:,.0f} "
            "of them"
        )
    return (
        f"; routed at random, each of the {replicas} replicas serves all of them "
        "(prefix-aware routing would give each its share)"
    )


def _routed_turns(scenario: ServingScenario) -> str:
    """What a random router leaves of a conversation's history on the replica a turn reaches,
    in words (empty where the turn returns to its replica)."""
    share = history_routed_share(scenario)
    if share == 1.0:
        return ""
    turns = scenario.conversation_turns
    over = f" of {turns:,}-turn conversations" if turns else " (read as one earlier turn)"
    return (
        f"routed at random over {scenario.router_replicas} replicas, a turn finds {share:.0%} "
        f"of its history{over} on the replica it reaches, the history up to the last turn that "
        "replica served (prefix-aware routing or session affinity sends it back to all of it)"
    )


def cached_history_tokens(scenario: ServingScenario) -> int:
    """Tokens of a conversation's earlier turns (``history_tokens``) each request finds in the
    prefix cache, after its shared prefix: the cached start of the prompt, prefix and history
    together, rounded down to the engine's hit granularity, less the cached prefix. Assumed
    still cached from the conversation's previous request (its blocks outlive the user's
    pause in the free queue); 0 where no prompt start is cached."""
    history = scenario.history_tokens
    if history <= 0:
        return 0
    start = _cached_start(scenario, scenario.shared_prefix_tokens + history)
    return max(start - cached_prefix_tokens(scenario), 0)


def history_hit_share(
    free_tokens: float, allocated_tokens_per_s: float, think_time_s: float
) -> float:
    """The chance a conversation's history is still cached when its next request comes.

    A finished request's blocks join the free queue's tail, and every new allocation takes the
    queue's head, least recently freed first (vLLM's ``FreeKVCacheBlockQueue``; SGLang's
    radix cache evicts least recently used leaves): they last until the allocations since
    have used up the free cache, ``free_tokens / allocated_tokens_per_s`` seconds. A pause
    exponential with mean ``think_time_s`` is shorter with probability ``1 − e^(−S/T)``."""
    if think_time_s <= 0.0:
        return 1.0
    if allocated_tokens_per_s <= 0.0:
        return 1.0 if free_tokens > 0.0 else 0.0
    survival_s = max(free_tokens, 0.0) / allocated_tokens_per_s
    return 1.0 - math.exp(-survival_s / think_time_s)


def prefixes_per_replica(scenario: ServingScenario) -> float:
    """How many of the scenario's distinct prefixes each replica serves: all ``k`` where the
    router picks replicas at random; ``k/R`` (at least one) where it sends each request to
    the replica holding its prefix (:class:`~predeploy.core.types.Routing`), each prefix's
    requests all reaching one replica (several, for fewer prefixes than replicas)."""
    count = float(scenario.prefix_count)
    if scenario.routing == Routing.PREFIX_AWARE:
        return max(count / scenario.router_replicas, 1.0)
    return count


def history_routed_share(scenario: ServingScenario) -> float:
    """The share of a conversation's history its request finds on the replica it reaches:
    all of it routed by prefix (the conversation stays on its replica), else
    :func:`routed_history_moments`' mean over the scenario's turns per conversation."""
    return routed_history_moments(*history_routing(scenario))[0]


def history_routing(scenario: ServingScenario) -> tuple[int, int]:
    """The replicas a random router spreads a conversation's turns over (1 routed by prefix)
    and its turns per conversation (2, one earlier turn, where unknown)."""
    replicas = 1 if scenario.routing == Routing.PREFIX_AWARE else scenario.router_replicas
    return replicas, max(scenario.conversation_turns or 2, 2)


def routed_history_moments(replicas: int, turns: int) -> tuple[float, float]:
    """Mean and mean square of the share of its history a request finds when a router picks
    each turn's replica at random among ``replicas``, over conversations of ``turns`` turns.

    The replica holds the history up to the last turn it served: with ``T`` earlier turns of
    equal length, turn ``t`` was its last with chance ``p·q^(T − t)`` (``p = 1/R``,
    ``q = 1 − p``), leaving ``t/T`` found — one earlier turn gives ``1/R``, a long history
    all but about ``R − 1`` turns. A request at turn ``j`` carries ``T = j − 1`` earlier
    turns; the shares are weighted by those tokens (``∝ T``, every request carrying the mean
    history). 1 and 1 for one replica."""
    if replicas <= 1:
        return 1.0, 1.0
    p = 1.0 / replicas
    q = 1.0 - p
    earlier = np.arange(1, max(turns, 2), dtype=float)
    # Σ_{u<T} q^u, u·q^u, u²·q^u (u = T − t turns since): the found turns' first two moments.
    u = earlier - 1.0
    s0, s1, s2 = (np.cumsum(u**n * q**u) for n in (0, 1, 2))
    found = p * (earlier * s0 - s1)
    found_sq = p * (earlier**2 * s0 - 2.0 * earlier * s1 + s2)
    carried = earlier.sum()
    return float(found.sum() / carried), float((found_sq / earlier).sum() / carried)


def history_missed_quantiles(
    replicas: int, turns: int, survives: float, levels: np.ndarray
) -> np.ndarray:
    """The share of its history a request computes, at each of ``levels`` (uniforms in
    (0, 1); higher: more missed): none lost with chance ``survives`` (the history outlasted
    the user's pause) and then, routed at random over ``replicas``, the turns since its
    replica last served the conversation (:func:`routed_history_moments`' distribution:
    ``T`` earlier turns ``∝ T``, ``G`` turns since, ``G/T`` missed, all if ``G ≥ T``); all
    of it where the pause outlasted it. One replica: nothing or all, as a prefix's miss."""
    missed, cumulative = _routed_missed_distribution(replicas, turns)
    kept = max(min(survives, 1.0), 0.0)
    u = np.asarray(levels, dtype=float) / max(kept, 1e-12)
    index = np.minimum(np.searchsorted(cumulative, u, side="right"), len(missed) - 1)
    return np.where(u < 1.0, missed[index], 1.0)


@lru_cache(maxsize=64)
def _routed_missed_distribution(replicas: int, turns: int) -> tuple[np.ndarray, np.ndarray]:
    """The missed shares ``G/T`` (ascending, 1 for ``G ≥ T``) of a randomly routed history
    and their cumulative chances (:func:`history_missed_quantiles`), read-only."""
    if replicas <= 1:
        return _frozen(np.zeros(1), np.ones(1))
    p = 1.0 / replicas
    q = 1.0 - p
    earlier = np.arange(1, max(turns, 2), dtype=float)
    weight = earlier / earlier.sum()
    since = np.arange(earlier[-1])
    # Rows: T earlier turns; columns: G turns since its replica's last (G < T; the rest: all).
    shares = since[None, :] / earlier[:, None]
    chances = weight[:, None] * p * q ** since[None, :]
    valid = since[None, :] < earlier[:, None]
    missed = np.concatenate((shares[valid], [1.0]))
    chance = np.concatenate((chances[valid], [float(weight @ q**earlier)]))
    order = np.argsort(missed, kind="stable")
    cumulative = np.cumsum(chance[order])
    return _frozen(missed[order], cumulative / cumulative[-1])


class PrefixResidency(NamedTuple):
    """Where a scenario's distinct shared prefixes are when a request comes
    (:func:`prefix_residency`)."""

    #: How many distinct prefixes running requests hold on average (their blocks pinned),
    #: and how many of them are held apart from the contexts of the requests that missed
    #: them: a request that computes its prefix holds it as its own, and later requests share
    #: those blocks.
    prefixes_in_use: float
    prefixes_held_apart: float
    #: The chance a request finds its prefix cached: in use, or still in the free queue.
    hit_share: float


def prefix_residency(
    prefix_count: float,
    running_requests: float,
    rate_per_prefix_rps: float,
    free_tokens: float,
    allocated_tokens_per_s: float,
    missed_share: float = 0.0,
    popularity: float = 0.0,
) -> PrefixResidency:
    """How often a request finds its prefix cached when ``prefix_count`` prefixes, used
    evenly, share the cache with ``running_requests`` running requests, each prefix
    requested at ``rate_per_prefix_rps``.

    A prefix is pinned while any running request holds it: among ``B`` requests each of
    ``k`` prefixes with chance ``1/k``, it is held with chance ``1 − (1 − 1/k)^B`` (and
    ``k·(1 − (1 − 1/k)^B)`` distinct prefixes are). Otherwise its blocks wait in the free
    queue since its last request finished — a Poisson stream, so that was an exponential time
    ago, of mean ``1/λ`` — and last the ``S = F/a`` seconds the allocations take to turn the
    free cache over (:func:`history_hit_share`): a request finds it with chance
    ``1 − (1 − 1/k)^B · e^(−λS)`` and the others compute it again. A nearly idle server
    allocates almost nothing, so its prefixes stay cached (engines evict on demand, never on a
    timer). Of the prefixes in use, about one per running request that missed its own
    (``missed_share`` of them, each a distinct prefix) is held in that request's context.

    ``popularity``: the prefixes' requests follow Zipf's law with this exponent (0: evenly;
    :func:`prefix_groups`): prefix ``i`` of share ``w_i`` is held with chance
    ``1 − (1 − w_i)^B`` and requested at ``k·λ·w_i``, so the popular ones stay cached and a
    request finds its prefix with chance ``Σ w_i·(1 − (1 − w_i)^B·e^(−k·λ·w_i·S))``."""
    counts, shares = prefix_groups(max(prefix_count, 1.0), popularity)
    running = max(running_requests, 0.0)
    free = (1.0 - shares) ** running
    in_use = float(np.sum(counts * (1.0 - free)))
    apart = max(in_use - missed_share * running, 0.0)
    if rate_per_prefix_rps <= 0.0 or allocated_tokens_per_s <= 0.0:
        idle = 1.0 if free_tokens > 0.0 else float(np.sum(counts * shares * (1.0 - free)))
        return PrefixResidency(in_use, apart, idle)
    survival_s = max(free_tokens, 0.0) / allocated_tokens_per_s
    rate_rps = rate_per_prefix_rps * float(np.sum(counts))
    missed = free * np.exp(-rate_rps * shares * survival_s)
    return PrefixResidency(in_use, apart, float(np.sum(counts * shares * (1.0 - missed))))


def running_with_prefixes(
    capacity_tokens: float,
    own_tokens: float,
    prefix_tokens: float,
    prefix_count: float,
    missed_share: float = 0.0,
    popularity: float = 0.0,
) -> float:
    """The most running requests a KV cache of ``capacity_tokens`` holds with ``own_tokens``
    of their own context each (a missed prefix, ``missed_share`` of them, counted in it) and
    their prefixes (``prefix_tokens`` each, of ``prefix_count`` used evenly) held once per
    distinct prefix in use apart from the requests that missed them: the ``B`` where
    ``B·own + c·max(k·(1 − (1 − 1/k)^B) − m·B, 0)`` fills it (bisection; it grows with
    ``B``, since ``own ≥ m·c``)."""
    if own_tokens <= 0.0:
        return math.inf
    counts, shares = prefix_groups(max(prefix_count, 1.0), popularity)

    def used(batch: float) -> float:
        in_use = float(np.sum(counts * (1.0 - (1.0 - shares) ** batch)))
        return batch * own_tokens + prefix_tokens * max(in_use - missed_share * batch, 0.0)

    low, high = 0.0, capacity_tokens / own_tokens
    if used(high) <= capacity_tokens:
        return high
    for _ in range(RUNNING_BISECTION_STEPS):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if used(mid) <= capacity_tokens else (low, mid)
    return low


#: Bisection steps of :func:`running_with_prefixes` (the bracket shrinks 2^-40-fold).
RUNNING_BISECTION_STEPS = 40
#: Groups of prefixes of about equal popularity (log-spaced by rank) that
#: :func:`prefix_groups` sums over: within a group ranks differ by at most ``k^(1/64)``
#: (1.24× for a million prefixes).
POPULARITY_GROUPS = 64


@lru_cache(maxsize=256)
def prefix_groups(prefix_count: float, popularity: float) -> tuple[np.ndarray, np.ndarray]:
    """``prefix_count`` prefixes whose requests follow Zipf's law with exponent
    ``popularity`` (prefix of rank ``r`` requested in proportion to ``r^(−s)``), as groups of
    adjacent ranks: how many prefixes each group holds and each one's share of the requests
    (the group's mean). Shares sum to 1. Evenly (``popularity`` 0): one group of all of them,
    ``prefix_count`` as given (a share of the prefixes per replica need not be whole)."""
    if popularity <= 0.0 or prefix_count <= 1.0:
        return _frozen(np.array([prefix_count]), np.array([1.0 / prefix_count]))
    count = max(round(prefix_count), 1)
    weights = np.arange(1, count + 1, dtype=float) ** -popularity
    weights /= weights.sum()
    edges = np.unique(np.round(np.geomspace(1, count + 1, POPULARITY_GROUPS + 1)).astype(int))
    sums = np.add.reduceat(weights, edges[:-1] - 1)
    sizes = np.diff(edges).astype(float)
    return _frozen(sizes, sums / sizes)


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The arrays read-only: :func:`prefix_groups` and :func:`_routed_missed_distribution`
    hand the same cached ones to every caller."""
    for a in arrays:
        a.setflags(write=False)
    return arrays[0], arrays[1]


def history_caveat(scenario: ServingScenario, hit_share: float = 1.0) -> str | None:
    """In words, how a conversation's history was priced (``None`` without one;
    ``hit_share``: :func:`history_hit_share` where the scenario states a think time)."""
    history = scenario.history_tokens
    if history <= 0:
        return None
    cached = cached_history_tokens(scenario)
    if cached == 0:
        return (
            f"{HISTORY_CAVEAT_START} of {history:,} tokens computed with every prompt "
            f"({_why_computed(scenario)})"
        )
    turns = (
        "its earlier turns"
        if cached == history
        else f"its {history:,} tokens of earlier turns in whole cache blocks of "
        f"{hit_granularity_tokens(scenario)}"
    )
    routed = _routed_turns(scenario)
    if scenario.think_time_s is not None:
        found, rest = (
            (f"{hit_share:.0%} found in the prefix cache on average", "the rest computed again")
            if routed
            else (f"found in the prefix cache by {hit_share:.0%} of requests",
                  "computed again by the others")
        )
        return (
            f"{HISTORY_CAVEAT_START}: {cached:,} tokens of each request's own context ({turns}) "
            f"{found} — the free cache outlasts a {scenario.think_time_s:g} s mean pause "
            f"between turns {_outlasts(hit_share, history_routed_share(scenario))} — and "
            f"{rest}; held and read by every request{f'; {routed}' if routed else ''}"
        )
    if routed:
        return (
            f"{HISTORY_CAVEAT_START}: {cached:,} tokens of each request's own context ({turns}) "
            f"found in part in the prefix cache — {routed} — and the rest computed again; held "
            "and read by every request (a pause long enough for the free cache to turn over is "
            "not priced without a think time)"
        )
    return (
        f"{HISTORY_CAVEAT_START}: {cached:,} tokens of each request's own context ({turns}) "
        "assumed still in the prefix cache from the conversation's previous request: not "
        "prefilled, but held and read by the request (a pause long enough for the free cache "
        "to turn over would have them computed again: not priced without a think time)"
    )


def _outlasts(hit_share: float, routed_share: float) -> str:
    """How often the free cache outlasts the pause, in words: the hit share itself, or the
    share before the router's where it leaves part of the history elsewhere."""
    if routed_share == 1.0:
        return "that often"
    return f"{hit_share / routed_share:.0%} of the time"


def computed_prompt_tokens(prompt: TokenDistribution, cached: int) -> TokenDistribution:
    """The lengths of the part of each prompt computed after a cache hit of ``cached`` tokens:
    the prompts' distribution less the prefix (a fixed prefix before a varying request, so
    the spread is all the rest's; an empirical list's values each less the prefix, at least
    one token)."""
    if cached <= 0:
        return prompt
    if prompt.kind == "empirical":
        return TokenDistribution.empirical([max(v - cached, 1) for v in prompt.values])
    rest = prompt.mean - cached
    if prompt.kind == "fixed":
        return TokenDistribution.fixed(max(round(rest), 1))
    return prompt.model_copy(
        update={
            "mean": rest,
            "p95": None if prompt.p95 is None else max(prompt.p95 - cached, rest),
            "max": None if prompt.max is None else max(prompt.max - cached, 1),
        }
    )


def prefixed_prompt_tokens(rest: TokenDistribution, prefix: int) -> TokenDistribution:
    """Whole prompts: ``prefix`` shared tokens before requests of ``rest``'s lengths (the
    inverse of :func:`computed_prompt_tokens`)."""
    if prefix <= 0:
        return rest
    if rest.kind == "empirical":
        return TokenDistribution.empirical([v + prefix for v in rest.values])
    return rest.model_copy(
        update={
            "mean": rest.mean + prefix,
            "p95": None if rest.p95 is None else rest.p95 + prefix,
            "max": None if rest.max is None else rest.max + prefix,
        }
    )
