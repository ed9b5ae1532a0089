"""Shared CLI plumbing: error handling and JSON output."""

from __future__ import annotations

import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any, TextIO

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.text import Text

from predeploy.core.errors import PredeployError, PredeployWarning, describe_validation_error

console = Console()
err_console = Console(stderr=True)

#: Exit status for invalid user input (distinct from 1, an unexpected failure).
EXIT_INPUT_ERROR = 2


#: Characters that could drive a terminal: C0 and C1 controls except tab and newline, DEL, and
#: the Unicode bidirectional overrides and isolates (text that displays in another order).
_TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(text: object, style: str = "") -> Text:
    """``text`` shown as it is: never read as Rich markup, control characters escaped (``\x1b``).

    For anything a user, a file or the database supplied: a request, a file name, a provider,
    a value echoed in an error. ``[/x]`` would otherwise break the rendering and an escape
    sequence would reach the terminal.
    """
    shown = _TERMINAL_CONTROLS.sub(
        lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text)
    )
    return Text(shown, style=style)


def print_error(message: object) -> None:
    """One ``error: …`` line on stderr."""
    err_console.print(Text.assemble(("error:", "bold red"), " ", plain(message)),
                      highlight=False, soft_wrap=True)


def print_warning(message: object) -> None:
    """One ``warning: …`` line on stderr."""
    err_console.print(Text.assemble(("warning:", "bold yellow"), " ", plain(message)),
                      highlight=False, soft_wrap=True)


def print_json(value: Any) -> None:
    """Write a value as JSON to stdout (pydantic models through their JSON mode)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def fail(message: str) -> None:
    """Print a user-facing error and exit with :data:`EXIT_INPUT_ERROR`."""
    print_error(message)
    raise typer.Exit(EXIT_INPUT_ERROR)


def run_guarded(app: typer.Typer) -> int:
    """Run the Typer app; domain and validation errors become one line on stderr, exit 2, and
    :class:`PredeployWarning` one ``warning:`` line."""
    try:
        with warnings.catch_warnings():
            fallback = warnings.showwarning

            def show_warning(
                message: Warning | str, category: type[Warning], filename: str, lineno: int,
                file: TextIO | None = None, line: str | None = None,
            ) -> None:
                if issubclass(category, PredeployWarning):
                    print_warning(message)
                else:
                    fallback(message, category, filename, lineno, file, line)

            warnings.showwarning = show_warning
            # Without standalone mode click returns a command's exit status instead of exiting.
            status = app(standalone_mode=False)
    except PredeployError as exc:
        print_error(exc)
        return EXIT_INPUT_ERROR
    except ValidationError as exc:
        print_error(describe_validation_error(exc))
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


#: Chart formats ``--plot`` writes, by file suffix (matplotlib's Agg canvas renders them all).
CHART_SUFFIXES = (".png", ".svg", ".pdf")


def check_chart_path(plot: Path | None, option: str = "--plot") -> None:
    """Refuse a chart path that cannot be written before any planning is done."""
    if plot is None:
        return
    if plot.suffix.lower() not in CHART_SUFFIXES:
        fail(f"{option} {plot}: the file name must end in {', '.join(CHART_SUFFIXES)}")
    if plot.is_dir():
        fail(f"{option} {plot}: is a directory; give a file name")
    if not plot.parent.is_dir():
        fail(f"{option} {plot}: the folder {plot.parent} does not exist")
