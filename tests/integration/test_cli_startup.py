"""Start-up stays light: the CLI, `--help` and `intent` load no database stack, HTTP client or
chart library (each costs 50–250 ms per command; `bench/cli_startup.py` prints the times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY_MODULES = ("sqlalchemy", "alembic", "psycopg", "httpx", "matplotlib")


def _loaded_after(args: list[str], home: Path) -> list[str]:
    """The heavy modules loaded once ``predeploy ARGS`` has run (in a fresh interpreter)."""
    probe = (
        "import json, sys\n"
        f"sys.argv = ['predeploy', *{args!r}]\n"
        "from predeploy.cli import app\n"
        "from predeploy.cli.common import run_guarded\n"
        "status = run_guarded(app) if len(sys.argv) > 1 else 0\n"
        f"print(json.dumps([m for m in {HEAVY_MODULES!r} if m in sys.modules]), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False,
        env={"PREDEPLOY_HOME": str(home), "PREDEPLOY_LLM_BACKEND": "none", "PATH": "/usr/bin"},
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [[], ["intent", "support bot for 5k shoppers", "--json"]])
def test_light_commands_import_no_heavy_module(args: list[str], tmp_path: Path) -> None:
    assert _loaded_after(args, tmp_path) == []
