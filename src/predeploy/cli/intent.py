"""CLI commands: ``predeploy intent`` (one request or a JSONL file) and ``predeploy chat``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.prompt import Prompt
from rich.table import Table
from rich.text import Text

from predeploy.cli.common import console, err_console, fail, plain, print_json
from predeploy.core.errors import InputError
from predeploy.core.types import DeploymentIntent
from predeploy.intent.conversation import Conversation
from predeploy.intent.explain import intent_lines
from predeploy.services import intent as intent_service
from predeploy.settings import load_settings

_ORIGIN_STYLE = {"stated": "green", "derived": "cyan", "default": "dim", "assumed": "yellow"}
_QUIT = {"quit", "exit", "done", "/quit", "/exit", "/done", "bye"}
CHAT_HELP = (
    "Describe what you want to deploy; later messages amend it. Commands: "
    "/edit FIELD VALUE (e.g. /edit slo.ttft_ms.p90 250), /show, /json, /quit."
)


def render_intent(
    intent: DeploymentIntent,
    out: Console,
    *,
    extractor: str | None = None,
    question: str | None = None,
    fallback_reason: str | None = None,
) -> None:
    """The intent as a panel: each field with its origin (stated, derived, default, assumed)."""
    table = Table(show_header=True, header_style="bold", expand=True, box=None)
    table.add_column("field", no_wrap=True)
    table.add_column("value")
    table.add_column("origin", no_wrap=True)
    table.add_column("evidence", overflow="fold", style="dim")
    for row in intent_lines(intent):
        style = _ORIGIN_STYLE.get(row.origin, "")
        table.add_row(
            plain(row.field),
            plain(row.value),
            Text(f"{row.origin} {row.confidence:.0%}", style=style),
            plain(row.evidence or ""),
        )
    parts: list[Table | Text] = [table]
    if intent.assumptions:
        parts.append(Text("\nAssumed / noted:", style="bold yellow"))
        for note in intent.assumptions:
            parts.append(plain(f"  • {note}"))
    if fallback_reason:
        parts.append(
            plain(f"\nLLM unavailable ({fallback_reason}); the rules answered.", style="yellow")
        )
    if question:
        parts.append(plain(f"\nQuestion: {question}", style="bold magenta"))
    title = "What I understood" + (f" · extractor: {extractor}" if extractor else "")
    out.print(Panel(Group(*parts), title=title, title_align="left"))


def intent_command(
    text: Annotated[str | None, typer.Argument(help="The request in plain language.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the intent as JSON.")] = False,
    input_file: Annotated[
        Path | None, typer.Option("--input", help="JSONL file of {id, text} requests.")
    ] = None,
    output_file: Annotated[
        Path | None, typer.Option("--output", help="Where to write {id, intent} lines.")
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Also explain the intent in words.")
    ] = False,
) -> None:
    """Turn a plain-language request into an editable deployment intent."""
    settings = load_settings()
    catalog = intent_service.open_intent_catalog(settings)
    if input_file is not None or output_file is not None:
        if input_file is None or output_file is None or text is not None:
            fail("use --input CASES.jsonl together with --output OUT.jsonl (and no TEXT)")
        assert input_file is not None and output_file is not None
        count = intent_service.extract_file(input_file, output_file, catalog, settings)
        err_console.print(plain(f"wrote {count} intents to {output_file}"))
        return
    if text is None:
        fail('give a request, e.g. predeploy intent "support bot for 5k shoppers"')
    assert text is not None
    result = intent_service.analyze_request(text, catalog, settings)
    if as_json:
        print_json(result.intent)
        return
    render_intent(
        result.intent,
        console,
        extractor=result.extractor,
        question=result.question,
        fallback_reason=result.fallback_reason,
    )
    if explain:
        explanation = intent_service.explain(result.intent, settings)
        console.print(
            Panel(plain(explanation.text), title=f"In words · {explanation.by}",
                  title_align="left")
        )


def chat_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the final intent as JSON on stdout.")
    ] = False,
) -> None:
    """Describe a deployment over several messages; the intent is shown after each one."""
    settings = load_settings()
    catalog = intent_service.open_intent_catalog(settings)
    conversation = intent_service.start_conversation(catalog, settings)
    out = err_console if as_json else console
    out.print(CHAT_HELP, highlight=False)
    while True:
        try:
            message = Prompt.ask("[bold]you[/]", console=out)
        except (EOFError, KeyboardInterrupt):
            out.print()
            break
        stripped = message.strip()
        if not stripped:
            continue
        if stripped.lower() in _QUIT:
            break
        if stripped.startswith("/"):
            _chat_command(stripped, conversation, out)
            continue
        turn = conversation.send(stripped)
        out.print(Text.assemble(("predeploy", "bold"), ": ", plain(turn.reply)))
        render_intent(
            turn.intent,
            out,
            extractor=turn.extractor,
            question=turn.question,
            fallback_reason=turn.fallback_reason,
        )
    if as_json:
        if conversation.intent is None:
            fail("no request was given")
        print_json(conversation.intent)


def _chat_command(command: str, conversation: Conversation, out: Console) -> None:
    name, _, rest = command.partition(" ")
    if name == "/edit":
        path, _, value = rest.strip().partition(" ")
        if not path or not value:
            out.print("usage: /edit FIELD VALUE", highlight=False)
            return
        try:
            intent = conversation.edit(path, value)
        except InputError as exc:
            out.print(Text.assemble(("cannot edit:", "red"), " ", plain(exc)))
            return
        render_intent(intent, out)
    elif name == "/show":
        if conversation.intent is not None:
            render_intent(conversation.intent, out)
    elif name == "/json":
        if conversation.intent is not None:
            out.print_json(conversation.intent.model_dump_json())
    else:
        out.print(plain(f"unknown command {name!r}. {CHAT_HELP}"))


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""
    app.command("intent")(intent_command)
    app.command("chat")(chat_command)
