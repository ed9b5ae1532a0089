"""Performance use cases: load the fitted parameters, predict one scenario or a case file.

``predeploy predict --input CASES.jsonl --output PREDICTIONS.jsonl`` is
:func:`predict_file`: one output line per input line, in order, every metric the engine
predicts for the case's load, the memory verdict, and an ``error`` (with empty metrics) for a
case that cannot be predicted. Deterministic; ``expected`` is never read.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from pydantic import ValidationError

from predeploy.core.benchmarks import (
    case_from_record,
    output_unknown,
    scenario_from_case,
    wants_single_stream,
)
from predeploy.core.calibration import MAX_ITERATIONS, FitReport, calibrate
from predeploy.core.calibration_problem import Measurement
from predeploy.core.cases import CalibrationCase, CaseScenario, parse_case
from predeploy.core.catalog import Catalog, InMemoryCatalog
from predeploy.core.checkpoints import served_architecture
from predeploy.core.efficiency import ParameterSet
from predeploy.core.engine_args import (
    expert_sharing_ranks,
    parse_engine_args,
    served_checkpoint,
)
from predeploy.core.engines import default_kv_cache_dtype
from predeploy.core.errors import InputError, PredeployError, describe_validation_error
from predeploy.core.fit_advice import FitAlternative, fitting_alternatives
from predeploy.core.hf_config import (
    architecture_from_hf_config,
    checkpoint_precision,
    model_id_for,
)
from predeploy.core.perf import PredictMode, contract_metrics, predict, predict_many
from predeploy.core.scoring import Score
from predeploy.core.types import (
    BenchmarkRecord,
    Engine,
    GpuSpec,
    Harness,
    KvCacheDtype,
    LoadSpec,
    MemoryFit,
    ModelArchitecture,
    PerfPrediction,
    Precision,
    Routing,
    ServingScenario,
    TokenDistribution,
    engine_name,
)
from predeploy.core.types.accuracy import PerfAccuracy
from predeploy.core.types.traffic import MAX_TOKENS_PER_REQUEST
from predeploy.core.validation import Split, validate
from predeploy.core.workload import prepare
from predeploy.services.perf_accuracy import load_accuracy, measure_accuracy, write_accuracy

_Choice = TypeVar("_Choice", bound=StrEnum)

#: The fitted parameters shipped with the package.
PARAMS_FILE = Path(__file__).resolve().parents[1] / "data" / "perf_params.json"


def load_parameters(path: Path | None = None) -> ParameterSet:
    """The fitted :class:`ParameterSet` (``data/perf_params.json``); neutral defaults when the
    file is absent (then every prediction says it rests on fallback parameters)."""
    target = PARAMS_FILE if path is None else Path(path)
    if not target.exists():
        if path is not None:
            raise InputError(f"{target}: parameter file not found")
        return ParameterSet()
    try:
        params = ParameterSet.model_validate_json(target.read_text(encoding="utf-8"))
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, str(target))) from None
    if path is None:  # the shipped parameters come with their held-out error bands
        params = params.model_copy(update={"accuracy": load_accuracy()})
    return params


def default_catalog() -> Catalog:
    """The knowledge-base catalog: the database when initialized, else the shipped seed files."""
    for module, function in (
        ("predeploy.services.knowledge", "open_catalog"),
        ("predeploy.kb.seed_files", "seed_catalog"),
    ):
        try:
            factory = getattr(importlib.import_module(module), function)
        except (ImportError, AttributeError):
            continue
        if function == "open_catalog":
            settings = importlib.import_module("predeploy.settings").load_settings()
            catalog: Catalog = factory(settings)
        else:
            catalog = factory()
        return catalog
    return InMemoryCatalog()


def predict_cases(
    objects: Sequence[dict[str, Any] | None],
    catalog: Catalog,
    params: ParameterSet,
    *,
    mode: PredictMode = "analytic",
    num_requests: int = 1000,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """One contract output object per input object (``None`` = an unreadable input line).

    ``analytic`` predicts all cases at once; ``simulate`` runs the discrete-event simulator per
    case (``num_requests`` requests unless the load states its own count; deterministic for a
    seed)."""
    results: list[dict[str, Any] | None] = [None] * len(objects)
    ready: list[tuple[int, str, ServingScenario, CaseScenario]] = []
    ignored: dict[int, tuple[str, ...]] = {}
    for i, obj in enumerate(objects):
        case_id = obj.get("id") if isinstance(obj, dict) else None
        try:
            if obj is None:
                raise InputError("line is not valid JSON")
            case = parse_case(_predicted_fields(obj), ignore_unknown=True)
            ready.append((i, case.id, scenario_from_case(case, catalog), case.scenario))
            ignored[i] = case.ignored_fields
        except PredeployError as exc:
            results[i] = {"id": case_id, "metrics": {}, "fits": None, "error": str(exc)}
    predictions = predict_many([r[2] for r in ready], params)
    notes: dict[int, str] = {}
    if mode == "simulate":
        for j, r in enumerate(ready):
            try:
                predictions[j] = predict(
                    r[2], params, mode="simulate", num_requests=num_requests, seed=seed
                )
            except (ValueError, PredeployError) as exc:
                notes[r[0]] = f"cannot simulate ({exc}); analytic prediction given"
    for (i, case_id, scenario, case_sc), prediction in zip(ready, predictions, strict=True):
        row: dict[str, Any] = {
            "id": case_id,
            "metrics": contract_metrics(
                scenario,
                prediction,
                single_stream=wants_single_stream(case_sc),
                ttft_only=output_unknown(case_sc),
            ),
            "fits": prediction.memory.fits,
        }
        if not prediction.memory.fits:
            row["error"] = prediction.memory.reason
        if i in notes:
            row["error"] = "; ".join(filter(None, (row.get("error"), notes[i])))
        if ignored.get(i):
            row["warnings"] = [f"{n} ignored: not a field of the case format" for n in ignored[i]]
        results[i] = row
    return [r for r in results if r is not None]


def _predicted_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """What a prediction reads of a case: its id, scenario and source key (the source names
    the benchmark client's endpoint, ``core.vllm_chat``); a source key that is not text is
    left out, not an error."""
    fields: dict[str, Any] = {k: obj[k] for k in ("id", "scenario", "source_key") if k in obj}
    if not isinstance(fields.get("source_key", ""), str):
        del fields["source_key"]
    return fields


def read_jsonl_objects(path: Path) -> list[dict[str, Any] | None]:
    """Each non-empty line of a JSON Lines file as an object (``None`` when unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    out: list[dict[str, Any] | None] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            out.append(None)
            continue
        out.append(obj if isinstance(obj, dict) else None)
    return out


class PredictFileSummary(NamedTuple):
    """What :func:`predict_file` wrote: predictions, those with an error, and those whose case
    had fields the format does not define (ignored, named in the row's ``warnings``)."""

    cases: int
    errors: int
    warned: int


def predict_file(
    input_path: Path,
    output_path: Path,
    *,
    catalog: Catalog | None = None,
    params: ParameterSet | None = None,
    mode: PredictMode = "analytic",
) -> PredictFileSummary:
    """Predict every case of ``input_path`` into ``output_path`` (written atomically)."""
    objects = read_jsonl_objects(Path(input_path))
    results = predict_cases(
        objects, catalog or default_catalog(), params or load_parameters(), mode=mode
    )
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in results)
    target = Path(output_path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}") from None
    return PredictFileSummary(
        cases=len(results),
        errors=sum(1 for r in results if r.get("error")),
        warned=sum(1 for r in results if r.get("warnings")),
    )


def predict_one(
    scenario: ServingScenario,
    params: ParameterSet | None = None,
    *,
    mode: PredictMode = "analytic",
    num_requests: int = 2000,
    seed: int = 0,
) -> PerfPrediction:
    """One scenario through the façade with the shipped parameters."""
    return predict(
        scenario, params or load_parameters(), mode=mode, num_requests=num_requests, seed=seed
    )


def memory_fit(scenario: ServingScenario) -> MemoryFit:
    """Does ``scenario`` fit in memory, as the prediction computes it (no latency)."""
    return prepare(scenario).memory


def fit_alternatives(
    scenario: ServingScenario, catalog: Catalog | None = None
) -> list[FitAlternative]:
    """Configurations one change away from a non-fitting ``scenario`` that fit: wider TP, a
    smaller weight format the model ships, an FP8 KV cache, other catalogued accelerators."""
    catalog = catalog or default_catalog()
    try:
        card = catalog.model(scenario.model_id)
    except PredeployError:
        card = None
    # A model described by its config.json only: the precision it was stated at.
    same = card is not None and card.architecture == scenario.model
    precisions = card.precisions if card is not None and same else (scenario.precision,)
    return fitting_alternatives(scenario, precisions, catalog.gpus())


def cases_from_lines(lines: Iterable[str]) -> list[CalibrationCase]:
    """Parse calibration cases (with ``expected``) from JSON lines; errors name the line."""
    out: list[CalibrationCase] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(parse_case(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"line {n}: invalid JSON ({exc.msg})") from None
        except InputError as exc:
            raise InputError(f"line {n}: {exc}") from None
    return out


#: The HTTP servers a scenario may be served by (``--server``): the engine's own
#: OpenAI-compatible one (``vllm serve``, SGLang's, ``trtllm-serve``), whose fitted front-end
#: time predictions assume, or NVIDIA Triton Inference Server (a C++ front end: the base
#: set-up's time per request, ``core.efficiency.OWN_FRONT_END``).
ENGINE_SERVER = "engine"
SERVERS: dict[str, Harness] = {ENGINE_SERVER: Harness.DEFAULT, "triton": Harness.TRITON}


def scenario_from_request(
    catalog: Catalog,
    *,
    model: str | None,
    gpu: str,
    model_config: Mapping[str, Any] | None = None,
    tp: int = 1,
    pp: int = 1,
    replicas: int = 1,
    precision: str | None = None,
    engine: str = "vllm",
    input_tokens: int = 512,
    output_tokens: int = 256,
    qps: float | None = None,
    concurrency: int | None = None,
    kv_cache_dtype: str | None = None,
    engine_args: str | None = None,
    input_stdev: float = 0.0,
    output_stdev: float = 0.0,
    arrival_cv: float = 1.0,
    burst: int | None = None,
    input_lengths: Sequence[int] | None = None,
    output_lengths: Sequence[int] | None = None,
    front_end_ms: float | None = None,
    num_prompts: int | None = None,
    server: str | None = None,
    shared_prefix_tokens: int = 0,
    prefix_count: int = 1,
    history_tokens: int = 0,
    think_time_s: float | None = None,
    routing: str = "random",
    conversation_turns: int | None = None,
    prefix_popularity: float = 0.0,
) -> ServingScenario:
    """A scenario from command-line style values: token lengths fixed, or lognormal with a
    stated standard deviation; one load: open-loop ``qps`` (Poisson, or gamma with
    ``arrival_cv``), a closed loop of ``concurrency``, a ``burst`` of prompts, else the
    saturated max-throughput load; ``num_prompts``, the run's length for any load but a burst
    (``vllm bench serve --num-prompts``: a finite run's throughput is its requests over its
    duration, a closed loop's first wave weighs in, and a closed loop of no more prompts than
    clients is a burst). ``engine_args``, the engine's command line, states
    settings that replace the engine's defaults; ``front_end_ms`` the time each request spends
    in front of the engine, instead of the fitted one; ``server`` the HTTP server in front of
    it (:data:`SERVERS`: the engine's own, or NVIDIA Triton's); ``shared_prefix_tokens`` the
    start every prompt shares (a system prompt: ``core.prefix_cache``), ``prefix_count``
    how many distinct such starts the requests spread over, ``history_tokens`` a
    conversation's earlier turns each prompt carries after it, ``think_time_s`` the mean
    pause between a conversation's turns (whether its history is still cached), ``routing``
    how a router picks among the ``replicas`` (:func:`parse_routing`),
    ``conversation_turns`` the turns per conversation the history comes from,
    ``prefix_popularity`` the Zipf exponent of the requests' spread over the prefixes. The
    model
    is the catalog's ``model``, or the one a Hugging Face ``model_config`` (config.json)
    describes, named ``model`` when given."""
    given = [n for n, v in (("qps", qps), ("concurrency", concurrency), ("burst", burst))
             if v is not None]
    if server is not None and server not in SERVERS:
        raise InputError(f"unknown server {server!r}; valid: {', '.join(SERVERS)}")
    if len(given) > 1:
        raise InputError(f"give one load, not {' and '.join(given)}")
    if arrival_cv != 1.0 and qps is None:
        raise InputError("an arrival CV describes open-loop arrivals: give it with qps")
    if num_prompts is not None and burst is not None:
        raise InputError("a burst's size is its number of prompts: give burst, not num_prompts")
    model_id, arch, native = _model(catalog, model, model_config)
    spec = catalog.gpu(gpu)
    eng = _choice(Engine, engine_name(engine) if engine else None, "engine") or Engine.VLLM
    stated = parse_engine_args(engine_args) if engine_args else None
    ranks = expert_sharing_ranks(eng, arch, stated)
    tp *= ranks
    prompt = (TokenDistribution.empirical(input_lengths) if input_lengths
              else _lengths(input_tokens, input_stdev))
    answer = (TokenDistribution.empirical(output_lengths) if output_lengths
              else _lengths(output_tokens, output_stdev))
    _check_layout(model_id, arch, spec, tp, pp, math.ceil(prompt.mean + answer.mean))
    prec = _choice(Precision, precision, "precision") or native
    if prec is None:
        method = (model_config or {}).get("quantization_config", {}).get("quant_method")
        raise InputError(
            f"config.json's quantization method {method!r} is not one predeploy recognises; "
            "state the weights' precision with --precision"
        )
    if qps is not None:
        load = (
            LoadSpec(kind="poisson", rate_rps=qps, num_prompts=num_prompts)
            if arrival_cv == 1.0
            else LoadSpec(kind="gamma", rate_rps=qps, cv=arrival_cv, num_prompts=num_prompts)
        )
    elif burst is not None:
        load = LoadSpec(kind="burst", num_prompts=burst)
    elif concurrency is not None:
        load = LoadSpec(kind="concurrency", concurrency=concurrency, num_prompts=num_prompts)
    else:
        load = LoadSpec(kind="max_throughput", num_prompts=num_prompts)
    checkpoint = served_checkpoint(engine_args) if engine_args else None
    if kv_cache_dtype:
        kv = _choice(KvCacheDtype, kv_cache_dtype, "KV-cache dtype") or KvCacheDtype.AUTO
    elif stated and stated.kv_cache_dtype:
        kv = stated.kv_cache_dtype
    else:
        kv = default_kv_cache_dtype(eng, prec, checkpoint)
    try:
        return ServingScenario(
            model_id=model_id,
            model=served_architecture(model_id, arch, prec, checkpoint),
            gpu=spec,
            precision=prec,
            tp=tp,
            pp=pp,
            replicas=replicas,
            engine=eng,
            kv_cache_dtype=kv,
            prompt_tokens=prompt,
            output_tokens=answer,
            load=load,
            engine_settings=stated,
            expert_parallel=ranks > 1,
            front_end_s=None if front_end_ms is None else front_end_ms / 1e3,
            harness=SERVERS[server or ENGINE_SERVER],
            shared_prefix_tokens=shared_prefix_tokens,
            prefix_count=prefix_count,
            prefix_popularity=prefix_popularity,
            history_tokens=history_tokens,
            think_time_s=think_time_s,
            routing=parse_routing(routing),
            conversation_turns=conversation_turns,
        )
    except ValidationError as exc:
        raise InputError(describe_validation_error(exc, "scenario")) from None


def parse_routing(value: str) -> Routing:
    """A router's policy as typed (``random``, ``prefix-aware`` or ``prefix_aware``);
    InputError naming the valid values otherwise."""
    try:
        return Routing.named(value)
    except ValueError:
        valid = ", ".join(r.value for r in Routing)
        raise InputError(f"unknown routing {value!r}; valid: {valid}") from None


def read_lengths(path: Path) -> tuple[int, ...]:
    """Token lengths observed, one per request: a JSON list, or integers separated by
    newlines, spaces or commas; InputError naming the file and the first bad value."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    stripped = text.strip()
    items: list[object]
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path} is not a JSON list: {exc.msg}") from None
        items = parsed if isinstance(parsed, list) else [parsed]
    else:
        items = [t for t in stripped.replace(",", " ").split() if t]
    out: list[int] = []
    for item in items:
        try:
            value = int(str(item))
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_TOKENS_PER_REQUEST:
            raise InputError(f"{path}: {item!r} is not a token length (a whole number, "
                             f"1 to {MAX_TOKENS_PER_REQUEST:,})")
        out.append(value)
    if not out:
        raise InputError(f"{path} holds no token lengths")
    return tuple(out)


def _lengths(mean: int, stdev: float) -> TokenDistribution:
    """Token lengths of ``mean``: fixed, or lognormal with ``stdev`` when it is positive."""
    if stdev <= 0:
        return TokenDistribution.fixed(mean)
    return TokenDistribution(kind="lognormal", mean=mean, stdev=stdev)


def _model(
    catalog: Catalog, model: str | None, config: Mapping[str, Any] | None
) -> tuple[str, ModelArchitecture, Precision | None]:
    """``(id, architecture, checkpoint precision)`` of the catalog's ``model``, or of the model
    a config.json describes (named ``model``, else its ``_name_or_path``)."""
    if config is None:
        if not model:
            raise InputError("name a catalog model, or give its config.json")
        card = catalog.model(model)
        return card.id, card.architecture, card.architecture.native_precision
    arch = architecture_from_hf_config(config)
    name = model_id_for(model or str(config.get("_name_or_path") or "") or "model")
    return name, arch, checkpoint_precision(config)


def _check_layout(
    name: str, arch: ModelArchitecture, gpu: GpuSpec, tp: int, pp: int, context_tokens: int
) -> None:
    """InputError when the engine could not serve ``arch`` this way: TP must divide the
    attention heads (vLLM, SGLang and TensorRT-LLM shard them evenly) and stay within one node
    (its all-reduces are priced on the node's GPU links), PP cannot exceed the layers, and a
    sequence must fit the model's context window."""
    heads, layers = arch.num_attention_heads, arch.num_layers
    if tp > gpu.gpus_per_node:
        raise InputError(
            f"TP {tp} spans more than one node of {gpu.gpus_per_node} {gpu.name}; tensor "
            "parallelism stays within a node's GPU links: use --pp for more GPUs per replica, "
            "or --replicas"
        )
    if heads % tp:
        raise InputError(
            f"TP {tp} does not divide {name}'s {heads} attention heads (the engines shard "
            "heads evenly across tensor-parallel GPUs)"
        )
    if pp > layers:
        raise InputError(f"PP {pp} exceeds {name}'s {layers} layers (one or more per stage)")
    if context_tokens > arch.max_context_tokens:
        raise InputError(
            f"{context_tokens:,} prompt + output tokens exceed {name}'s context window of "
            f"{arch.max_context_tokens:,} tokens"
        )


def _choice(kind: type[_Choice], value: str | None, what: str) -> _Choice | None:
    """``value`` as a member of ``kind`` (``None`` when not given); InputError naming the
    valid values otherwise."""
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        valid = ", ".join(m.value for m in kind)
        raise InputError(f"unknown {what} {value!r}; valid: {valid}") from None


def read_benchmark_records(data_dir: Path | None = None) -> list[BenchmarkRecord]:
    """The shipped benchmark records (``data/benchmarks/*.jsonl``), via the knowledge-base
    reader when present; each bad line is an error naming file and line."""
    try:
        reader = importlib.import_module("predeploy.kb.seed_files").read_benchmarks
    except (ImportError, AttributeError):
        reader = None
    if reader is not None:
        records: list[BenchmarkRecord] = reader(data_dir) if data_dir else reader()
        return records
    base = (Path(data_dir) if data_dir else PARAMS_FILE.parent) / "benchmarks"
    out: list[BenchmarkRecord] = []
    for path in sorted(base.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(BenchmarkRecord.model_validate_json(line))
            except ValidationError as exc:
                raise InputError(describe_validation_error(exc, f"{path}:{n}")) from None
    return out


def measurements_from_records(
    records: Iterable[BenchmarkRecord], catalog: Catalog
) -> tuple[list[Measurement], list[str]]:
    """Records as calibration measurements; records that cannot be predicted (unknown model
    or GPU, unknown lengths) are skipped and reported as ``id: reason``."""
    return measurements_from_cases((case_from_record(r) for r in records), catalog)


def measurements_from_cases(
    cases: Iterable[CalibrationCase], catalog: Catalog
) -> tuple[list[Measurement], list[str]]:
    """Calibration cases as measurements; cases that cannot be predicted (unknown model or
    GPU, unknown lengths) are skipped and reported as ``id: reason``."""
    out: list[Measurement] = []
    skipped: list[str] = []
    for case in cases:
        try:
            scenario = scenario_from_case(case, catalog)
        except PredeployError as exc:
            skipped.append(f"{case.id}: {exc}")
            continue
        out.append(
            Measurement(
                scenario=scenario,
                metrics=dict(case.expected),
                source_key=case.source_key,
                id=case.id,
                load_kind=case.scenario.load.kind,
                single_stream=wants_single_stream(case.scenario),
                ttft_only=output_unknown(case.scenario),
            )
        )
    return out, skipped


#: Sources whose measurements the shipped validation report scores (the public calibration
#: set); AIConfigurator rows take part in every fit but are scored separately.
VALIDATION_SOURCE = "aiconfigurator-silicon"


def fit_parameters(
    *,
    catalog: Catalog | None = None,
    records: Sequence[BenchmarkRecord] | None = None,
    output: Path | None = None,
    fitted_date: dt.date | None = None,
    max_iterations: int = MAX_ITERATIONS,
) -> tuple[ParameterSet, FitReport, list[str]]:
    """Fit the efficiency parameters on the knowledge base's benchmark records and write them
    (``data/perf_params.json`` unless ``output``). Returns the set, the fit report and the
    records that could not be used (``id: reason``)."""
    catalog = catalog or default_catalog()
    records = list(records if records is not None else read_benchmark_records())
    measurements, skipped = measurements_from_records(records, catalog)
    if not measurements:
        raise InputError("no usable benchmark records to fit on")
    sources = Counter(m.source_key for m in measurements)
    described = ", ".join(f"{k} ({n})" for k, n in sorted(sources.items()))
    params, report = calibrate(
        measurements,
        fitted_on=f"{len(measurements)} measured scenarios from {described}",
        fitted_date=fitted_date or dt.date.today(),
        max_iterations=max_iterations,
    )
    target = PARAMS_FILE if output is None else Path(output)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(params.model_dump_json(indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)
    return params, report, skipped


def validation_inputs(
    *,
    catalog: Catalog | None = None,
    records: Sequence[BenchmarkRecord] | None = None,
    include_aiconfigurator: bool = False,
) -> tuple[list[Measurement], set[str]]:
    """Every usable benchmark record as a measurement, and the sources validation scores
    (the public calibration sources; AIConfigurator's rows only when asked)."""
    catalog = catalog or default_catalog()
    records = list(records if records is not None else read_benchmark_records())
    measurements, _ = measurements_from_records(records, catalog)
    sources = {m.source_key for m in measurements}
    if not include_aiconfigurator:
        sources.discard(VALIDATION_SOURCE)
    return measurements, sources


def validate_parameters(
    split: Split,
    *,
    catalog: Catalog | None = None,
    records: Sequence[BenchmarkRecord] | None = None,
    include_aiconfigurator: bool = False,
    max_iterations: int = MAX_ITERATIONS,
    progress: Callable[[str], None] | None = None,
) -> Score:
    """Held-out accuracy: fit without each source (``split='source'``) or accelerator
    (``'gpu'``), predict what was held out, score it like ../shared/calibration/score_perf.py."""
    measurements, sources = validation_inputs(
        catalog=catalog, records=records, include_aiconfigurator=include_aiconfigurator
    )
    return validate(
        measurements,
        split,
        score_sources=sources,
        max_iterations=max_iterations,
        progress=progress,
    )


def rebuild_accuracy(
    *,
    output: Path | None = None,
    records: Sequence[BenchmarkRecord] | None = None,
    max_iterations: int = MAX_ITERATIONS,
    progress: Callable[[str], None] | None = None,
) -> tuple[PerfAccuracy, Path]:
    """Measure the held-out error bands on the knowledge base's records (or ``records``) and
    write them (``data/perf_accuracy.json`` unless ``output``): about twenty fits, minutes."""
    measurements, sources = validation_inputs(records=records)
    accuracy = measure_accuracy(
        measurements, score_sources=sources, max_iterations=max_iterations, progress=progress
    )
    return accuracy, write_accuracy(accuracy, output)
