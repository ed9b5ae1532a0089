"""Shared CLI plumbing: error handling and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from predeploy.core.errors import PredeployError, describe_validation_error

console = Console()
err_console = Console(stderr=True)

#: Exit status for invalid user input (distinct from 1, an unexpected failure).
EXIT_INPUT_ERROR = 2


def print_json(value: Any) -> None:
    """Write a value as JSON to stdout (pydantic models through their JSON mode)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def fail(message: str) -> None:
    """Print a user-facing error and exit with :data:`EXIT_INPUT_ERROR`."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_INPUT_ERROR)


def run_guarded(app: typer.Typer) -> int:
    """Run the Typer app; domain and validation errors become one line on stderr, exit 2."""
    try:
        # Without standalone mode click returns a command's exit status instead of exiting.
        status = app(standalone_mode=False)
    except PredeployError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return EXIT_INPUT_ERROR
    except ValidationError as exc:
        err_console.print(
            f"[bold red]error:[/] {describe_validation_error(exc)}", highlight=False, soft_wrap=True
        )
        return EXIT_INPUT_ERROR
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        err_console.print("aborted")
        return 1
    except Exception as exc:  # click usage errors carry their own exit code
        code = getattr(exc, "exit_code", None)
        show = getattr(exc, "show", None)
        if code is not None and callable(show):
            show()
            return int(code)
        raise
    return status if isinstance(status, int) else 0
