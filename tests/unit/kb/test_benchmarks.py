"""Benchmark repository: one transaction per batch, queries, counts with provenance."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.unit.kb import samples

from predeploy.core.errors import InputError
from predeploy.core.types import BenchmarkClient, BenchmarkRecord, FactKind
from predeploy.kb.benchmarks import BenchmarkRepository, SourceCount
from predeploy.kb.tables import BenchmarkMetricRow


def _add(engine: Engine, records: list[BenchmarkRecord]) -> None:
    with Session(engine) as session, session.begin():
        BenchmarkRepository(session).add_many(records)


def test_records_round_trip_exactly(kb_engine: Engine) -> None:
    records = list(samples.seed_data().benchmarks)
    _add(kb_engine, records)
    with Session(kb_engine) as session:
        stored = BenchmarkRepository(session).query()
    assert stored == sorted(records, key=lambda r: r.id)


def test_query_by_model_gpu_and_source(kb_engine: Engine) -> None:
    records = [
        *samples.seed_data().benchmarks,
        samples.benchmark("other/llama-8b/h100", source_key="other-source"),
    ]
    _add(kb_engine, records)
    with Session(kb_engine) as session:
        repo = BenchmarkRepository(session)
        h100 = repo.query(model="meta-llama/Llama-3.1-8B-Instruct", gpu="H100-SXM")
        assert [r.id for r in h100] == ["other/llama-8b/h100", "test/llama-8b/h100/c8"]
        assert [r.id for r in repo.query(gpu="L4")] == ["test/llama-8b/l4/c8"]
        assert [r.id for r in repo.query(source_key="other-source")] == ["other/llama-8b/h100"]
        assert repo.query(model="nope/nothing") == []
        assert repo.counts_by_source() == [
            SourceCount(source_key="test-fixture", scenarios=3, metric_values=8),
            SourceCount(source_key="other-source", scenarios=1, metric_values=4),
        ]


def test_every_metric_value_row_carries_provenance_and_unit(kb_engine: Engine) -> None:
    _add(kb_engine, list(samples.seed_data().benchmarks))
    with Session(kb_engine) as session:
        rows = session.scalars(select(BenchmarkMetricRow)).all()
        assert len(rows) == 8
        assert BenchmarkRepository(session).count_metric_values(FactKind.MEASURED) == 8
        by_name = {(r.scenario_id, r.metric): r for r in rows}
    ttft = by_name[("test/llama-8b/h100/c8", "ttft_ms_p99")]
    assert (ttft.family, ttft.unit, ttft.statistic, ttft.value) == ("ttft", "ms", "p99", 120.0)
    throughput = by_name[("test/llama-8b/h100/c8", "output_tokens_per_s")]
    assert (throughput.unit, throughput.statistic) == ("tokens/s", None)
    assert all(r.source == "kb test fixture" and r.fact_kind == "measured" for r in rows)


def test_a_bad_record_aborts_the_whole_batch(kb_engine: Engine) -> None:
    good = samples.benchmark("a/good")
    bad = samples.benchmark("b/bad", metrics={"ttft_s_p50": 0.05})
    with pytest.raises(InputError, match=r"b/bad.*unknown metric 'ttft_s_p50'.*ttft_ms_p50"):
        _add(kb_engine, [good, bad])
    with Session(kb_engine) as session:
        assert BenchmarkRepository(session).count_scenarios() == 0


def test_duplicate_ids_in_one_batch_are_rejected(kb_engine: Engine) -> None:
    with pytest.raises(InputError, match="appears twice"):
        _add(kb_engine, [samples.benchmark("x"), samples.benchmark("x")])


def test_adding_the_same_records_again_is_a_no_op(kb_engine: Engine) -> None:
    records = list(samples.seed_data().benchmarks)
    _add(kb_engine, records)
    with Session(kb_engine) as session, session.begin():
        write = BenchmarkRepository(session).add_many(records)
    assert write.scenarios.unchanged == 3 and write.metric_values_written == 0
    with Session(kb_engine) as session:
        assert BenchmarkRepository(session).count_metric_values() == 8


def test_get_unknown_id_is_an_input_error(kb_engine: Engine) -> None:
    with Session(kb_engine) as session, pytest.raises(InputError, match="no benchmark"):
        BenchmarkRepository(session).get("missing")


def test_large_batches_cross_the_chunk_size(kb_engine: Engine) -> None:
    records = [samples.benchmark(f"bulk/{i:04d}") for i in range(1203)]
    _add(kb_engine, records)
    changed = [samples.benchmark(f"bulk/{i:04d}", metrics={"ttft_ms_p50": 1.0 + i})
               for i in range(1203)]
    with Session(kb_engine) as session, session.begin():
        write = BenchmarkRepository(session).add_many(changed)
    assert write.scenarios.updated == 1203
    with Session(kb_engine) as session:
        repo = BenchmarkRepository(session)
        assert repo.count_metric_values() == 1203
        assert repo.get("bulk/0700").metrics == {"ttft_ms_p50": 701.0}


def test_the_engine_command_line_is_kept(kb_engine: Engine) -> None:
    args = "vllm serve meta-llama/Llama-3.1-8B-Instruct --max-num-seqs 64"
    record = samples.benchmark("args/1", engine_args=args)
    _add(kb_engine, [record])
    with Session(kb_engine) as session:
        assert BenchmarkRepository(session).query() == [record]
        assert record.engine_args == args


def test_the_benchmark_client_is_kept(kb_engine: Engine) -> None:
    records = [
        samples.benchmark("client/1", client=BenchmarkClient.GPUSTACK_BENCHMARK),
        samples.benchmark("client/2", client=BenchmarkClient.VLLM_BENCH, ignore_eos=True),
        samples.benchmark("client/3"),
        samples.benchmark("client/4", checkpoint="Qwen/Qwen3-32B"),
    ]
    _add(kb_engine, records)
    with Session(kb_engine) as session:
        assert BenchmarkRepository(session).query() == records


def test_the_shared_prompt_prefix_is_kept(kb_engine: Engine) -> None:
    records = [
        samples.benchmark("prefix/1", shared_prefix_tokens=768),
        samples.benchmark("prefix/3", shared_prefix_tokens=512, prefix_count=40),
        samples.benchmark(),
    ]
    _add(kb_engine, records)
    with Session(kb_engine) as session:
        repo = BenchmarkRepository(session)
        assert repo.get("prefix/1").shared_prefix_tokens == 768
        assert repo.get("prefix/1").prefix_count == 1
        assert repo.get("prefix/3").prefix_count == 40
        assert repo.get(records[2].id).shared_prefix_tokens == 0
    with pytest.raises(ValueError, match="shared_prefix_tokens"):
        samples.benchmark("prefix/2", shared_prefix_tokens=1000)  # the whole 1,000-token prompt
    with pytest.raises(ValueError, match="prefix_count"):
        samples.benchmark("prefix/4", prefix_count=3)  # several prefixes of no length
