"""``phaseviz inspect``: list a run's checkpoints without computing anything."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from phaseviz.checkpoints import Checkpoint, Run

SHOWN_SCALARS = 4


def register(app: typer.Typer) -> None:
    """Add the ``inspect`` command to ``app`` (once)."""
    from phaseviz.cli.common import EXIT_CODES_HELP

    if any(command.name == "inspect" for command in app.registered_commands):
        return
    app.command("inspect", epilog=EXIT_CODES_HELP)(inspect_run)


def inspect_run(
    run_dir: Annotated[
        Path,
        typer.Argument(help="The run folder: the checkpoints of one training run."),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the checkpoints as a JSON list.")
    ] = False,
    trust: Annotated[
        bool,
        typer.Option(
            "--trust-checkpoints",
            help="Allow checkpoints to run code when unpickled. "
            "Only for files you trust.",
        ),
    ] = False,
) -> None:
    """List a run's checkpoints: step, format, parameters, size, recorded scalars."""
    from phaseviz.checkpoints import discover_run
    from phaseviz.cli.common import reported_errors, start_logging

    start_logging()
    with reported_errors():
        run = discover_run(run_dir, trust=trust)
        rows = [_row(checkpoint, trust) for checkpoint in run.checkpoints]

    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        for skipped in run.skipped:
            typer.echo(f"skipped {skipped.path}: {skipped.reason}", err=True)
    else:
        _print_table(run, rows)


def _row(checkpoint: Checkpoint, trust: bool) -> dict[str, Any]:
    from phaseviz.checkpoints import CheckpointError, count_parameters

    try:
        parameters: int | None = count_parameters(checkpoint, trust=trust)
    except CheckpointError:
        parameters = None
    return {
        "checkpoint": checkpoint.name,
        "step": checkpoint.step,
        "step_source": checkpoint.step_source,
        "format": checkpoint.format,
        "parameters": parameters,
        "size": checkpoint.size,
        "recorded": {k: _json_number(v) for k, v in checkpoint.recorded.items()},
    }


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _print_table(run: Run, rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {run.name}", title_justify="left")
    table.add_column("checkpoint", no_wrap=True)
    table.add_column("step", justify="right", no_wrap=True)
    table.add_column("step from", no_wrap=True)
    table.add_column("format", no_wrap=True)
    table.add_column("parameters", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("recorded")
    for row in rows:
        table.add_row(
            row["checkpoint"],
            str(row["step"]),
            row["step_source"],
            row["format"],
            "?" if row["parameters"] is None else f"{row['parameters']:,}",
            _size(row["size"]),
            _scalars(row["recorded"]),
        )

    console = Console(soft_wrap=False)
    console.print(table)
    console.print(_summary(run), highlight=False)


def _summary(run: Run) -> str:
    steps = run.steps
    count = len(steps)
    noun = "checkpoint" if count == 1 else "checkpoints"
    text = f"{count} {noun}, steps {steps[0]} to {steps[-1]}"
    if not run.skipped:
        return text + ", none skipped."
    lines = [f"{text}, {len(run.skipped)} skipped:"]
    lines += [f"  {_relative(s.path, run.path)}: {s.reason}" for s in run.skipped]
    return "\n".join(lines)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) or "."
    except ValueError:
        return str(path)


def _scalars(recorded: dict[str, float | None]) -> str:
    names = sorted(recorded, key=_scalar_priority)
    shown = [f"{k}={_number(recorded[k])}" for k in names[:SHOWN_SCALARS]]
    more = len(names) - SHOWN_SCALARS
    return " ".join(shown) + (f" +{more} more" if more > 0 else "")


def _scalar_priority(name: str) -> int:
    """Evaluation results first; the step and epoch the table shows last."""
    lowered = name.lower()
    if lowered.rsplit(".", 1)[-1] in ("step", "global_step", "epoch"):
        return 3
    if any(word in lowered for word in ("eval", "val", "test")):
        return 0
    if any(word in lowered for word in ("loss", "acc")):
        return 1
    return 2


def _number(value: float | None) -> str:
    if value is None:
        return "nan"
    return (
        str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    )


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
