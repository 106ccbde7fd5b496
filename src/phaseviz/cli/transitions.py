"""``phaseviz transitions``: the phase transitions of each metric."""

from __future__ import annotations

import dataclasses
import json
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

DEFAULT_METRICS = "l2,entropy,effective_rank,spectral,stable_rank,kurtosis"


def transitions(
    run_dirs: list[Path] = typer.Argument(..., metavar="DIR...", help="Run folders."),
    metric_keys: str = METRICS,
    detector: str = typer.Option(
        "default", "--detector", "-d", help="default, threshold, or another detector."
    ),
    threshold: float = typer.Option(
        None, "--threshold", help="The threshold detector's fraction (default 0.2)."
    ),
    sensitivity: float = typer.Option(
        None, "--sensitivity", help="The default detector: higher finds more."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    metrics_file: list[Path] = METRICS_FILE,
    model: Path = MODEL,
    class_name: str = CLASS_NAME,
    device: str = DEVICE,
    parallel: bool = PARALLEL,
    cache: bool = CACHE,
    trust: bool = TRUST,
    executor: str = EXECUTOR,
    ray_address: str = RAY_ADDRESS,
    spectral: str = SPECTRAL,
) -> None:
    """Find where each metric's behaviour changes, and where metrics agree.

    Without --metrics: l2, entropy, effective_rank, spectral, stable_rank
    and kurtosis.
    """
    from phaseviz.export import detect_run_transitions
    from phaseviz.transitions import DETECTORS

    if detector not in DETECTORS:
        raise fail(f"unknown detector {detector!r}; known: {', '.join(DETECTORS)}", 2)
    start_logging()
    options = compute_options(
        device=device,
        model=model,
        class_name=class_name,
        metrics_file=metrics_file,
        trust=trust,
        cache=cache,
        parallel=parallel,
        per_layer=False,
        executor=executor,
        ray_address=ray_address,
        spectral=spectral,
    )
    detector_options: dict[str, float] = {
        k: v
        for k, v in (("threshold", threshold), ("sensitivity", sensitivity))
        if v is not None
    }
    with reported_errors():
        results = compute_with_progress(
            run_dirs, metric_keys or DEFAULT_METRICS, options
        )
        found = [
            detect_run_transitions(r, detector=detector, options=detector_options)
            for r in results
        ]

    if as_json:
        rows = [dataclasses.asdict(t) for per_run, _ in found for t in per_run]
        typer.echo(json.dumps(rows, indent=2, allow_nan=False, default=str))
        return
    _print_tables(results, found, detector)


def _print_tables(results: list, found: list, detector: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for run_results, (rows, agreements) in zip(results, found, strict=True):
        run = run_results.run
        console.print(
            f"[bold]{run.name}[/]: {len(run.checkpoints)} checkpoints, "
            f"steps {run.steps[0]}–{run.steps[-1]}, detector {detector}"
        )
        table = Table(
            "metric", "step", "checkpoint", "score", "before", "after", "kind", box=None
        )
        for row in rows:
            table.add_row(
                row.metric,
                str(row.step),
                row.checkpoint,
                f"{row.score:.3g}",
                f"{row.before:.6g}",
                f"{row.after:.6g}",
                row.kind,
            )
        console.print(table if rows else "  no transitions found")

        if agreements:
            console.print("\n[bold]Where metrics change together[/] (ranked)")
            agree = Table("rank", "step", "checkpoint", "metrics", "score", box=None)
            for a in agreements:
                agree.add_row(
                    str(a.rank),
                    str(a.step),
                    a.checkpoint,
                    ", ".join(a.metrics),
                    f"{a.score:.3g}",
                )
            console.print(agree)
        console.print()


def register(app: typer.Typer) -> None:
    """Add ``transitions`` to the app."""
    app.command("transitions", epilog=EXIT_CODES_HELP)(transitions)
