"""Run every benchmark script in bench/ in turn and print their numbers.

Usage: ``.venv/bin/python bench/run_all.py [NAME ...]`` (names without ``.py`` select scripts).
Each script prints its own results; this runner adds the wall time per script and a summary.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    scripts = sorted(
        p for p in BENCH_DIR.glob("*.py")
        if p.name != Path(__file__).name and (not wanted or p.stem in wanted)
    )
    failures: list[str] = []
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        started = time.perf_counter()
        status = subprocess.call([sys.executable, str(script)], cwd=BENCH_DIR.parent)
        elapsed_s = time.perf_counter() - started
        print(f"--- {script.stem}: exit {status}, {elapsed_s:.1f} s", flush=True)
        if status:
            failures.append(script.stem)
    if failures:
        print(f"\nfailed: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
