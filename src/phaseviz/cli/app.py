"""The Typer app that every command registers on."""

from __future__ import annotations

import typer

from phaseviz import __version__

app = typer.Typer(
    name="phaseviz",
    help="See how a network's weights develop over training, from checkpoints.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"phaseviz {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """See how a network's weights develop over training, from checkpoints."""
