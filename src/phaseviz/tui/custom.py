"""Reading a custom metrics file from the app, on a worker thread."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.message import Message

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.checkpoints.run import Run
from phaseviz.tui.messages import CustomMetricsFailed, CustomMetricsLoaded

logger = logging.getLogger(__name__)


def load_custom(
    run: Run,
    files: Sequence[Path],
    path: Path,
    post: Callable[[Message], object],
) -> None:
    """Read the custom metrics of ``files``; post those ``path`` defines.

    Importing a file runs its code, so this runs on a worker thread; any
    error is posted as ``CustomMetricsFailed`` rather than raised.

    Args:
        run: A run, for the engine's list of metrics.
        files: Every custom metrics file in use, ``path`` last.
        path: The file just asked for.
        post: Sends a message to the app.
    """
    from phaseviz.engine import available_metrics

    try:
        metrics = available_metrics(run, list(files))
    except PhasevizError as error:
        post(CustomMetricsFailed(str(error)))
        return
    except Exception as error:
        logger.exception("reading custom metrics from %s failed", path)
        post(CustomMetricsFailed(f"{path}: {type(error).__name__}: {error}"))
        return

    custom = [m for m in metrics if m.group == "custom"]
    logger.info("custom metrics from %s: %s", path, ", ".join(m.key for m in custom))
    post(CustomMetricsLoaded(path, custom))
