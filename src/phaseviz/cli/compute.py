"""``phaseviz metrics`` and ``phaseviz compute``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from phaseviz.cli.common import (
    CACHE,
    CLASS_NAME,
    DEVICE,
    EXECUTOR,
    EXIT_CODES_HELP,
    METRICS,
    METRICS_FILE,
    MODEL,
    PARALLEL,
    RAY_ADDRESS,
    SPECTRAL,
    TRUST,
    compute_options,
    compute_with_progress,
    fail,
    reported_errors,
    start_logging,
)


def metrics(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the built-in metrics: keys, titles and what each shows."""
    from phaseviz.metrics import BUILTIN

    if as_json:
        rows = [
            {
                "key": m.key,
                "title": m.title,
                "group": m.group,
                "description": m.description,
                "formula": m.formula,
                "per_layer": m.per_layer,
            }
            for m in BUILTIN.values()
        ]
        typer.echo(json.dumps(rows, indent=2))
        return

    from rich.console import Console
    from rich.table import Table

    table = Table("key", "title", "group", "description", box=None)
    for metric in BUILTIN.values():
        table.add_row(metric.key, metric.title, metric.group, metric.description)
    Console().print(table)
    typer.echo(
        "\nAlso: recorded.<name> for each scalar a checkpoint records "
        "(see 'phaseviz inspect'), and custom metrics from --metrics-file."
    )


def compute(
    run_dirs: list[Path] = typer.Argument(..., metavar="DIR...", help="Run folders."),
    metric_keys: str = METRICS,
    metrics_file: list[Path] = METRICS_FILE,
    model: Path = MODEL,
    class_name: str = CLASS_NAME,
    device: str = DEVICE,
    per_layer: bool = typer.Option(
        False, "--per-layer", help="Add a value per layer, with a 'layer' column."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="Write to FILE (.csv, or .json for JSON) not stdout."
    ),
    parallel: bool = PARALLEL,
    cache: bool = CACHE,
    trust: bool = TRUST,
    executor: str = EXECUTOR,
    ray_address: str = RAY_ADDRESS,
    spectral: str = SPECTRAL,
) -> None:
    """Compute metrics for every checkpoint; print them as long-form CSV.

    The columns are run,checkpoint,step,metric,value (and layer with
    --per-layer). Values already in the run's cache are not computed again.
    """
    from phaseviz.export import write_metrics_csv, write_metrics_json

    start_logging()
    options = compute_options(
        device=device,
        model=model,
        class_name=class_name,
        metrics_file=metrics_file,
        trust=trust,
        cache=cache,
        parallel=parallel,
        per_layer=per_layer,
        executor=executor,
        ray_address=ray_address,
        spectral=spectral,
    )
    with reported_errors():
        results = compute_with_progress(run_dirs, metric_keys or "all", options)

    write = write_metrics_json if out and out.suffix == ".json" else write_metrics_csv
    try:
        write(results, out if out else sys.stdout, per_layer=per_layer)
    except OSError as error:
        kept = (
            "they are in the results cache, so writing them elsewhere with --out "
            "computes nothing again"
            if cache
            else "give another --out"
        )
        raise fail(
            f"{out or 'stdout'}: cannot write the values ({error.strerror or error}); "
            f"{kept}",
            1,
        ) from None
    if out:
        typer.echo(f"wrote {out}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``metrics`` and ``compute`` to the app."""
    app.command("metrics")(metrics)
    app.command("compute", epilog=EXIT_CODES_HELP)(compute)
