"""Pure readers of the knowledge-base facts shipped in ``predeploy/data/``.

Each reader parses one file (YAML for hand-curated facts, CSV for prices and quality scores,
JSON Lines for benchmarks), validates every entry into the core pydantic types and returns them.
A bad entry raises :class:`SeedDataError` naming the file, the entry (id or line) and the field,
so a broken data file is never half-read. :func:`seed_catalog` bundles everything into an
:class:`~predeploy.core.catalog.InMemoryCatalog` (cached per data directory).
"""

from __future__ import annotations

import csv
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from predeploy.core.catalog import InMemoryCatalog
from predeploy.core.errors import InputError
from predeploy.core.types import (
    BenchmarkRecord,
    DeploymentTemplate,
    GpuSpec,
    ModelCard,
    PriceQuote,
    QualityScore,
    SloTemplate,
)

#: The package's own data directory (``src/predeploy/data``).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"

MODELS_FILE = "models.yaml"
QUALITY_FILE = "quality.csv"
GPUS_FILE = "gpus.yaml"
PRICES_FILE = "prices.csv"
SLO_TEMPLATES_FILE = "slo_templates.yaml"
DEPLOYMENT_TEMPLATES_FILE = "deployment_templates.yaml"
BENCHMARKS_DIR = "benchmarks"

T = TypeVar("T", bound=BaseModel)

#: The safe YAML loader, in C (libyaml, ~7× faster on models.yaml) when PyYAML was built with it.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SeedDataError(InputError):
    """A data file that cannot be read or has an invalid entry."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        self.path = path
        self.entry = entry
        self.problem = problem
        super().__init__(f"{path}: {entry}: {problem}")


def _dir(data_dir: Path | None) -> Path:
    return DEFAULT_DATA_DIR if data_dir is None else Path(data_dir)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedDataError(path, "(file)", f"cannot read: {exc.strerror or exc}") from exc


def _load_yaml_list(path: Path, key: str) -> list[Any]:
    """The list under top-level ``key`` of a YAML file."""
    try:
        doc = yaml.load(_read_text(path), Loader=_YAML_LOADER)  # a safe loader: plain data only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise SeedDataError(path, where, f"invalid YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise SeedDataError(path, "(file)", f"expected a top-level '{key}:' list")
    items: list[Any] = doc[key]
    return items


def _entry_label(raw: Any, index: int, id_field: str) -> str:
    if isinstance(raw, dict) and raw.get(id_field):
        return f"entry {raw[id_field]!r} (#{index + 1})"
    return f"entry #{index + 1}"


def _problem(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False):
        field = ".".join(str(p) for p in item["loc"]) or "(entry)"
        lines.append(f"field {field}: {item['msg']}")
    return "; ".join(lines)


def _validate(model: type[T], raw: Any, path: Path, label: str) -> T:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise SeedDataError(path, label, _problem(exc)) from exc


def _validate_yaml_entries(
    model: type[T], path: Path, key: str, id_field: str, prepare: Callable[[Any], Any] = lambda r: r
) -> list[T]:
    out: list[T] = []
    seen: set[str] = set()
    for i, raw in enumerate(_load_yaml_list(path, key)):
        label = _entry_label(raw, i, id_field)
        item = _validate(model, prepare(raw), path, label)
        ident = str(getattr(item, id_field))
        if ident in seen:
            raise SeedDataError(path, label, f"field {id_field}: duplicate {id_field} {ident!r}")
        seen.add(ident)
        out.append(item)
    return out


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; empty cells become absent keys."""
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        clean = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        yield reader.line_num, clean


# ---------------------------------------------------------------- models and quality
def _quality_scores(path: Path) -> dict[str, list[QualityScore]]:
    by_model: dict[str, list[QualityScore]] = {}
    for line, row in _csv_rows(path):
        raw = {
            "task": row.get("task"),
            "scale": row.get("scale"),
            "score": row.get("score"),
            "benchmark": row.get("benchmark"),
            "provenance": {k: row[k] for k in ("source", "kind", "date", "url", "notes")
                           if k in row},
        }
        score = _validate(QualityScore, raw, path, f"line {line}")
        if "model_id" not in row:
            raise SeedDataError(path, f"line {line}", "field model_id: missing")
        by_model.setdefault(row["model_id"], []).append(score)
    return by_model


def read_models(data_dir: Path | None = None) -> list[ModelCard]:
    """The model catalog (``models.yaml``) with quality scores merged in from ``quality.csv``."""
    base = _dir(data_dir)
    quality_path = base / QUALITY_FILE
    quality = _quality_scores(quality_path) if quality_path.exists() else {}

    def with_quality(raw: Any) -> Any:
        if isinstance(raw, dict) and "quality" not in raw:
            return {**raw, "quality": quality.get(str(raw.get("id")), [])}
        return raw

    models = _validate_yaml_entries(ModelCard, base / MODELS_FILE, "models", "id", with_quality)
    unknown = sorted(set(quality) - {m.id for m in models})
    if unknown:
        raise SeedDataError(quality_path, "model_id", f"not in {MODELS_FILE}: {unknown}")
    return models


# ---------------------------------------------------------------- hardware and prices
def read_gpus(data_dir: Path | None = None) -> list[GpuSpec]:
    """Accelerator hardware profiles (``gpus.yaml``)."""
    return _validate_yaml_entries(GpuSpec, _dir(data_dir) / GPUS_FILE, "gpus", "name")


_PRICE_FIELDS = ("gpu", "provider", "instance_type", "region", "region_class", "gpu_count",
                 "usd_per_gpu_hour_on_demand", "usd_per_gpu_hour_spot")


def read_prices(data_dir: Path | None = None) -> list[PriceQuote]:
    """GPU price quotes (``prices.csv``), one per provider, instance type and region."""
    path = _dir(data_dir) / PRICES_FILE
    out: list[PriceQuote] = []
    for line, row in _csv_rows(path):
        raw: dict[str, Any] = {k: row[k] for k in _PRICE_FIELDS if k in row}
        raw.setdefault("usd_per_gpu_hour_on_demand", None)
        raw["provenance"] = {
            "source": row.get("source"),
            "kind": row.get("kind"),
            "date": row.get("effective_date"),
            "url": row.get("url"),
            "notes": row.get("notes"),
        }
        out.append(_validate(PriceQuote, raw, path, f"line {line}"))
    return out


# ---------------------------------------------------------------- templates
def read_slo_templates(data_dir: Path | None = None) -> list[SloTemplate]:
    """The ten use-case SLO templates (``slo_templates.yaml``)."""
    return _validate_yaml_entries(
        SloTemplate, _dir(data_dir) / SLO_TEMPLATES_FILE, "templates", "id"
    )


def read_deployment_templates(data_dir: Path | None = None) -> list[DeploymentTemplate]:
    """Named serving patterns (``deployment_templates.yaml``)."""
    return _validate_yaml_entries(
        DeploymentTemplate, _dir(data_dir) / DEPLOYMENT_TEMPLATES_FILE, "templates", "id"
    )


# ---------------------------------------------------------------- benchmarks
def _jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    for number, text in enumerate(_read_text(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            raise SeedDataError(path, f"line {number}", f"invalid JSON: {exc.msg}") from exc


def read_benchmarks(data_dir: Path | None = None) -> list[BenchmarkRecord]:
    """Measured benchmark records from ``benchmarks/*.jsonl`` (empty when there are none)."""
    folder = _dir(data_dir) / BENCHMARKS_DIR
    if not folder.is_dir():
        return []
    out: list[BenchmarkRecord] = []
    seen: set[str] = set()
    for path in sorted(folder.glob("*.jsonl")):
        for number, raw in _jsonl(path):
            record = _validate(BenchmarkRecord, raw, path, _entry_label(raw, number - 1, "id"))
            if record.id in seen:
                raise SeedDataError(path, f"line {number}", f"field id: duplicate {record.id!r}")
            seen.add(record.id)
            out.append(record)
    return out


# ---------------------------------------------------------------- everything
def seed_files_sha256(data_dir: Path | None = None) -> str:
    """SHA-256 over the name and bytes of every file the readers above read.

    ``kb init`` records it; a knowledge base recording another digest was seeded from other
    package data (an older or newer predeploy). Reading the bytes (a few MB) takes milliseconds,
    parsing them a quarter of a second, so this is the cheap staleness check.
    """
    folder = _dir(data_dir)
    names = (MODELS_FILE, QUALITY_FILE, GPUS_FILE, PRICES_FILE, SLO_TEMPLATES_FILE,
             DEPLOYMENT_TEMPLATES_FILE)
    paths = [folder / name for name in names]
    paths += sorted((folder / BENCHMARKS_DIR).glob("*.jsonl"))
    digest = hashlib.sha256()
    for path in paths:
        if path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
            digest.update(f"{path.relative_to(folder).as_posix()}\0{content}\n".encode())
    return digest.hexdigest()


def seed_catalog(data_dir: Path | None = None) -> InMemoryCatalog:
    """An in-memory catalog over all shipped facts (cached per data directory)."""
    return _seed_catalog(_dir(data_dir).resolve())


@functools.lru_cache(maxsize=8)
def _seed_catalog(data_dir: Path) -> InMemoryCatalog:
    return SeedCatalog(data_dir)


class SeedCatalog(InMemoryCatalog):
    """The shipped facts in memory; the benchmark records (thousands of lines, the one large
    collection, which planning and intent extraction never read) are read on first use."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            models=read_models(data_dir),
            gpus=read_gpus(data_dir),
            prices=read_prices(data_dir),
            slo_templates=read_slo_templates(data_dir),
            deployment_templates=read_deployment_templates(data_dir),
        )
        self._data_dir = data_dir
        self._benchmarks_read = False

    def _all_benchmarks(self) -> Sequence[BenchmarkRecord]:
        if not self._benchmarks_read:
            self._benchmarks = tuple(read_benchmarks(self._data_dir))
            self._benchmarks_read = True
        return self._benchmarks
