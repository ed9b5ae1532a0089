"""vLLM 0.11.0's chat front end: a measurement set-up of its own.

vLLM 0.11.0 added a check of the chat-template arguments a request may pass (vLLM pull request
25794, "Add filtering for chat template kwargs", a security fix) that parses the model's Jinja
chat template and walks it for its variables on every ``/v1/chat/completions`` request
(``vllm/entrypoints/chat_utils.py`` 0.11.0, lines 1575-1599: ``env.parse(chat_template)``,
``jinja2.meta.find_undeclared_variables``), uncached; 0.11.1 caches it (``_cached_resolve_chat_
template_kwargs``, line 1535; the same in 0.11.2-0.13.0, read in each release's sdist on
PyPI). That is a compile-sized pass over a 4-6 KB template, 10-14 ms on a 2-core Xeon, run on
the API server's event loop, one request after another. GPUStack's 0.11.0 pages show it: a
burst of 1,000 short chat requests reaches the engine at 37-47 requests/s for Qwen3, GLM-4.5-Air
and DeepSeek-R1 (their TTFTs cluster at 16-19 s), where gpt-oss, whose chat requests vLLM renders
with openai-harmony instead of the template (``serving_chat.py``: ``use_harmony =
model_type == "gpt_oss"`` skips ``_preprocess_chat``), reaches it at 130-250 requests/s, and
0.9.2's Qwen3-8B bursts at a few milliseconds a request.

Such runs are read as :attr:`~predeploy.core.types.Harness.VLLM_0_11_0_CHAT`: the fit gives
that set-up its own time per request (``core.calibration_problem.HARNESS_SHIFTS``), and
predictions, which assume the default set-up, are not slowed by a release's since-fixed cost.
"""

from __future__ import annotations

from predeploy.core.types import Engine, Harness
from predeploy.core.versions import release

#: The vLLM releases that parse the chat template on every chat request (0.11.0 only: the check
#: arrived in it and 0.11.1 caches it).
TEMPLATE_PARSED_PER_REQUEST = frozenset({(0, 11, 0)})

#: Sources whose benchmark client posts to ``/v1/chat/completions``: GPUStack's
#: performance-lab pages (their Benchmark Script: ``vllm bench serve --backend openai-chat
#: --endpoint /v1/chat/completions``), the fitted snapshot and the later pages alike.
CHAT_ENDPOINT_SOURCE_PREFIXES = ("gpustack-performance-lab",)

#: Model families whose chat requests vLLM renders with openai-harmony, not the Jinja template
#: (gpt-oss: ``model_type`` ``gpt_oss``).
HARMONY_FAMILIES = frozenset({"gpt-oss"})


#: Set-ups whose API server does each request's work on its event loop before the engine sees
#: it: requests sent together (a burst, a closed loop's first clients) are all parsed in one
#: pass of the loop, and none of their first tokens streams before that pass ends (their TTFTs
#: cluster at ``N × f`` unless the engine takes longer, as GPUStack's 0.11.0 bursts of 1,000
#: short chat requests do: mean 16.6-19.4 s against p99 20.7-22.6 s, while their engine-bound
#: ShareGPT bursts on A100s keep the engine's TTFTs), where requests one server takes one
#: after another would spread evenly over ``0 … N × f``.
GATED_FRONT_ENDS = frozenset({Harness.VLLM_0_11_0_CHAT})


def posts_chat_completions(source_key: str | None) -> bool:
    """Whether a source's client sends chat completions (:data:`CHAT_ENDPOINT_SOURCE_PREFIXES`)."""
    return source_key is not None and source_key.startswith(CHAT_ENDPOINT_SOURCE_PREFIXES)


def parses_template_per_request(
    engine: Engine, version: str | None, *, chat_endpoint: bool, family: str | None
) -> bool:
    """Whether each request of this run paid vLLM 0.11.0's template parse: vLLM 0.11.0, chat
    completions, a model whose chat vLLM renders from its Jinja template (not harmony)."""
    return (
        engine == Engine.VLLM
        and chat_endpoint
        and release(version) in TEMPLATE_PARSED_PER_REQUEST
        and family not in HARMONY_FAMILIES
    )
