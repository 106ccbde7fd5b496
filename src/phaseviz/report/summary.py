"""The run summary at the top of a report."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.checkpoints.run import Run
from phaseviz.results import RunResults

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What a reader needs to know about a run before reading its charts.

    Attributes:
        run: The run's name as shown in the report.
        path: The run folder.
        checkpoints: How many checkpoints were read.
        first_step: The first step, or None for a run without checkpoints.
        last_step: The last step.
        parameters: Floating-point elements of the last checkpoint, or None
            when it could not be read.
        formats: Checkpoint formats and how many of each, e.g. ``torch ×12``.
        device: The device the values were computed on.
        compute_seconds: Wall time spent computing.
        skipped: Checkpoint files that could not be read.
        failed: Values that failed (NaN in the charts).
    """

    run: str
    path: str
    checkpoints: int
    first_step: int | None
    last_step: int | None
    parameters: int | None
    formats: str
    device: str
    compute_seconds: float
    skipped: int
    failed: int


def summarize_run(results: RunResults, name: str, *, trust: bool = False) -> RunSummary:
    """Summarize ``results`` for the report.

    Args:
        results: The run's values.
        name: The run's name as the report shows it.
        trust: Unpickle arbitrary objects when reading the checkpoint whose
            parameters are counted.
    """
    run = results.run
    steps = run.steps
    formats = Counter(c.format for c in run.checkpoints)
    return RunSummary(
        run=name,
        path=str(run.path),
        checkpoints=len(run.checkpoints),
        first_step=steps[0] if steps else None,
        last_step=steps[-1] if steps else None,
        parameters=count_parameters(run, trust=trust),
        formats=", ".join(f"{fmt} ×{n}" for fmt, n in formats.most_common()),
        device=results.device,
        compute_seconds=results.compute_seconds,
        skipped=len(run.skipped),
        failed=sum(len(errors) for errors in results.errors.values()),
    )


def count_parameters(run: Run, *, trust: bool = False) -> int | None:
    """The number of floating-point elements in the last checkpoint of ``run``.

    Read from the file's header or memory-mapped shapes, so it costs little.
    None when the run has no checkpoint or it cannot be read, which the
    report shows as unknown rather than failing.
    """
    if not run.checkpoints:
        return None
    checkpoint = run.checkpoints[-1]
    missing = [path for path in checkpoint.files if not path.exists()]
    if missing:
        logger.warning(
            "checkpoint %s: parameters not counted (%s is gone)",
            checkpoint.name,
            missing[0],
        )
        return None

    from phaseviz.checkpoints import count_parameters as count_elements

    try:
        return count_elements(checkpoint, trust=trust)
    except (PhasevizError, OSError, RuntimeError, ValueError) as error:
        logger.warning(
            "checkpoint %s: parameters not counted (%s)", checkpoint.name, error
        )
        return None
