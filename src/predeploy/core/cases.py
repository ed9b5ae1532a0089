"""Calibration cases: the ../shared/calibration ``perf_cases.jsonl`` format as typed values.

Pure parsing, dict → :class:`CalibrationCase`. A case is a measured serving scenario plus the
metrics measured for it; ``predeploy predict`` reads only ``id`` and ``scenario``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator

from predeploy.core.errors import InputError, describe_validation_error
from predeploy.core.hf_config import architecture_from_hf_config
from predeploy.core.scoring import ScoredCase
from predeploy.core.types import (
    BenchmarkClient,
    Engine,
    FrozenModel,
    Harness,
    KvCacheDtype,
    LoadDescription,
    ModelArchitecture,
    Precision,
    engine_name,
)
from predeploy.core.types.facts import AttentionType

#: Context length assumed when a model config omits ``max_position_embeddings`` (the common
#: 32K of current checkpoints; only affects the largest max_model_len we report).
DEFAULT_MAX_CONTEXT_TOKENS = 32768

#: Head dimension of MLA models (DeepSeek V2/V3 ``qk_nope_head_dim`` = ``v_head_dim`` = 128)
#: when the config gives none (their ``hidden_size / num_attention_heads`` is not a head size).
MLA_HEAD_DIM = 128


class CaseScenario(FrozenModel):
    """The ``scenario`` object of a calibration case (what a predictor gets)."""

    model: Annotated[str, Field(min_length=1)]
    model_config_: ModelArchitecture | None = Field(default=None, alias="model_config")
    gpu: Annotated[str, Field(min_length=1)]
    gpu_count: Annotated[int, Field(ge=1)]
    tp: Annotated[int, Field(ge=1)] | None = None
    pp: Annotated[int, Field(ge=1)] = 1
    precision: Precision | None = None
    engine: Engine = Engine.OTHER
    engine_version: str | None = None
    input_tokens: Annotated[int, Field(ge=0)] | None = None
    output_tokens: Annotated[int, Field(ge=0)] | None = None
    dataset: str = "fixed"
    load: LoadDescription
    kv_cache_dtype: KvCacheDtype | None = None
    model_label: str | None = None
    gpu_label: str | None = None
    engine_label: str | None = None
    precision_label: str | None = None
    engine_args: str | None = None
    mlperf_benchmark: str | None = None
    mlperf_scenario: str | None = None
    mlperf_submitter: str | None = None
    mlperf_system: str | None = None
    virtualized: bool = False
    #: Who measured; not part of the shared case format (its cases are all ``default``).
    harness: Harness = Harness.DEFAULT
    #: The benchmark client, and whether it had the engine ignore the end-of-sequence token
    #: where the case says so (``None``: the client's default); neither is part of the shared
    #: case format. They choose a dataset's output lengths (``core.datasets``).
    client: BenchmarkClient | None = None
    ignore_eos: bool | None = None
    #: The checkpoint served where no ``engine_args`` names it; not part of the shared case
    #: format (``core.checkpoints.served_fp8_weight_block``).
    checkpoint: str | None = None
    #: Tokens at the start of every prompt that all requests share (``ServingScenario``'s
    #: ``shared_prefix_tokens``); not part of the shared case format.
    shared_prefix_tokens: Annotated[int, Field(ge=0)] = 0
    #: Distinct shared prefixes the requests spread over (``ServingScenario.prefix_count``).
    prefix_count: Annotated[int, Field(ge=1)] = 1
    #: Tokens of a conversation's earlier turns each prompt carries after the shared prefix
    #: (``ServingScenario``'s ``history_tokens``); not part of the shared case format.
    history_tokens: Annotated[int, Field(ge=0)] = 0
    #: The mean pause (s) between a conversation's turns (``ServingScenario.think_time_s``).
    think_time_s: Annotated[float, Field(ge=0)] | None = None

    model_config = FrozenModel.model_config | {"populate_by_name": True}

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_spelling(cls, value: Any) -> Any:
        """The engine as its name is commonly written ("vLLM", "TensorRT-LLM", "llama-cpp")."""
        return engine_name(value) if isinstance(value, str) else value

    @property
    def architecture(self) -> ModelArchitecture | None:
        """The case's ``model_config`` as a :class:`ModelArchitecture`, if it has one."""
        return self.model_config_


class CalibrationCase(FrozenModel):
    """One measured scenario: identity, source, scenario and the measured metrics."""

    id: Annotated[str, Field(min_length=1)]
    source_key: str = ""
    source: str = ""
    source_url: str | None = None
    scenario: CaseScenario
    expected: dict[str, float] = Field(default_factory=dict)
    notes: tuple[str, ...] = ()
    constraints: dict[str, Any] | None = None
    conversions: dict[str, str] | None = None
    #: Scenario keys the case format does not define, left out when read ("scenario.x",
    #: "scenario.load.y"): a newer writer's additions, or a misspelt optional field.
    ignored_fields: tuple[str, ...] = ()

    def scored(self) -> ScoredCase:
        """The case as the calibration scorer reads it."""
        return ScoredCase(
            self.id, self.scenario.engine.value, self.scenario.load.kind, self.source_key,
            self.expected,
        )


def _attention_type(config: dict[str, Any], heads: int, kv_heads: int) -> AttentionType:
    if config.get("mla_kv_lora_rank"):
        return "mla"
    if kv_heads == 1:
        return "mqa"
    return "mha" if kv_heads == heads else "gqa"


def architecture_from_model_config(config: dict[str, Any]) -> ModelArchitecture:
    """Map calibration ``model_config`` keys (config.json names) to a :class:`ModelArchitecture`.

    Missing values follow the config conventions: ``head_dim = hidden / heads`` (128 for MLA),
    ``num_key_value_heads = num_attention_heads``, ``active = total`` for dense models,
    ``intermediate_size = 4 × hidden``. A ``sliding_window`` is taken to apply to every other
    layer, as in gemma-2 and gpt-oss (the models in the calibration set that have one).

    A whole Hugging Face ``config.json`` (a ``model_type`` and no ``total_params_b``) is read
    by :func:`~predeploy.core.hf_config.architecture_from_hf_config`, which counts the
    parameters itself.
    """
    if "total_params_b" not in config and config.get("model_type"):
        return architecture_from_hf_config(config)
    try:
        layers = int(config["num_hidden_layers"])
        hidden = int(config["hidden_size"])
        heads = int(config["num_attention_heads"])
        total = float(config["total_params_b"])
    except KeyError as exc:
        raise InputError(f"model_config lacks {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise InputError(f"model_config has a non-numeric value: {exc}") from None
    kv_heads = int(config.get("num_key_value_heads") or heads)
    mla_rank = config.get("mla_kv_lora_rank")
    head_dim = config.get("head_dim") or (MLA_HEAD_DIM if mla_rank else hidden // heads)
    experts = int(config.get("num_experts") or 0)
    window = int(config.get("sliding_window") or 0)
    max_ctx = int(config.get("max_position_embeddings") or DEFAULT_MAX_CONTEXT_TOKENS)
    use_window = 0 < window < max_ctx
    values: dict[str, Any] = {
        "num_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "num_kv_heads": kv_heads,
        "head_dim": int(head_dim),
        "intermediate_size": int(config.get("intermediate_size") or 4 * hidden),
        "vocab_size": int(config.get("vocab_size") or 32000),
        "total_params_b": total,
        "active_params_b": float(config.get("active_params_b") or total),
        "max_context_tokens": max_ctx,
        "attention_type": _attention_type(config, heads, kv_heads),
        "num_experts": experts,
        "experts_per_token": int(config.get("experts_per_tok") or 0) if experts else 0,
        "n_shared_experts": int(config.get("n_shared_experts") or 0),
        "moe_intermediate_size": config.get("moe_intermediate_size"),
        "mla_kv_lora_rank": mla_rank,
        "sliding_window": window if use_window else None,
        "sliding_window_layers": layers // 2 if use_window else 0,
    }
    try:
        return ModelArchitecture(**values)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, "model_config")) from None


def _field_names(model: type[FrozenModel]) -> frozenset[str]:
    return frozenset(f.alias or name for name, f in model.model_fields.items())


_SCENARIO_FIELDS = _field_names(CaseScenario)
_LOAD_FIELDS = _field_names(LoadDescription)


def _without_unknown_fields(scenario: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``scenario`` without the keys the case format does not define (in it and in its
    ``load``), and their names."""
    ignored = [f"scenario.{k}" for k in scenario if k not in _SCENARIO_FIELDS]
    kept = {k: v for k, v in scenario.items() if k in _SCENARIO_FIELDS}
    load = kept.get("load")
    if isinstance(load, dict):
        ignored += [f"scenario.load.{k}" for k in load if k not in _LOAD_FIELDS]
        kept["load"] = {k: v for k, v in load.items() if k in _LOAD_FIELDS}
    return kept, tuple(ignored)


def parse_case(obj: dict[str, Any], *, ignore_unknown: bool = False) -> CalibrationCase:
    """A calibration case from its JSON object; one clear :class:`InputError` when invalid.
    A scenario key the format does not define is an error, or with ``ignore_unknown`` left
    out and named in :attr:`CalibrationCase.ignored_fields` (prediction: a file from a newer
    writer still predicts; an import into the knowledge base stays strict)."""
    if not isinstance(obj, dict):
        raise InputError("a case must be a JSON object")
    case_id = obj.get("id")
    where = f"case {case_id!r}" if case_id else "case"
    scenario = obj.get("scenario")
    if not isinstance(scenario, dict):
        raise InputError(f"{where}: 'scenario' is missing or not an object")
    scenario, ignored = _without_unknown_fields(scenario) if ignore_unknown else (scenario, ())
    scenario = dict(scenario)
    config = scenario.get("model_config")
    if isinstance(config, dict):
        try:
            scenario["model_config"] = architecture_from_model_config(config)
        except InputError as exc:
            raise InputError(f"{where}: scenario.{exc}") from None
    data = {k: obj[k] for k in CalibrationCase.model_fields if k in obj}
    data["scenario"] = scenario
    data["ignored_fields"] = ignored
    if "expected" in data and isinstance(data["expected"], dict):
        data["expected"] = {k: v for k, v in data["expected"].items() if isinstance(v, int | float)}
    if isinstance(data.get("notes"), list):
        data["notes"] = tuple(str(n) for n in data["notes"])
    try:
        return CalibrationCase.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, where)) from None
