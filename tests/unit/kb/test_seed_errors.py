"""A malformed data file fails with one error naming the file, the entry and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from predeploy.kb.seed_files import (
    DEFAULT_DATA_DIR,
    SeedDataError,
    read_benchmarks,
    read_gpus,
    read_models,
    read_prices,
    read_slo_templates,
)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_bad_model_field_names_file_entry_and_field(data_copy: Path) -> None:
    _replace(data_copy / "models.yaml", "    num_layers: 32\n", "    num_layers: -32\n")
    with pytest.raises(SeedDataError) as err:
        read_models(data_copy)
    message = str(err.value)
    assert "models.yaml" in message
    assert "meta-llama/Llama-2-7b-chat-hf" in message
    assert "architecture.num_layers" in message


def test_unknown_key_is_an_error(data_copy: Path) -> None:
    _replace(data_copy / "gpus.yaml", "  memory_gb: 24\n", "  memory_gb: 24\n  memroy_gb: 24\n")
    with pytest.raises(SeedDataError) as err:
        read_gpus(data_copy)
    assert "gpus.yaml" in str(err.value) and "'L4'" in str(err.value)
    assert "memroy_gb" in str(err.value)


def test_bad_price_names_line_and_field(data_copy: Path) -> None:
    path = data_copy / "prices.csv"
    lines = path.read_text().splitlines()
    fields = lines[1].split(",")
    fields[5] = "two"  # gpu_count
    lines[1] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SeedDataError) as err:
        read_prices(data_copy)
    assert "prices.csv" in str(err.value) and "line 2" in str(err.value)
    assert "gpu_count" in str(err.value)


def test_duplicate_id_is_an_error(data_copy: Path) -> None:
    _replace(data_copy / "slo_templates.yaml", "- id: customer_service", "- id: chatbot")
    with pytest.raises(SeedDataError, match="duplicate id 'chatbot'"):
        read_slo_templates(data_copy)


def test_invalid_yaml_names_the_line(data_copy: Path) -> None:
    (data_copy / "gpus.yaml").write_text("gpus:\n- name: [unclosed\n")
    with pytest.raises(SeedDataError, match=r"gpus\.yaml: line \d+: invalid YAML"):
        read_gpus(data_copy)


def test_missing_file_is_a_clear_error(data_copy: Path) -> None:
    (data_copy / "gpus.yaml").unlink()
    with pytest.raises(SeedDataError, match=r"gpus\.yaml: \(file\): cannot read"):
        read_gpus(data_copy)


def test_quality_for_unknown_model_is_an_error(data_copy: Path) -> None:
    with (data_copy / "quality.csv").open("a") as f:
        f.write("acme/nope,general,aa:gpqa,50,gpqa,measured,src,,,\n")
    with pytest.raises(SeedDataError, match="acme/nope"):
        read_models(data_copy)


def test_bad_benchmark_line(data_copy: Path) -> None:
    folder = data_copy / "benchmarks"
    folder.mkdir(exist_ok=True)
    (folder / "x.jsonl").write_text('{"id": "a"}\nnot json\n')
    with pytest.raises(SeedDataError) as err:
        read_benchmarks(data_copy)
    assert "x.jsonl" in str(err.value) and "'a'" in str(err.value)


def test_valid_benchmark_records_load(data_copy: Path) -> None:
    folder = data_copy / "benchmarks"
    if folder.exists():
        for shipped in folder.glob("*.jsonl"):
            shipped.unlink()
    folder.mkdir(exist_ok=True)
    record = (
        '{"id": "t/1", "model": "meta-llama/Llama-3.1-8B-Instruct", "gpu": "H100-SXM", '
        '"gpu_count": 1, "tp": 1, "precision": "fp8", "engine": "vllm", "input_tokens": 128, '
        '"output_tokens": 128, "load": {"kind": "max_throughput"}, '
        '"metrics": {"output_tokens_per_s": 1000.0}, "source_key": "t", '
        '"provenance": {"source": "test", "kind": "measured"}}'
    )
    (folder / "t.jsonl").write_text(record + "\n\n")
    records = read_benchmarks(data_copy)
    assert [r.id for r in records] == ["t/1"]
