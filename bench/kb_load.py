"""Knowledge-base speed: `kb init` (first and repeated), opening the SQL catalog, and benchmark
queries, on a scratch SQLite file and, when PREDEPLOY_TEST_POSTGRES_URL is set, on PostgreSQL.

Usage: .venv/bin/python bench/kb_load.py   (prints one line per measurement)
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url

from predeploy.kb.database import create_kb_engine
from predeploy.services import knowledge
from predeploy.settings import Settings

T = TypeVar("T")


def timed(label: str, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    print(f"{label:<44} {(time.perf_counter() - start) * 1000:9.1f} ms")
    return result


def measure(backend: str, url: str) -> None:
    settings = Settings(home=Path(tempfile.gettempdir()), database_url=url)
    seed = timed(f"{backend}: read package seed files", knowledge.read_seed)
    first = timed(f"{backend}: kb init (empty database)", lambda: knowledge.init_kb(settings, seed))
    timed(f"{backend}: kb init again (nothing changes)", lambda: knowledge.init_kb(settings, seed))
    catalog = timed(f"{backend}: open_catalog", lambda: knowledge.open_catalog(settings))
    records = timed(f"{backend}: all benchmarks", catalog.benchmarks)
    gpu = seed.gpus[0].name
    timed(f"{backend}: benchmarks on {gpu}", lambda: catalog.benchmarks(gpu=gpu))
    timed(f"{backend}: kb stats", lambda: knowledge.kb_stats(settings))
    counts = first.counts
    print(f"{backend}: {counts.benchmark_scenarios} scenarios, {counts.benchmarks} metric values, "
          f"{len(records)} records read back")


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        measure("sqlite", f"sqlite:///{scratch}/bench.sqlite3")
    base = os.environ.get("PREDEPLOY_TEST_POSTGRES_URL")
    if not base:
        print("postgresql: skipped (PREDEPLOY_TEST_POSTGRES_URL is not set)")
        return
    schema = f"bench_{os.getpid()}"
    admin = create_kb_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        scoped = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        measure("postgresql", scoped.render_as_string(hide_password=False))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
