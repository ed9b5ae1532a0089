"""CLI plumbing: user text is shown as text, errors are one line."""

from __future__ import annotations

import sys
import warnings

import pytest
import typer
from rich.console import Console

from predeploy.cli.common import plain, print_error, run_guarded
from predeploy.core.errors import InputError, PredeployWarning


def test_plain_text_is_never_markup_and_never_drives_the_terminal() -> None:
    shown = plain("[/x] [bold]b\x1b[2J\x07\u202egnp.exe\tok\n")
    assert shown.plain == "[/x] [bold]b\\x1b[2J\\x07\\u202egnp.exe\tok\n"
    console = Console(record=True, width=80)
    console.print(shown)
    assert "[/x] [bold]b" in console.export_text()


def test_errors_are_one_escaped_line(capsys: pytest.CaptureFixture[str]) -> None:
    print_error("unknown GPU '[/x]\x1b[31m'")
    err = capsys.readouterr().err
    assert err == "error: unknown GPU '[/x]\\x1b[31m'\n"


def test_run_guarded_turns_errors_and_interrupts_into_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = typer.Typer()

    @app.command()
    def go(what: str) -> None:
        if what == "bad":
            raise InputError("bad input [/x]")
        raise KeyboardInterrupt  # Ctrl-C: the shell's 128 + SIGINT, no traceback

    for what, code, message in (("bad", 2, "error: bad input [/x]\n"), ("stop", 130, "")):
        monkeypatch.setattr(sys, "argv", ["predeploy", what])
        assert run_guarded(app) == code
        assert capsys.readouterr().err == message


def test_run_guarded_prints_predeploy_warnings_as_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = typer.Typer()

    @app.command()
    def go() -> None:
        warnings.warn(PredeployWarning("stale facts [/x]; run `predeploy kb init`"), stacklevel=1)

    monkeypatch.setattr(sys, "argv", ["predeploy"])
    assert run_guarded(app) == 0
    assert capsys.readouterr().err == "warning: stale facts [/x]; run `predeploy kb init`\n"
