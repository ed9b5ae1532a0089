"""Command-line entry point: ``predeploy``.

Each command module registers its commands on :data:`app`; commands parse arguments, call one
service, and render the result (a Rich table by default, JSON with ``--json``).
"""

from __future__ import annotations

import sys

import typer

from predeploy.cli import intent, kb, perf, plan
from predeploy.cli.common import run_guarded

app = typer.Typer(
    name="predeploy",
    help="predeploy: the LLM Pre-Deployment Assistant. Plan model, GPUs and vLLM settings "
    "that meet your latency SLOs, before renting a single GPU.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (kb, perf, intent, plan):
    module.register(app)


def main() -> None:
    """Console-script entry: runs the app, turning user errors into one clear line."""
    sys.exit(run_guarded(app))
