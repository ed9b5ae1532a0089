"""BenchmarkRecord JSON Lines import: validation of every line, canonical names, clear errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.kb import samples

from predeploy.kb.importers import source
from predeploy.kb.importers.benchmark_file import read_benchmark_file
from predeploy.kb.importers.canonical import NameResolver
from predeploy.kb.importers.problems import ImportFileError

MODELS = [samples.llama_8b(), samples.qwen_7b()]
GPUS = [samples.h100(), samples.l4()]
NAMES = NameResolver(MODELS, GPUS)


def _line(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = samples.benchmark().model_dump(mode="json")
    record.update(changes)
    return record


def _write(tmp_path: Path, lines: list[Any], name: str = "runs.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def test_valid_file_with_user_spelled_names(tmp_path: Path) -> None:
    path = _write(tmp_path, [
        _line(id="a", gpu="nvidia h100", model="llama 8b"),
        "",
        _line(id="b", gpu="L4"),
    ])
    parsed = read_benchmark_file(path, NAMES)
    assert [r.id for r in parsed.records] == ["a", "b"]
    assert parsed.records[0].gpu == "H100-SXM"
    assert parsed.records[0].model == "meta-llama/Llama-3.1-8B-Instruct"
    assert parsed.records[1] == samples.benchmark("b", gpu="L4")
    assert len(parsed.sha256) == 64


def test_unknown_names_can_be_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, [_line(model="tiiuae/falcon-180B", gpu="RTX-4090")])
    lenient = NameResolver(MODELS, GPUS, strict=False)
    record = read_benchmark_file(path, lenient).records[0]
    assert (record.model, record.gpu) == ("tiiuae/falcon-180B", "RTX-4090")


def _metrics(**metrics: Any) -> dict[str, Any]:
    return _line(metrics=metrics)


MALFORMED = [
    pytest.param(
        [_line(), _metrics(ttft_s_p50=0.05)],
        "runs.jsonl: line 2: metrics.ttft_s_p50: unknown metric 'ttft_s_p50'",
        id="bad-unit",
    ),
    pytest.param(
        [_line(ttft_ms=12.0)],
        "runs.jsonl: line 1: ttft_ms: Extra inputs are not permitted",
        id="wrong-field",
    ),
    pytest.param(
        [_line(), _line(id="c", gpu_count=0)],
        "runs.jsonl: line 2: gpu_count: Input should be greater than 0",
        id="bad-value",
    ),
    pytest.param(
        [_metrics(ttft_ms_p50="45 ms")],
        "runs.jsonl: line 1: metrics.ttft_ms_p50: Input should be a valid number",
        id="text-value",
    ),
    pytest.param(
        [_line(), _line()],
        "runs.jsonl: line 2: id: 'test/llama-8b/h100/c8' already appears on line 1",
        id="duplicate",
    ),
    pytest.param(
        [_line(gpu="H10")],
        "runs.jsonl: line 1: gpu: unknown GPU 'H10'; did you mean",
        id="unknown-gpu",
    ),
    pytest.param(
        [_line(model="meta-llama/Llama-3.1-8B-Instrct")],
        "runs.jsonl: line 1: model: unknown model 'meta-llama/Llama-3.1-8B-Instrct'; did you "
        "mean 'meta-llama/Llama-3.1-8B-Instruct'",
        id="unknown-model",
    ),
    pytest.param(
        [_line(), json.dumps(_line(id="z"))[:-9]],
        "runs.jsonl: line 2: invalid JSON at column",
        id="truncated",
    ),
    pytest.param(["[1, 2]"], "runs.jsonl: expected JSON Lines", id="array"),
    pytest.param(["", "  "], "runs.jsonl: the file holds no records", id="empty"),
    pytest.param(['"text"'], "runs.jsonl: line 1: expected a JSON object, got str", id="scalar"),
]


@pytest.mark.parametrize(("lines", "message"), MALFORMED)
def test_malformed_files_name_file_line_and_field(
    tmp_path: Path, lines: list[Any], message: str
) -> None:
    with pytest.raises(ImportFileError) as caught:
        read_benchmark_file(_write(tmp_path, lines), NAMES)
    assert str(caught.value).startswith(message), str(caught.value)


def test_truncation_is_called_out(tmp_path: Path) -> None:
    path = _write(tmp_path, [_line(), json.dumps(_line(id="z"))[:-9]])
    with pytest.raises(ImportFileError, match=r"truncated file\?\)$"):
        read_benchmark_file(path, NAMES)


def test_oversized_and_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, [_line()])
    monkeypatch.setattr(source, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportFileError, match=r"runs\.jsonl: larger than the limit of 100 bytes"):
        read_benchmark_file(path, NAMES)
    with pytest.raises(ImportFileError, match="cannot read the file: Is a directory"):
        read_benchmark_file(tmp_path, NAMES)
