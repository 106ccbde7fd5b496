"""``phaseviz export``, ``phaseviz load-dir`` and ``phaseviz plot-metric``.

``export`` writes a report folder. ``load-dir`` and ``plot-metric`` keep
Phase-Viz's two-step workflow: remember a run, then pick metrics at a
prompt and see them on a temporary web page.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from phaseviz.checkpoints import ModelSpec, Run
    from phaseviz.metrics import Metric
    from phaseviz.results import RunResults

DETECTOR = typer.Option(
    "default", "--detector", "-d", help="The transition detector: default, threshold."
)
RUN_DIRS = typer.Argument(..., metavar="DIR...", help="Run folders.")
REPORT_OUT = typer.Option(..., "--out", "-o", help="The report folder to write.")
RUN_DIR = typer.Option(..., "--dir", help="The folder of checkpoints.")
NO_BROWSER = typer.Option(
    False,
    "--no-browser",
    help="Open no browser: print the page's address (and the ssh -L command).",
)
ALSO_OUT = typer.Option(
    None,
    "--out",
    "-o",
    help="Also write the report folder; with --no-browser, only write it.",
)
PROMPT_HELP = (
    "Enter a metric key (e.g. l2, entropy), a .py file of custom metrics, "
    "'metrics' to list them, 'all' for every built-in, 'done' to start, "
    "'exit' to leave."
)


def export(
    run_dirs: list[Path] = RUN_DIRS,
    out: Path = REPORT_OUT,
    metric_keys: str = METRICS,
    metrics_file: list[Path] = METRICS_FILE,
    model: Path = MODEL,
    class_name: str = CLASS_NAME,
    device: str = DEVICE,
    detector: str = DETECTOR,
    parallel: bool = PARALLEL,
    cache: bool = CACHE,
    trust: bool = TRUST,
    executor: str = EXECUTOR,
    ray_address: str = RAY_ADDRESS,
    spectral: str = SPECTRAL,
) -> None:
    """Write the HTML report, metrics.csv, transitions.csv and PNG charts.

    Several run folders share each chart, one colour and dash per run.
    Without --metrics, every built-in metric (and those of --metrics-file).
    """
    _check_detector(detector)
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
    with reported_errors():
        results = compute_with_progress(run_dirs, metric_keys or "all", options)
        files = _write_report(results, out, detector, trust)
    for path in files:
        typer.echo(str(path))


def load_dir(
    run_dir: Path = RUN_DIR,
    model: Path = MODEL,
    class_name: str = CLASS_NAME,
    trust: bool = TRUST,
) -> None:
    """Find the checkpoints of a run and remember it for plot-metric.

    With --model, the model class is built and the first checkpoint loaded
    into it strictly, so a mismatch shows now rather than mid-computation.
    The run is saved to .phaseviz_state.json in the current folder.
    """
    from phaseviz.checkpoints import ModelSpec, discover_run
    from phaseviz.state import RunState, save_state

    start_logging()
    with reported_errors():
        run = discover_run(run_dir, trust=trust)
        spec = ModelSpec(model.resolve(), class_name) if model else None
        if spec is not None:
            _check_model(run, spec, trust)

    state = RunState(
        run_dir=str(run.path.resolve()),
        model_path=str(spec.path) if spec else None,
        class_name=class_name,
        trust=trust,
    )
    _describe_run(run, spec)
    typer.echo(f"saved to {save_state(state)}; next: phaseviz plot-metric")


def plot_metric(
    device: str = DEVICE,
    parallel: bool = PARALLEL,
    metric_keys: str = METRICS,
    metrics_file: list[Path] = METRICS_FILE,
    detector: str = DETECTOR,
    no_browser: bool = NO_BROWSER,
    out: Path = ALSO_OUT,
    cache: bool = CACHE,
) -> None:
    """Pick metrics for the run of load-dir and show them on a temporary page.

    Without --metrics, a prompt asks for them (answers are read from stdin
    when it is not a terminal). The page is served from 127.0.0.1 and its
    file deleted when the page is closed, Enter is pressed or the command
    is stopped.
    """
    from phaseviz.checkpoints import discover_run
    from phaseviz.state import load_state

    _check_detector(detector)
    start_logging()
    with reported_errors():
        state = load_state()
        run = discover_run(Path(state.run_dir), trust=state.trust)
        files = list(metrics_file or ())
        keys = metric_keys or _prompt_metrics(run, files)
        if not keys:
            typer.echo("No metrics chosen; nothing computed.")
            return

        options = compute_options(
            device=device,
            model=Path(state.model_path) if state.model_path else None,
            class_name=state.class_name,
            metrics_file=files,
            trust=state.trust,
            cache=cache,
            parallel=parallel,
            per_layer=False,
        )
        results = compute_with_progress([run.path], keys, options)
        if out is not None:
            for path in _write_report(results, out, detector, state.trust):
                typer.echo(str(path))
        if out is None or not no_browser:
            _serve(results, detector, state.trust, open_browser=not no_browser)


def register(app: typer.Typer) -> None:
    """Add ``export``, ``load-dir`` and ``plot-metric`` to the app."""
    app.command("export", epilog=EXIT_CODES_HELP)(export)
    app.command("load-dir", epilog=EXIT_CODES_HELP)(load_dir)
    app.command("plot-metric", epilog=EXIT_CODES_HELP)(plot_metric)


def _check_detector(detector: str) -> None:
    from phaseviz.transitions import DETECTORS

    if detector not in DETECTORS:
        raise fail(f"unknown detector {detector!r}; known: {', '.join(DETECTORS)}", 2)


def _write_report(
    results: list[RunResults], out: Path, detector: str, trust: bool
) -> list[Path]:
    from phaseviz.report import export_report

    try:
        return export_report(results, out, detector=detector, trust=trust).all
    except OSError as error:
        raise fail(f"{out}: cannot write the report there ({error})", 1) from None


def _serve(
    results: list[RunResults], detector: str, trust: bool, *, open_browser: bool
) -> None:
    from phaseviz.report import render_report, serve_report

    html = render_report(results, detector=detector, trust=trust)
    serve_report(
        html,
        open_browser=None if open_browser else False,
        echo=lambda line: typer.echo(line, err=True),
    )


def _check_model(run: Run, spec: ModelSpec, trust: bool) -> None:
    from phaseviz.checkpoints.errors import ModelError, RunError
    from phaseviz.engine.loading import ParameterLoader

    if not run.checkpoints:
        raise RunError(f"{run.path}: no readable checkpoint to load the model with")
    loader = ParameterLoader(spec, trust)
    first = run.checkpoints[0]
    try:
        loader.load(first)
    except ModelError as error:
        # The loader's message says what does not fit, not which files.
        raise ModelError(
            f"{first.path}: cannot be loaded into {spec.class_name or 'the class'} "
            f"of {spec.path}: {error}"
        ) from None


def _describe_run(run: Run, spec: ModelSpec | None) -> None:
    checkpoints = run.checkpoints
    typer.echo(f"run {run.name!r} in {run.path.resolve()}")
    steps = run.steps
    span = f", steps {steps[0]}–{steps[-1]}" if steps else ""
    typer.echo(f"{len(checkpoints)} checkpoints{span}")
    typer.echo(f"formats: {_counted(c.format for c in checkpoints)}")
    typer.echo(f"steps from: {_counted(c.step_source for c in checkpoints)}")

    recorded = list(dict.fromkeys(name for c in checkpoints for name in c.recorded))
    if recorded:
        typer.echo("recorded scalars: " + ", ".join(recorded))
    if run.skipped:
        typer.echo(f"skipped {len(run.skipped)} files:")
        for skipped in run.skipped:
            typer.echo(f"  {skipped.path}: {skipped.reason}")
    if spec is not None:
        typer.echo(
            f"model: {spec.class_name or 'the class'} in {spec.path} builds and "
            f"loads {checkpoints[0].name} strictly"
        )


def _counted(items: object) -> str:
    counts = Counter(items)  # type: ignore[call-overload]
    return ", ".join(f"{item} ×{n}" for item, n in counts.most_common()) or "none"


def _prompt_metrics(run: Run, files: list[Path]) -> str:
    """Ask for metrics until ``done``; the keys chosen, empty for ``exit``.

    ``files`` grows by each custom metric file entered, so the engine
    computes its metrics.
    """
    from phaseviz.engine import available_metrics
    from phaseviz.metrics import BUILTIN

    offered = {m.key: m for m in available_metrics(run, files)}
    chosen = [m.key for m in offered.values() if m.group == "custom"]
    typer.echo(PROMPT_HELP)
    while True:
        answer = _ask("metric> ")
        if answer is None:
            return ",".join(chosen)
        answer = answer.strip()
        if answer == "exit":
            return ""
        if answer == "done":
            if chosen:
                return ",".join(chosen)
            typer.echo("Nothing chosen yet: enter a metric key first, or 'exit'.")
        elif answer == "metrics":
            _list_metrics(offered, chosen)
        elif answer == "all":
            _choose(chosen, list(BUILTIN), offered)
        elif answer.endswith(".py"):
            _add_metric_file(run, files, Path(answer).expanduser(), offered, chosen)
        elif answer:
            for key in re.split(r"[,\s]+", answer):
                if key:
                    _add_key(key, offered, chosen)


def _ask(prompt: str) -> str | None:
    """One answer, or None at the end of input."""
    if sys.stdin.isatty():
        try:
            return input(prompt)
        except EOFError:
            return None
    typer.echo(prompt, nl=False)
    line = sys.stdin.readline()
    if not line:
        typer.echo()
        return None
    # Echo piped answers so that the transcript reads like a session.
    typer.echo(line.rstrip("\n"))
    return line


def _add_key(key: str, offered: dict[str, Metric], chosen: list[str]) -> None:
    if key in offered:
        _choose(chosen, [key], offered)
        return
    close = difflib.get_close_matches(key, list(offered), n=3, cutoff=0.5)
    hint = f"closest: {', '.join(close)}" if close else "type 'metrics' for the list"
    typer.echo(f"Unknown metric {key!r}; {hint}.")


def _choose(chosen: list[str], keys: list[str], offered: dict[str, Metric]) -> None:
    new = [key for key in keys if key not in chosen]
    chosen.extend(new)
    if not new:
        typer.echo("Already chosen.")
    elif len(new) == 1:
        typer.echo(f"Added {new[0]} ({offered[new[0]].title}).")
    else:
        typer.echo(f"Added {len(new)} metrics: {', '.join(new)}.")
    typer.echo(f"Chosen: {', '.join(chosen)}")


def _add_metric_file(
    run: Run,
    files: list[Path],
    path: Path,
    offered: dict[str, Metric],
    chosen: list[str],
) -> None:
    from phaseviz.checkpoints.errors import PhasevizError
    from phaseviz.engine import available_metrics

    if not path.is_file():
        typer.echo(f"{path}: no such file; enter the path of a .py file of metrics.")
        return
    try:
        found = available_metrics(run, [*files, path])
    except PhasevizError as error:
        typer.echo(str(error))
        return

    new = [m for m in found if m.group == "custom" and m.key not in offered]
    if not new:
        typer.echo(f"{path}: no new *_of_model functions in it.")
        return
    files.append(path)
    offered.update((m.key, m) for m in new)
    _choose(chosen, [m.key for m in new], offered)


def _list_metrics(offered: dict[str, Metric], chosen: list[str]) -> None:
    width = max(len(key) for key in offered)
    for metric in offered.values():
        mark = "*" if metric.key in chosen else " "
        typer.echo(f" {mark} {metric.key:<{width}}  {metric.title}  [{metric.group}]")
    typer.echo("(* chosen)")
