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
    from rich.progress import Progress

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
        help="Train a smaller run (p = 67, 1500 steps) that groks in seconds.",
    ),
) -> None:
    """Train a model that groks a + b mod p, then chart its weights.

    A one-hidden-layer network memorises the 20% of the sums it trains on
    within twenty steps; a thousand steps later, pushed by weight decay, it
    finds the rule: test accuracy jumps from under 1% to 100% while the
    weight norm falls by a quarter. Training takes under a minute on a
    CPU, once: the run is kept in the user cache (or --out) and reused.
    The app opens on the L2 norm, effective rank and test accuracy;
    --no-tui prints where the jump is and the transitions phaseviz finds,
    as does a call without a terminal (make, CI).
    Training always runs on the CPU, where it is fast and reproducible;
    --device says where the metrics are computed.
    """
    from phaseviz.demo import FULL_DEMO, QUICK_DEMO

    start_logging()
    config = QUICK_DEMO if quick else FULL_DEMO
    options = compute_options(device=device)
    with reported_errors():
        run = _train(config, out, retrain)
        if not no_tui and not has_terminal():
            typer.echo("no terminal for the app; printing a summary instead", err=True)
            no_tui = True
        if no_tui:
            results = compute_with_progress(
                [run.path], ",".join([*CHARTED, "recorded.train_acc"]), options
            )
            _print_summary(run, results[0])
            return

        from phaseviz.tui import run_tui

        run_tui([run.path], metrics=CHARTED, options=options)


def has_terminal() -> bool:
    """Whether the app can take the terminal: stdin and stdout are both one."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _train(config: DemoConfig, out: Path | None, retrain: bool) -> DemoRun:
    """The demo run, trained under a progress bar unless a kept one fits."""
    from rich.console import Console

    from phaseviz.demo import (
        Scores,
        default_run_dir,
        ensure_demo_run,
        is_complete,
        read_marker,
    )

    err = Console(stderr=True)
    path = out if out is not None else default_run_dir()
    if not retrain and is_complete(path, config):
        err.print(f"using the demo run in {path} (--retrain trains it again)")
        return ensure_demo_run(config, path)
    if not retrain and read_marker(path) is not None:
        err.print(f"the run in {path} was trained with other settings; training again")

    progress = _training_progress(err)
    task = progress.add_task("training", total=config.steps, train="-", test="-")

    def show(scores: Scores) -> None:
        progress.update(
            task, train=f"{scores.train_acc:.1%}", test=f"{scores.test_acc:.1%}"
        )

    try:
        with progress:
            run = ensure_demo_run(
                config,
                path,
                retrain=True,
                on_progress=lambda done, _: progress.update(task, completed=done),
                on_checkpoint=show,
            )
    except KeyboardInterrupt:
        err.print("training interrupted; the next 'phaseviz demo' trains again")
        raise typer.Exit(130) from None
    err.print(f"trained the demo run in {run.train_seconds:.0f} s: {run.path}")
    return run


def _training_progress(err: Console) -> Progress:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]training[/]"),
        BarColumn(),
        TextColumn("step {task.completed:>5.0f}/{task.total:.0f}"),
        TextColumn("train acc {task.fields[train]:>6}"),
        TextColumn("test acc {task.fields[test]:>6}"),
        TimeElapsedColumn(),
        console=err,
        transient=not sys.stderr.isatty(),
    )


def _print_summary(run: DemoRun, results: RunResults) -> None:
    from rich.console import Console

    from phaseviz.demo import summarize

    summary = summarize(results, SUMMARISED)
    # Soft wrap keeps paths and commands on one line, to copy them whole.
    console = Console(soft_wrap=True)
    _print_run(console, run)
    _print_story(console, summary)
    _print_transitions(console, summary)
    console.print(
        f"\nOpen it in the app: [bold]phaseviz tui {run.path} -m {','.join(CHARTED)}[/]"
    )


def _print_run(console: Console, run: DemoRun) -> None:
    recipe, config = run.config.recipe, run.config
    how = "kept from an earlier call" if run.reused else "just trained"
    console.print(
        f"[bold]Demo run[/] {run.path}\n"
        f"  a + b mod {recipe.modulus}: {recipe.train_fraction:.0%} of the "
        f"{recipe.modulus**2} pairs to train on, the rest to test\n"
        f"  MLP: embedding {recipe.embed_dim}, hidden {recipe.hidden_dim} "
        f"(squared); AdamW lr {recipe.learning_rate:g}, weight decay "
        f"{recipe.weight_decay:g}, full batch\n"
        f"  {config.checkpoints} checkpoints over {config.steps} steps, evenly "
        f"in log(step); seed {config.seed}; {how} ({run.train_seconds:.0f} s)\n"
    )


def _print_story(console: Console, summary: DemoSummary) -> None:
    if summary.memorised_step is not None:
        console.print(
            f"[bold]Memorised[/] at step {summary.memorised_step}: train "
            f"accuracy ≥ 99%, test accuracy {summary.test_acc_then:.1%}"
        )
    jump = summary.jump
    if jump is None:
        console.print(
            "[bold red]No jump[/]: test accuracy never rose by half; this run "
            "did not grok"
        )
        return
    later = (
        f", {jump.step - summary.memorised_step} steps later"
        if summary.memorised_step is not None
        else ""
    )
    console.print(
        f"[bold]Grokked[/]   at step {jump.step} ({summary.jump_checkpoint}){later}: "
        f"test accuracy {jump.before:.1%} → {jump.after:.1%}\n"
        f"          (the first checkpoint past halfway from its plateau "
        f"{jump.low:.1%} to its final {jump.high:.1%})"
    )


def _print_transitions(console: Console, summary: DemoSummary) -> None:
    from rich.table import Table

    table = Table(
        box=None,
        title="\nTransitions found by the default detector",
        title_justify="left",
    )
    for header in ("metric", "step", "kind", "score", "before → after", ""):
        table.add_column(
            header, justify="right" if header in ("step", "score") else "left"
        )
    for position, row in enumerate(summary.transitions):
        table.add_row(
            row.metric,
            str(row.step),
            row.kind,
            f"{row.score:.3g}",
            f"{row.before:.4g} → {row.after:.4g}",
            "[green]← at the jump[/]" if summary.at_jump(position) else "",
        )
    console.print(table if summary.transitions else "\nNo transitions found.")

    if summary.jump is None:
        return
    matched = summary.matched("l2")
    if matched:
        console.print(
            f"\nThe weight norm (l2) changes course at step {matched[0].step}, "
            "within one checkpoint of the test-accuracy jump: the weights "
            "show the phase transition."
        )
    else:
        console.print(
            "\n[yellow]No l2 transition within one checkpoint of the "
            "test-accuracy jump[/]; the app shows both curves side by side."
        )


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the app."""
    app.command("demo", epilog=EXIT_CODES_HELP)(demo)
