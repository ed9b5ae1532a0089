"""Domain errors with messages a user can act on."""

from __future__ import annotations

from pydantic import ValidationError


class PredeployError(Exception):
    """Base class: the message is meant for the user, never a traceback."""


class PredeployWarning(UserWarning):
    """Something the user should know and can act on, though the command goes on; the CLI
    prints it as one ``warning: …`` line."""


class InputError(PredeployError):
    """The user's input (spec, file, name) is invalid; the message names what and where."""


class UnknownNameError(InputError):
    """A model or GPU name that matches nothing in the catalog, with suggestions."""

    def __init__(self, kind: str, name: str, suggestions: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


def describe_validation_error(error: ValidationError, where: str = "") -> str:
    """One line per problem, each naming the field path, e.g. ``slo.ttft_ms.p90: ...``."""
    lines = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"]) or "(root)"
        lines.append(f"{path}: {item['msg']}")
    prefix = f"{where}: " if where else ""
    return prefix + "; ".join(lines)
