"""``phaseviz demo``: train a small model that groks, then look at it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from phaseviz.cli.common import (
    DEVICE,
    EXIT_CODES_HELP,
    compute_options,
    compute_with_progress,
    reported_errors,
    start_logging,
)

if TYPE_CHECKING:
    from rich.console import Console

    from phaseviz.demo import DemoConfig, DemoRun, DemoSummary
    from phaseviz.results import RunResults

CHARTED = ["l2", "effective_rank", "recorded.test_acc"]
SUMMARISED = ["l2", "effective_rank"]


def demo(
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        metavar="FOLDER",
        help="Keep the run in FOLDER instead of the user cache.",
    ),
    no_tui: bool = typer.Option(
        False, "--no-tui", help="Print a summary instead of opening the app."
    ),
    device: str = DEVICE,
    retrain: bool = typer.Option(
        False, "--retrain", help="Train again even if a finished run is kept."
    ),
    quick: bool = typer.Option(
        False,
        "--quick",
        help="Train the smaller run the tests use (p = 47, seconds); it groks too.",
    ),
) -> None:
    """Train a model that groks a + b mod p, then chart its weights.

    A one-hidden-layer MLP memorises 30% of the sums within a few hundred
    steps, then, pushed by weight decay, finds the rule: test accuracy
    jumps from near zero to 100% while the weight norm falls. Training
    takes a minute or two on a CPU, once: the run is kept in the user
    cache (or --out) and reused. The app opens on the L2 norm, effective
    rank and test accuracy; --no-tui prints where the jump is and the
    transitions phaseviz finds instead.
    """
    from phaseviz.demo import FULL_DEMO, QUICK_DEMO

    start_logging()
    config = QUICK_DEMO if quick else FULL_DEMO
    options = compute_options(device=device)
    with reported_errors():
        run = _train(config, out, retrain)
        if no_tui:
            results = compute_with_progress(
                [run.path], ",".join([*CHARTED, "recorded.train_acc"]), options
            )
            _print_summary(run, results[0])
            return

        from phaseviz.tui import run_tui

        run_tui([run.path], metrics=CHARTED, options=options)


def _train(config: DemoConfig, out: Path | None, retrain: bool) -> DemoRun:
    """The demo run, trained under a progress bar unless a kept one fits."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from phaseviz.demo import Scores, default_run_dir, ensure_demo_run, is_complete

    err = Console(stderr=True)
    path = out if out is not None else default_run_dir()
    if not retrain and is_complete(path, config):
        err.print(f"using the demo run in {path} (--retrain trains it again)")
        return ensure_demo_run(config, path)

    progress = Progress(
        TextColumn("[bold]training[/]"),
        BarColumn(),
        TextColumn("step {task.completed:>5.0f}/{task.total:.0f}"),
        TextColumn("train acc {task.fields[train]:>6}"),
        TextColumn("test acc {task.fields[test]:>6}"),
        TimeElapsedColumn(),
        console=err,
        transient=not sys.stderr.isatty(),
    )
    task = progress.add_task("training", total=config.steps, train="-", test="-")

    def show(scores: Scores) -> None:
        progress.update(
            task, train=f"{scores.train_acc:.1%}", test=f"{scores.test_acc:.1%}"
        )

    with progress:
        run = ensure_demo_run(
            config,
            path,
            retrain=True,
            on_progress=lambda done, _: progress.update(task, completed=done),
            on_checkpoint=show,
        )
    err.print(f"trained the demo run in {run.train_seconds:.0f} s: {run.path}")
    return run


def _print_summary(run: DemoRun, results: RunResults) -> None:
    from rich.console import Console

    from phaseviz.demo import summarize

    summary = summarize(results, SUMMARISED)
    console = Console()
    _print_story(console, run, summary)
    _print_transitions(console, summary)
    console.print(
        f"\nExplore it: [bold]phaseviz tui {run.path} -m {','.join(CHARTED)}[/]"
    )


def _print_story(console: Console, run: DemoRun, summary: DemoSummary) -> None:
    recipe, config = run.config.recipe, run.config
    how = "kept from an earlier call" if run.reused else "just trained"
    console.print(
        f"[bold]Demo run[/] {run.path}\n"
        f"  a + b mod {recipe.modulus}, MLP (embedding {recipe.embed_dim}, hidden "
        f"{recipe.hidden_dim}), AdamW lr {recipe.learning_rate:g}, weight decay "
        f"{recipe.weight_decay:g}, {recipe.train_fraction:.0%} of the pairs for "
        f"training\n"
        f"  {config.checkpoints} checkpoints over {config.steps} steps, seed "
        f"{config.seed}; {how} ({run.train_seconds:.0f} s of training)"
    )
    if summary.memorised_step is not None:
        console.print(
            f"[bold]Memorised[/] train accuracy ≥ 99% from step "
            f"{summary.memorised_step}, while test accuracy is "
            f"{summary.test_acc_then:.1%}"
        )
    jump = summary.jump
    if jump is None:
        console.print("[bold red]No jump[/] test accuracy never rose by half")
        return
    console.print(
        f"[bold]Grokked[/] test accuracy jumps at step {jump.step} "
        f"({summary.jump_checkpoint}): {jump.before:.1%} → {jump.after:.1%}, "
        f"on its way from {jump.low:.1%} to {jump.high:.1%}"
    )


def _print_transitions(console: Console, summary: DemoSummary) -> None:
    from rich.table import Table

    table = Table(
        "metric", "step", "checkpoint", "kind", "score", "before", "after", "",
        box=None, title="Transitions (default detector)", title_justify="left",
    )
    for position, row in enumerate(summary.transitions):
        table.add_row(
            row.metric,
            str(row.step),
            row.checkpoint,
            row.kind,
            f"{row.score:.3g}",
            f"{row.before:.4g}",
            f"{row.after:.4g}",
            "[green]← at the jump[/]" if summary.at_jump(position) else "",
        )
    console.print(table if summary.transitions else "no transitions found")

    if summary.jump is None:
        return
    if summary.matched("l2"):
        console.print(
            "The weight norm (l2) changes course within one checkpoint of the "
            "test-accuracy jump: the weights show the phase transition."
        )
    else:
        console.print(
            "[yellow]No l2 transition within one checkpoint of the test-accuracy "
            "jump[/]; try --retrain, or compare the charts in the app."
        )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo", epilog=EXIT_CODES_HELP)(demo)
