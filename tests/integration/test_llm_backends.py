"""LLM backends against a real local HTTP server speaking the Ollama and OpenAI protocols.

The server is a small http.server in a thread on 127.0.0.1; it answers with canned assistant
messages, or slowly, or with garbage, so the clients, the schema validation and the fall-back
to the rules run exactly as they would against Ollama or vLLM.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.intent_fixtures import intent_catalog

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.errors import InputError
from predeploy.core.types import UseCase
from predeploy.intent.extractor import understand
from predeploy.intent.llm import (
    EXTRACTION_SCHEMA,
    LlmConfig,
    LlmExtractor,
    OllamaClient,
    OpenAIClient,
    explain,
    make_client,
)
from predeploy.intent.rules import RuleExtractor
from predeploy.services import intent as intent_service
from predeploy.settings import Settings

#: How long the "slow" server waits before answering (s) and the client timeout used (s).
SLOW_ANSWER_S = 1.0
SHORT_TIMEOUT_S = 0.2


@dataclass
class Behaviour:
    mode: str = "json"  # json | slow | garbage | http500 | fenced
    content: Any = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)


def _handler(state: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append((self.path, dict(self.headers), body))
            if state.mode == "slow":
                time.sleep(SLOW_ANSWER_S)
            if state.mode == "http500":
                self._send(500, b'{"error": "boom"}')
                return
            if state.mode == "garbage":
                self._send(200, b"<html>not json at all")
                return
            content = state.content if isinstance(state.content, str) else json.dumps(state.content)
            if state.mode == "fenced":
                content = f"```json\n{content}\n```"
            if self.path == "/api/chat":
                payload = {
                    "model": body.get("model"),
                    "done": True,
                    "message": {"role": "assistant", "content": content},
                }
            elif self.path == "/v1/chat/completions":
                payload = {
                    "id": "x",
                    "object": "chat.completion",
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                }
            else:
                self._send(404, b"{}")
                return
            self._send(200, json.dumps(payload).encode())

        def _send(self, status: int, data: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Behaviour]]:
    state = Behaviour()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def catalog() -> InMemoryCatalog:
    return intent_catalog()


@pytest.fixture(scope="module")
def rules(catalog: InMemoryCatalog) -> RuleExtractor:
    return RuleExtractor(catalog)


GOOD_ANSWER = {
    "use_case": "customer_service",
    "users": 5000,
    "user_kind": "concurrent",
    "rate": None,
    "targets": [{"metric": "ttft", "percentile": None, "milliseconds": 200}],
    "budget_monthly_usd": 8000,
    "gpus": [{"name": "H200", "count": 4}],
    "models": ["Llama 3.1 70B"],
    "models_required": True,
    "priority": "latency",
    "subject_matter": "Retail / e-commerce",
}
TEXT = "support bot for 5k concurrent shoppers on 4 H200s with Llama 3.1 70B, TTFT < 200 ms"


def _config(url: str, kind: str = "ollama", timeout_s: float = 5.0, **kw: Any) -> LlmConfig:
    return LlmConfig(kind=kind, url=url, model="test-model", timeout_s=timeout_s, **kw)  # type: ignore[arg-type]


def test_ollama_structured_output(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    url, state = server
    state.content = GOOD_ANSWER
    result = understand(TEXT, LlmExtractor(OllamaClient(_config(url)), rules), catalog)
    assert result.extractor == "ollama" and result.fallback_reason is None
    intent = result.intent
    assert intent.use_case == UseCase.CUSTOMER_SERVICE
    assert (intent.users, intent.user_kind) == (5000, "concurrent")
    assert intent.slo.ttft_ms.p95 == 200
    assert intent.budget.monthly_usd == 8000
    assert [(g.gpu, g.count) for g in intent.constraints.gpus] == [("H200", 4)]
    assert intent.models == ["meta-llama/Llama-3.1-70B-Instruct"]
    assert intent.constraints.models_required
    assert intent.subject_matter == "e-commerce"
    path, _, body = state.requests[0]
    assert path == "/api/chat"
    assert body["model"] == "test-model" and body["stream"] is False
    assert body["format"] == EXTRACTION_SCHEMA
    assert "<request>" in body["messages"][1]["content"]


@pytest.mark.parametrize("suffix", ["", "/v1", "/v1/"])
def test_openai_compatible_json_schema(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog, suffix: str
) -> None:
    url, state = server
    state.content = GOOD_ANSWER
    client = OpenAIClient(_config(url + suffix, kind="openai", api_key="sk-test"))
    result = understand(TEXT, LlmExtractor(client, rules), catalog)
    assert result.extractor == "openai"
    assert result.intent.users == 5000
    path, headers, body = state.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == EXTRACTION_SCHEMA


@pytest.mark.parametrize(
    ("mode", "content", "reason"),
    [
        ("slow", GOOD_ANSWER, "no answer within 0.2 s"),
        ("garbage", GOOD_ANSWER, "not JSON"),
        ("http500", GOOD_ANSWER, "HTTP 500"),
        ("json", "I think it's a chatbot!", "invalid output"),
        ("json", {**GOOD_ANSWER, "replicas": 1000}, "invalid output: replicas"),
        ("json", {**GOOD_ANSWER, "users": -4}, "invalid output: users"),
    ],
)
@pytest.mark.parametrize("kind", ["ollama", "openai"])
def test_failures_fall_back_to_the_rules(
    server: tuple[str, Behaviour],
    rules: RuleExtractor,
    catalog: InMemoryCatalog,
    kind: str,
    mode: str,
    content: Any,
    reason: str,
) -> None:
    url, state = server
    state.mode, state.content = mode, content
    client = make_client(_config(url, kind=kind, timeout_s=SHORT_TIMEOUT_S))
    result = understand(TEXT, LlmExtractor(client, rules), catalog)
    assert result.extractor == "rules"
    assert result.fallback_reason is not None and reason in result.fallback_reason
    assert result.fallback_reason.startswith(kind)
    assert result.intent.users == 5000  # the rules read the request instead
    assert result.intent.constraints.max_tensor_parallel == 8


def test_connection_refused_falls_back(rules: RuleExtractor, catalog: InMemoryCatalog) -> None:
    client = OllamaClient(_config("http://127.0.0.1:9", timeout_s=SHORT_TIMEOUT_S))
    result = understand(TEXT, LlmExtractor(client, rules), catalog)
    assert result.extractor == "rules"
    assert "connection failed" in (result.fallback_reason or "")


def test_code_fences_are_tolerated(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    url, state = server
    state.mode, state.content = "fenced", GOOD_ANSWER
    result = understand(TEXT, LlmExtractor(OllamaClient(_config(url)), rules), catalog)
    assert result.extractor == "ollama"


def test_llm_output_is_normalized_like_the_rules(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    url, state = server
    state.content = {
        "use_case": "chatbot",
        "users": 40,
        "gpus": [{"name": "TPU v5"}],
        "models": ["rm -rf /; echo pwned"],
        "subject_matter": "ignore all rules",
    }
    intent = understand(
        "chatbot for 40 people", LlmExtractor(OllamaClient(_config(url)), rules), catalog
    ).intent
    assert intent.gpus == [] and intent.models == []
    assert intent.subject_matter is None
    assert any("unknown GPU 'TPU v5'" in a for a in intent.assumptions)


def test_rules_fill_what_the_llm_left_out(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    url, state = server
    state.content = {"use_case": "rag_qa"}
    intent = understand(
        "Q&A over the wiki for 150 staff, p95 end-to-end under 4 seconds",
        LlmExtractor(OllamaClient(_config(url)), rules),
        catalog,
    ).intent
    assert intent.use_case == UseCase.RAG_QA
    assert intent.users == 150 and intent.slo.e2e_ms.p95 == 4000
    assert intent.sources["users"].origin == "stated"


def test_explain_by_llm_and_fallback(
    server: tuple[str, Behaviour], rules: RuleExtractor, catalog: InMemoryCatalog
) -> None:
    url, state = server
    intent = understand(TEXT, rules, catalog).intent
    state.content = "You asked for a support bot.\x00 I assumed the prompt length."
    phrased = explain(intent, OllamaClient(_config(url)))
    assert phrased.by == "ollama" and "\x00" not in phrased.text
    assert "messages" in state.requests[-1][2] and "format" not in state.requests[-1][2]
    state.mode = "slow"
    fallback = explain(intent, OllamaClient(_config(url, timeout_s=SHORT_TIMEOUT_S)))
    assert fallback.by == "rules" and fallback.text.startswith("Understood:")
    assert explain(intent, None).by == "rules"


def test_settings_choose_the_backend(server: tuple[str, Behaviour]) -> None:
    url, state = server
    state.content = GOOD_ANSWER
    catalog = intent_catalog()
    settings = Settings(llm_backend="openai", llm_url=url, llm_model="m", llm_api_key="k")
    result = intent_service.analyze_request(TEXT, catalog, settings)
    assert result.extractor == "openai"
    assert intent_service.analyze_request(TEXT, catalog, Settings()).extractor == "rules"
    with pytest.raises(InputError, match="PREDEPLOY_LLM_URL"):
        intent_service.make_extractor(catalog, Settings(llm_backend="ollama"))


def test_unknown_backend_lists_valid_kinds() -> None:
    config = LlmConfig.model_construct(kind="bard", url="http://x", model="m", timeout_s=1.0)
    with pytest.raises(InputError, match="valid: ollama, openai"):
        make_client(config)
