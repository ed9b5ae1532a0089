"""GuideLLM report import: schema v1 and v2, strategies → loads, units, and clear errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from predeploy.kb.importers.guidellm import GuidellmRun, read_guidellm_report
from predeploy.kb.importers.problems import ImportFileError
from predeploy.kb.metric_names import parse_metric_name

DATA = Path(__file__).parent / "data"
V1_FIXTURE = DATA / "guidellm_v1_poisson.json"
RUN = GuidellmRun(model="meta-llama/Llama-3.1-8B-Instruct", gpu="H100-SXM")


@pytest.fixture
def v2_sample(shared_dir: Path) -> Path:
    return shared_dir / "ecosystem" / "guidellm_benchmarks_sample_v2_trimmed.json"


def test_v2_sample_sweep(v2_sample: Path) -> None:
    report = read_guidellm_report(v2_sample, RUN)
    assert (report.schema_version, report.guidellm_version) == (2, "0.8.1")
    assert report.skipped == ()
    sync, throughput, constant = report.records
    assert (sync.load.kind, sync.load.value) == ("concurrency", 1)
    assert (throughput.load.kind, throughput.load.value) == ("concurrency", 512)
    assert (constant.load.kind, constant.load.value, constant.load.arrival) == (
        "request_rate", 19.25, "constant",
    )
    raw = json.loads(v2_sample.read_text())["benchmarks"][0]["metrics"]
    ttft = raw["time_to_first_token_ms"]["successful"]
    latency = raw["request_latency"]["successful"]
    assert sync.metrics["ttft_ms_p50"] == ttft["percentiles"]["p50"]
    assert sync.metrics["ttft_ms_mean"] == ttft["mean"]
    assert sync.metrics["e2e_ms_p99"] == pytest.approx(latency["percentiles"]["p99"] * 1000)
    assert sync.metrics["requests_per_s"] == raw["requests_per_second"]["successful"]["mean"]
    # Every request produced 32 tokens, so GuideLLM's per-request ITL is exactly our TPOT.
    itl = raw["inter_token_latency_ms"]["successful"]
    assert sync.metrics["tpot_ms_p90"] == itl["percentiles"]["p90"]
    assert sync.metrics["itl_ms_mean"] == itl["mean"]
    assert not any(k.startswith("itl_ms_p") for k in sync.metrics)
    assert sync.output_tokens == 32 and sync.dataset == "fixed"
    for record in report.records:
        assert record.id.startswith("guidellm/")
        assert record.provenance.kind.value == "measured"
        assert "GuideLLM 0.8.1" in record.provenance.source
        assert "request_latency (s) × 1000" in (record.provenance.notes or "")
        assert record.source_key == "guidellm:guidellm_benchmarks_sample_v2_trimmed"
        for name in record.metrics:
            parse_metric_name(name)  # every metric is in the vocabulary


def test_v1_report_with_varying_lengths() -> None:
    report = read_guidellm_report(V1_FIXTURE, RUN)
    assert (report.schema_version, report.guidellm_version) == (1, "0.5.3")
    assert report.skipped == ("benchmarks[2] (poisson): no successful requests",)
    low, high = report.records
    assert (low.load.kind, low.load.value, low.load.arrival) == ("request_rate", 2.5, "poisson")
    assert high.load.value == 5.0
    assert low.dataset == "other"  # prompt/output stdev given
    assert not any(name.startswith("tpot") for name in low.metrics)  # lengths vary
    assert "served model 'meta-llama/Llama-3.1-8B-Instruct'" in (low.provenance.notes or "")
    assert low.provenance.date is not None and low.provenance.date.isoformat() == "2026-01-01"


def test_yaml_reports_read_like_json(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(json.loads(V1_FIXTURE.read_text())))
    from_yaml = read_guidellm_report(path, RUN.model_copy(update={"source_key": "k"}))
    from_json = read_guidellm_report(V1_FIXTURE, RUN.model_copy(update={"source_key": "k"}))
    assert [r.metrics for r in from_yaml.records] == [r.metrics for r in from_json.records]


def test_setup_comes_from_the_run() -> None:
    run = GuidellmRun(
        model="m/x", gpu="L4", gpu_count=4, pp=2, precision="fp8", engine="sglang",
        engine_version="0.5.2", dataset="sharegpt", source_key="lab-run-7",
    )
    record = read_guidellm_report(V1_FIXTURE, run).records[0]
    assert (record.gpu, record.gpu_count, record.tp, record.pp) == ("L4", 4, 2, 2)
    assert (record.precision, record.engine, record.engine_version) == ("fp8", "sglang", "0.5.2")
    assert (record.dataset, record.source_key) == ("sharegpt", "lab-run-7")


def _write(tmp_path: Path, data: Any, name: str = "bad.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _v1() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(V1_FIXTURE.read_text())
    return data


def _edit(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_v1())
    change(data)
    return data


def _metrics(data: dict[str, Any], index: int = 1) -> dict[str, Any]:
    metrics: dict[str, Any] = data["benchmarks"][index]["metrics"]
    return metrics


MALFORMED = [
    pytest.param(
        lambda d: _metrics(d)["time_to_first_token_ms"]["successful"]["percentiles"].update(
            p99="139 ms"
        ),
        "bad.json: benchmarks[1]: metrics.time_to_first_token_ms.successful.percentiles.p99: "
        "expected a number, got the text '139 ms'",
        id="bad-unit",
    ),
    pytest.param(
        lambda d: _metrics(d).update(ttft_ms=_metrics(d).pop("time_to_first_token_ms")),
        "bad.json: benchmarks[1]: metrics.time_to_first_token_ms: missing",
        id="wrong-field",
    ),
    pytest.param(
        lambda d: _metrics(d, 0)["request_latency"]["successful"].update(mean=-1.0),
        "bad.json: benchmarks[0]: metrics.request_latency.successful.mean: expected a finite "
        "non-negative number, got -1.0",
        id="negative",
    ),
    pytest.param(
        lambda d: d["metadata"].update(version=3),
        "bad.json: metadata.version: unsupported report schema version 3",
        id="version",
    ),
    pytest.param(
        lambda d: d["benchmarks"][0]["config"]["strategy"].update(type_="trace"),
        "bad.json: benchmarks[0]: config.strategy.type_: unsupported strategy 'trace' "
        "(supported: synchronous, concurrent, throughput, constant, poisson)",
        id="strategy",
    ),
    pytest.param(
        lambda d: d["benchmarks"][1]["config"]["strategy"].pop("rate"),
        "bad.json: benchmarks[1]: config.strategy.rate: missing",
        id="no-rate",
    ),
    pytest.param(
        lambda d: d.update(benchmarks=[]),
        "bad.json: benchmarks: the report has no benchmarks",
        id="empty",
    ),
    pytest.param(
        lambda d: d.update(benchmarks={"0": {}}),
        "bad.json: benchmarks: expected a list, got dict",
        id="not-a-list",
    ),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_malformed_reports_name_file_record_and_field(
    tmp_path: Path, change: Any, message: str
) -> None:
    path = _write(tmp_path, _edit(change))
    with pytest.raises(ImportFileError) as caught:
        read_guidellm_report(path, RUN)
    assert str(caught.value).startswith(message)


def test_truncated_report(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    text = V1_FIXTURE.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ImportFileError, match=r"^cut\.json: line 1, column \d+: invalid JSON "
                       r"\(.*\); the file ends early \(truncated\?\)$"):
        read_guidellm_report(path, RUN)


def test_not_a_report(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"^x\.json: expected a GuideLLM report object"):
        read_guidellm_report(_write(tmp_path, [1, 2], "x.json"), RUN)
    with pytest.raises(ImportFileError, match=r"^missing\.json: cannot read the file"):
        read_guidellm_report(tmp_path / "missing.json", RUN)


def test_reports_before_schema_versions_read_like_v1(tmp_path: Path) -> None:
    """GuideLLM 0.4 wrote ``args`` and ``benchmarks`` without ``metadata``."""
    data = _v1()
    del data["metadata"]
    report = read_guidellm_report(_write(tmp_path, data, "old.json"), RUN)
    assert report.schema_version is None and report.guidellm_version is None
    assert len(report.records) == 2
    assert "GuideLLM (version not recorded)" in report.records[0].provenance.source


def _with_prefix_buckets(v2_sample: Path, buckets: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(v2_sample.read_text())
    data["config"]["spec"]["data"][0]["prefix_buckets"] = buckets
    return data


def test_prefix_buckets_become_the_prompts_shared_prefix(
    v2_sample: Path, tmp_path: Path
) -> None:
    """GuideLLM's shared prefixes are cache hits: each record keeps the prefix, and prompt
    lengths that leave it out (the sample's 64-token prompts) have it added."""
    buckets = [{"prefix_tokens": 1024, "prefix_count": 4, "bucket_weight": 3},
               {"prefix_tokens": 512, "prefix_count": 2, "bucket_weight": 1}]
    path = _write(tmp_path, _with_prefix_buckets(v2_sample, buckets), "prefixed.json")
    report = read_guidellm_report(path, RUN)
    plain = read_guidellm_report(v2_sample, RUN)
    for record, before in zip(report.records, plain.records, strict=True):
        assert record.shared_prefix_tokens == 896  # (3 × 1,024 + 512) / 4
        assert record.input_tokens == (before.input_tokens or 0) + 896
        notes = record.provenance.notes or ""
        assert "2 bucket(s), 6 distinct prefix(es)" in notes
        assert "leaves out" in notes
        # Three in four requests over 4 prefixes, one in four over 2: a request's prefix is
        # asked for as often as one of 1 / (0.75²/4 + 0.25²/2) = 5.8 prefixes evenly used.
        assert record.prefix_count == 6
        assert "read as 6 prefixes, evenly used, of their weighted mean length" in notes
    assert all(r.shared_prefix_tokens == 0 and r.prefix_count == 1 for r in plain.records)
    single = _with_prefix_buckets(v2_sample, [{"prefix_tokens": 512, "prefix_count": 1}])
    one = read_guidellm_report(_write(tmp_path, single, "single.json"), RUN).records[0]
    assert one.prefix_count == 1 and "read as one prefix" in (one.provenance.notes or "")


def test_malformed_prefix_buckets_are_named(v2_sample: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, _with_prefix_buckets(v2_sample, [{"prefix_tokens": "long"}]))
    with pytest.raises(ImportFileError,
                       match=r"config\.spec\.data\[0\]\.prefix_buckets\.prefix_tokens: "
                             "expected a number >= 0, got the text 'long'"):
        read_guidellm_report(path, RUN)
