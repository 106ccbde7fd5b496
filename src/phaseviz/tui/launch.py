"""Getting a session ready before the app takes over the terminal."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.checkpoints.run import Run
from phaseviz.tui.session import Session, default_metrics

if TYPE_CHECKING:
    from phaseviz.engine import ComputeOptions
    from phaseviz.metrics import Metric

logger = logging.getLogger(__name__)


class UnknownDetectorError(PhasevizError):
    """The detector name is not one of ``phaseviz.transitions.DETECTORS``."""

    exit_code = 2


def open_session(
    run_dirs: Sequence[Path],
    metrics: Sequence[str],
    options: ComputeOptions,
    detector: str = "default",
) -> Session:
    """List the runs and check the request; the app's starting session.

    Args:
        run_dirs: The run folders.
        metrics: The metric keys to chart first, ``all`` for every built-in
            one, or none for the defaults.
        options: How the engine will compute; its model file is imported
            here, so a broken one is reported before the app starts.
        detector: The transition detector's name.

    Raises:
        RunError: A folder is missing or holds no readable checkpoint.
        UnknownMetricError: A metric key is not offered by the runs.
        UnknownDetectorError: ``detector`` is not a known detector.
        MetricFileError: A custom metrics file cannot be used.
        ModelError: The model file or class cannot be used.
    """
    from phaseviz.checkpoints import discover_run, load_model_class
    from phaseviz.metrics import BUILTIN
    from phaseviz.transitions import DETECTORS

    if detector not in DETECTORS:
        raise UnknownDetectorError(
            f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}"
        )
    if options.model is not None:
        load_model_class(options.model)
    runs = [discover_run(Path(path), trust=options.trust) for path in run_dirs]
    available = offered_metrics(runs, options.metric_files)
    metrics = [k for key in metrics for k in (BUILTIN if key == "all" else [key])]
    _check_keys(metrics, available)

    selected = list(metrics) or default_metrics(available)
    for run in runs:
        logger.info("opening run %s: %d checkpoints", run.name, len(run.checkpoints))
    return Session(runs, available, selected, detector)


def offered_metrics(runs: Sequence[Run], metric_files: Sequence[Path]) -> list[Metric]:
    """Every metric any of the runs offers, each once, in the engine's order."""
    from phaseviz.engine import available_metrics

    offered: dict[str, Metric] = {}
    for run in runs:
        for metric in available_metrics(run, metric_files):
            offered.setdefault(metric.key, metric)
    return list(offered.values())


def _check_keys(keys: Sequence[str], available: Sequence[Metric]) -> None:
    from phaseviz.metrics import UnknownMetricError

    known = [m.key for m in available]
    for key in keys:
        if key not in known:
            raise UnknownMetricError(key, difflib.get_close_matches(key, known, n=3))
