"""The Typer application, the global flags and what every command prints with: the stderr console,
progress lines, error and delivery-failure messages. Imports nothing heavy (``commitwatch --help``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console

from .. import __version__
from ..errors import CommitwatchError

app = typer.Typer(
    name="commitwatch",
    help="Daily reports of the commits landing in the repositories you follow.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class _State:
    quiet: bool = False
    traceback: bool = False


state = _State()
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    if not state.quiet:
        from ..term import say as say_clean

        say_clean(err, message)  # repository names, paths and commit text: no control codes, no markup


def _version(value: bool) -> None:
    if value:
        typer.echo(f"commitwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for cron).")] = False,
    show_traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python traceback of an error.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Daily reports of the commits landing in the repositories you follow."""
    state.quiet = quiet
    state.traceback = show_traceback


def print_error(error: CommitwatchError, prefix: str = "") -> None:
    from ..term import clean

    err.print(f"commitwatch: error: {clean(prefix)}{clean(error.message, newlines=True)}", markup=False)
    if error.hint:
        err.print(f"hint: {clean(error.hint, newlines=True)}", markup=False)



def print_undelivered(undelivered: list[tuple[str, str]]) -> None:
    from ..term import clean

    for target, detail in undelivered:  # ids and details are redacted: no URL, no token
        what = "publishing" if target.startswith("github:") else "notification"
        err.print(f"commitwatch: warning: {what} to {target} failed: {clean(detail)}", markup=False)
