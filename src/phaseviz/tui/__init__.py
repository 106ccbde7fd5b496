"""The phaseviz terminal app.

Importing this package is cheap; Textual and the engine load when the app
starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from phaseviz.engine import ComputeOptions

__all__ = ["run_tui"]


def run_tui(
    run_dirs: Sequence[Path],
    *,
    metrics: Sequence[str],
    options: ComputeOptions,
    watch: bool = False,
    detector: str = "default",
    keymap: Mapping[str, str] | None = None,
) -> None:
    """Open the terminal app on the runs in ``run_dirs``.

    Every run is listed, and the metric keys and detector checked, before
    the app takes the terminal, so a mistake is reported as a plain error.

    Args:
        run_dirs: The run folders; several are overlaid on every chart.
        metrics: The metric keys to chart first; empty for the defaults (the
            L2 norm, effective rank and a recorded test accuracy if any).
        options: How the engine computes.
        watch: Poll the folders for new checkpoints every two seconds.
        detector: The transition detector to start with.
        keymap: Binding id -> keys, to remap the app's keys.

    Raises:
        RunError: A folder is missing or holds no readable checkpoint.
        UnknownMetricError: A key or the detector is not known.
        MetricFileError: A custom metrics file cannot be used.
    """
    from phaseviz.tui.app import PhasevizApp
    from phaseviz.tui.launch import open_session

    session = open_session(run_dirs, metrics, options, detector)
    PhasevizApp(session, options, watch=watch, keymap=keymap).run()
