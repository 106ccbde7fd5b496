"""``phaseviz tui``: the terminal app."""

from __future__ import annotations

from pathlib import Path

import typer

from phaseviz.cli.common import (
    CACHE,
    CLASS_NAME,
    DEVICE,
    EXIT_CODES_HELP,
    METRICS,
    METRICS_FILE,
    MODEL,
    PARALLEL,
    TRUST,
    compute_options,
    fail,
    reported_errors,
    start_logging,
)

RUN_DIRS = typer.Argument(
    None,
    metavar="DIR",
    help="Run folders, overlaid on every chart; default: the run of load-dir.",
)
WATCH = typer.Option(
    False, "--watch", help="Poll the folders every 2 s and chart new checkpoints."
)
DETECTOR = typer.Option(
    "default", "--detector", help="The transition detector to start with (t cycles)."
)
KEYS = typer.Option(
    None,
    "--keys",
    metavar="ID=KEY,...",
    help="Remap keys by binding id, e.g. toggle_metric=x,quit=ctrl+q (see ?).",
)


def tui(
    run_dirs: list[Path] | None = RUN_DIRS,
    metric_keys: str | None = METRICS,
    metrics_file: list[Path] | None = METRICS_FILE,
    model: Path | None = MODEL,
    class_name: str | None = CLASS_NAME,
    device: str = DEVICE,
    watch: bool = WATCH,
    detector: str = DETECTOR,
    keys: str | None = KEYS,
    parallel: bool = PARALLEL,
    cache: bool = CACHE,
    trust: bool = TRUST,
) -> None:
    """Browse metric charts of a run in the terminal, by keyboard.

    space charts the highlighted metric, ←/→ move the checkpoint cursor,
    o overlays the charts, l shows layers, e exports the report, ? lists
    every key.
    """
    from phaseviz.tui import run_tui

    start_logging()
    keymap = _keymap(keys)
    with reported_errors():
        if not run_dirs:
            run_dirs, model, class_name, trust = _saved_run(model, class_name, trust)
        options = compute_options(
            device=device,
            model=model,
            class_name=class_name,
            metrics_file=metrics_file,
            trust=trust,
            cache=cache,
            parallel=parallel,
        )
        metrics = [key.strip() for key in (metric_keys or "").split(",") if key.strip()]
        run_tui(
            run_dirs,
            metrics=metrics,
            options=options,
            watch=watch,
            detector=detector,
            keymap=keymap,
        )


def _saved_run(
    model: Path | None, class_name: str | None, trust: bool
) -> tuple[list[Path], Path | None, str | None, bool]:
    """The run folder, model and trust saved by ``phaseviz load-dir``."""
    from phaseviz.state import load_state

    state = load_state()
    if model is None and state.model_path:
        model = Path(state.model_path)
        class_name = class_name or state.class_name
    return [Path(state.run_dir)], model, class_name, trust or state.trust


def _keymap(keys: str | None) -> dict[str, str]:
    keymap = {}
    for item in (keys or "").split(","):
        if not item.strip():
            continue
        binding_id, _, key = item.partition("=")
        if not key.strip():
            raise fail(f"--keys {item!r}: write it as ID=KEY, e.g. quit=ctrl+q", 2)
        keymap[binding_id.strip()] = key.strip()
    return keymap


def register(app: typer.Typer) -> None:
    """Add ``tui`` to the app."""
    app.command("tui", epilog=EXIT_CODES_HELP)(tui)
