"""Intent use cases: understand a request, hold a conversation, explain, batch-extract files.

Wires the intent adapter to the catalog and settings: ``PREDEPLOY_LLM_BACKEND`` (none, ollama,
openai), ``PREDEPLOY_LLM_URL``, ``PREDEPLOY_LLM_MODEL``, ``PREDEPLOY_LLM_API_KEY`` and
``PREDEPLOY_LLM_TIMEOUT_S`` pick the extractor; with no backend the deterministic rules answer.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from predeploy.core.catalog import Catalog
from predeploy.core.errors import InputError
from predeploy.core.types import DeploymentIntent
from predeploy.core.types.intent import MAX_TEXT_CHARS
from predeploy.intent.conversation import Conversation
from predeploy.intent.edit import edit_intent
from predeploy.intent.extractor import Extraction, IntentExtractor, understand
from predeploy.intent.llm import ChatClient, Explanation, LlmConfig, LlmExtractor, make_client
from predeploy.intent.llm import explain as explain_with
from predeploy.intent.names import NameIndex
from predeploy.intent.rules import RuleExtractor
from predeploy.kb.seed_files import seed_catalog
from predeploy.services.user_files import read_text, write_text_atomically
from predeploy.settings import DEFAULT_DATABASE_FILE, Settings

#: Longest line accepted in a JSONL cases file (characters): a request plus its id and labels.
MAX_CASE_LINE_CHARS = 4 * MAX_TEXT_CHARS
#: Largest cases file read (bytes): 64 MiB is ~800 maximal lines, thousands of typical ones.
MAX_CASES_FILE_BYTES = 64 * 2**20

_RULES: weakref.WeakKeyDictionary[Any, RuleExtractor] = weakref.WeakKeyDictionary()


def open_intent_catalog(settings: Settings) -> Catalog:
    """The catalog names are normalized against: the knowledge base's once one exists (it holds
    the models a user imported, ``kb import-model``), else the shipped seed facts. Without a
    configured database or the default SQLite file, the database stack is not even loaded:
    ``intent`` stays a light command."""
    if settings.database_url is None and not (settings.home / DEFAULT_DATABASE_FILE).exists():
        return seed_catalog()
    from predeploy.services.knowledge import open_catalog

    return open_catalog(settings)


def rule_extractor(catalog: Catalog) -> RuleExtractor:
    """The deterministic extractor for ``catalog`` (built once per catalog object)."""
    try:
        cached = _RULES.get(catalog)
    except TypeError:  # a catalog that cannot be weakly referenced
        return RuleExtractor(catalog)
    if cached is None:
        cached = RuleExtractor(catalog)
        _RULES[catalog] = cached
    return cached


def llm_config(settings: Settings) -> LlmConfig | None:
    """The LLM backend the settings ask for, or ``None`` for the rules alone."""
    if settings.llm_backend == "none":
        return None
    if not settings.llm_url or not settings.llm_model:
        raise InputError(
            f"PREDEPLOY_LLM_BACKEND={settings.llm_backend} needs PREDEPLOY_LLM_URL and "
            "PREDEPLOY_LLM_MODEL"
        )
    return LlmConfig(
        kind=settings.llm_backend,
        url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
    )


def llm_client(settings: Settings) -> ChatClient | None:
    config = llm_config(settings)
    return make_client(config) if config is not None else None


def make_extractor(catalog: Catalog, settings: Settings) -> IntentExtractor:
    """Rules, or an LLM extractor that falls back to them, as the settings say."""
    rules = rule_extractor(catalog)
    client = llm_client(settings)
    return rules if client is None else LlmExtractor(client, rules)


def analyze_request(text: str, catalog: Catalog, settings: Settings) -> Extraction:
    """The full understanding of one request: intent, extractor, question, notes."""
    extractor = make_extractor(catalog, settings)
    return understand(text, extractor, catalog, rule_extractor(catalog).index)


def extract_intent(text: str, catalog: Catalog, settings: Settings) -> DeploymentIntent:
    """The DeploymentIntent for a plain-language request (the planner's entry)."""
    return analyze_request(text, catalog, settings).intent


def start_conversation(catalog: Catalog, settings: Settings) -> Conversation:
    """A new multi-turn conversation with the configured extractor."""
    return Conversation(make_extractor(catalog, settings), catalog, rule_extractor(catalog).index)


def edit_field(
    intent: DeploymentIntent, path: str, value: str, catalog: Catalog
) -> DeploymentIntent:
    """One validated field edit (GPU and model names checked against the catalog)."""
    index: NameIndex = rule_extractor(catalog).index
    return edit_intent(intent, path, value, catalog, index)


def explain(intent: DeploymentIntent, settings: Settings) -> Explanation:
    """The intent in words: phrased by the LLM when configured, else deterministic."""
    return explain_with(intent, llm_client(settings))


def _read_cases(path: Path) -> Iterator[tuple[str | int, str]]:
    """(id, text) per non-empty line; an invalid line fails naming the file and line."""
    text = read_text(path, MAX_CASES_FILE_BYTES, "the cases file")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        if len(line) > MAX_CASE_LINE_CHARS:
            raise InputError(f"{where}: line longer than {MAX_CASE_LINE_CHARS:,} characters")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{where}: expected a JSON object with 'id' and 'text'")
        case_id, text_value = obj.get("id"), obj.get("text")
        if not isinstance(case_id, str | int) or isinstance(case_id, bool):
            raise InputError(f"{where}: 'id' must be a string or an integer")
        if not isinstance(text_value, str):
            raise InputError(f"{where}: 'text' must be a string")
        yield case_id, text_value


def extract_file(input_path: Path, output_path: Path, catalog: Catalog, settings: Settings) -> int:
    """Extract every ``{"id", "text"}`` line of ``input_path`` into ``{"id", "intent"}`` lines.

    The whole input is read and checked before anything is written, and the output appears
    atomically (written to a temporary file, then renamed): never half-written.
    """
    cases = list(_read_cases(input_path))
    extractor = make_extractor(catalog, settings)
    index = rule_extractor(catalog).index
    lines = []
    for case_id, text in cases:
        result = understand(text, extractor, catalog, index)
        lines.append(
            json.dumps(
                {
                    "id": case_id,
                    "intent": result.intent.model_dump(mode="json"),
                    "extractor": result.extractor,
                },
                ensure_ascii=False,
            )
        )
    write_text_atomically(output_path, "".join(line + "\n" for line in lines))
    return len(lines)
