"""What the commands share: options, error reporting, progress bars."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from phaseviz.engine import ComputeOptions, Event
    from phaseviz.results import RunResults

logger = logging.getLogger(__name__)

EXIT_CODES_HELP = (
    "Exit status: 0 success; 1 unexpected error; 2 bad usage (unknown metric, "
    "detector, device or option, no saved run); 3 run folder missing or holding "
    "no readable checkpoint; "
    "4 checkpoint unreadable; 5 model class unusable; 6 custom metric file "
    "unusable; 130 interrupted."
)

# Options shared by the commands that compute, declared once.
METRICS = typer.Option(
    None,
    "--metrics",
    "-m",
    help="Comma-separated metric keys, or 'all'. See 'phaseviz metrics'.",
)
METRICS_FILE = typer.Option(
    None,
    "--metrics-file",
    help="A .py file of custom *_of_model metrics (repeatable).",
)
MODEL = typer.Option(None, "--model", help="A .py file defining the model class.")
CLASS_NAME = typer.Option(
    None, "--class-name", help="The model class in --model (needed if it has several)."
)
DEVICE = typer.Option(
    "cuda", "--device", help="cuda (falls back to the CPU), cuda:N or cpu."
)
PARALLEL = typer.Option(
    True,
    "--parallel/--no-parallel",
    help="Read the next checkpoint while computing this one.",
)
TRUST = typer.Option(
    False,
    "--trust-checkpoints",
    help="Allow checkpoints to run code when unpickled. Only for files you trust.",
)
CACHE = typer.Option(True, "--cache/--no-cache", help="Use the results cache.")


def _one_of(*choices: str) -> Callable[[str], str]:
    """An option callback that accepts only ``choices``, as a usage error."""

    def check(value: str) -> str:
        if value not in choices:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}")
        return value

    return check


EXECUTOR = typer.Option(
    "local",
    "--executor",
    callback=_one_of("local", "ray"),
    help="Where checkpoints are computed: local (this process) or ray (one Ray "
    "task per checkpoint; needs pip install 'phaseviz[ray]').",
)
RAY_ADDRESS = typer.Option(
    None,
    "--ray-address",
    help="The Ray cluster for --executor ray (default: $RAY_ADDRESS, else a Ray "
    "instance started on this machine).",
)
SPECTRAL = typer.Option(
    "exact",
    "--spectral",
    callback=_one_of("exact", "fast"),
    help="exact: decompose every matrix; fast: estimate the spectral metrics "
    "(titled '(approx.)', cached apart; accuracy in docs/scale.md).",
)


def compute_options(
    *,
    device: str = "cuda",
    model: Path | None = None,
    class_name: str | None = None,
    metrics_file: Sequence[Path] | None = None,
    trust: bool = False,
    cache: bool = True,
    parallel: bool = True,
    per_layer: bool = True,
    executor: str = "local",
    ray_address: str | None = None,
    spectral: str = "exact",
) -> ComputeOptions:
    """The engine options for what a command was given."""
    from phaseviz.checkpoints import ModelSpec
    from phaseviz.engine import ComputeOptions

    return ComputeOptions(
        device=device,
        model=ModelSpec(model, class_name) if model else None,
        metric_files=tuple(metrics_file or ()),
        trust=trust,
        cache=cache,
        parallel=parallel,
        per_layer=per_layer,
        executor=executor,
        ray_address=ray_address,
        spectral=spectral,
    )


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` to stderr and return the Exit to raise."""
    typer.echo(f"phaseviz: error: {message}", err=True)
    return typer.Exit(code)


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """Turn phaseviz's errors into a message on stderr and an exit status."""
    from phaseviz.checkpoints.errors import PhasevizError

    try:
        yield
    except PhasevizError as error:
        logger.error("%s", error)
        raise fail(str(error), error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("phaseviz: interrupted; values computed so far are cached", err=True)
        raise typer.Exit(130) from None


def start_logging() -> None:
    """Log to the log file; the terminal shows only what commands print."""
    from phaseviz.logs import setup_logging

    setup_logging()


def compute_with_progress(
    run_dirs: Sequence[Path], metrics: str, options: ComputeOptions
) -> list[RunResults]:
    """Discover and compute each run, with a progress bar on stderr.

    Checkpoints that cannot be read, metrics that fail and notices are
    printed above the bar as they happen; the run goes on.

    Raises:
        CheckpointError: Not one checkpoint of a run could be read now.
        ModelError: Not one checkpoint of a run could be loaded into the
            model class.
    """
    from phaseviz.checkpoints import discover_run
    from phaseviz.engine import compute_results

    results = []
    with _progress() as progress:
        for run_dir in run_dirs:
            run = discover_run(run_dir, trust=options.trust)
            for skipped in run.skipped:
                progress.console.print(
                    f"[yellow]skipped[/] {skipped.path}: {skipped.reason}"
                )
            task = progress.add_task(run.name, total=len(run.checkpoints))
            shown = _Shown(progress, task)
            results.append(compute_results(run, metrics, options, on_event=shown))
            if shown.failures and not shown.completed:
                raise _nothing_computed(run.path, options, shown.failures)
    return results


def _nothing_computed(
    run_path: Path, options: ComputeOptions, failures: list[str]
) -> Exception:
    """The error for a run whose every checkpoint failed to load.

    An empty table with exit status 0 would pass for a result in a script.
    """
    from phaseviz.checkpoints.errors import CheckpointError, ModelError

    first = failures[0]
    if options.model is not None:
        return ModelError(
            f"{run_path}: not one of its {len(failures)} checkpoints could be "
            f"loaded into the model class {options.model.path}; the first:\n"
            f"  {first}"
        )
    return CheckpointError(
        run_path,
        f"not one of its {len(failures)} checkpoints could be read now; the "
        f"first:\n  {first}\n",
        "check that the files are still there and readable",
    )


def _progress() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("checkpoints"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=not sys.stderr.isatty(),
    )


class _Shown:
    """Shows a run's events: the bar moves, problems are printed above it.

    A metric that fails is printed the first time only; a failing custom
    metric would otherwise print a line for every checkpoint.
    """

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task
        self.failed: set[str] = set()
        self.completed = 0
        self.failures: list[str] = []

    def __call__(self, event: Event) -> None:
        from phaseviz.engine import (
            CheckpointDone,
            CheckpointFailed,
            MetricFailed,
            Notice,
        )

        print_ = self.progress.console.print
        if isinstance(event, CheckpointDone | CheckpointFailed):
            self.progress.update(self.task, completed=event.done)
        if isinstance(event, CheckpointDone):
            self.completed += 1
        elif isinstance(event, CheckpointFailed):
            self.failures.append(event.message)
            print_(f"[red]checkpoint skipped[/] {event.message}", highlight=False)
        elif isinstance(event, MetricFailed) and event.metric not in self.failed:
            self.failed.add(event.metric)
            print_(
                f"[red]metric failed[/] {event.message} (NaN there; later failures "
                "of this metric are only logged)",
                highlight=False,
            )
        elif isinstance(event, Notice):
            print_(f"[yellow]note[/] {event.message}", highlight=False)
