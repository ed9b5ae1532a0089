"""CLI start-up: wall time of short `predeploy` commands, each in a fresh process.

Usage: .venv/bin/python bench/cli_startup.py [RUNS]   (default 5 runs; prints the median and
the fastest run per command). Runs against an empty PREDEPLOY_HOME, so every command reads the
package's seed files (no database). Also prints the heavy modules `import predeploy.cli` loads.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PREDEPLOY = Path(sys.executable).with_name("predeploy")
COMMANDS = (
    ("--help",),
    ("intent", "support bot for 5k shoppers, low latency"),
    ("intent", "support bot for 5k shoppers, low latency", "--json"),
    ("kb", "stats", "--json"),
    ("kb", "gpus", "--json"),
)
#: Modules a start-up should not need: the database stack, the HTTP client, the chart library.
HEAVY_MODULES = ("sqlalchemy", "alembic", "psycopg", "httpx", "matplotlib")


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PREDEPLOY_HOME": home}
        for args in COMMANDS:
            times_s = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run([str(PREDEPLOY), *args], env=env, check=True,
                               stdout=subprocess.DEVNULL)
                times_s.append(time.perf_counter() - start)
            label = "predeploy " + " ".join(a if " " not in a else repr(a) for a in args)
            print(f"{label:<68} median {statistics.median(times_s) * 1000:6.0f} ms, "
                  f"fastest {min(times_s) * 1000:6.0f} ms")
        probe = ("import sys, predeploy.cli; "
                 f"print(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))")
        loaded = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                                capture_output=True, text=True).stdout.strip()
        print(f"heavy modules loaded by `import predeploy.cli`: {loaded}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
