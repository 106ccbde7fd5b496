"""One computation of some metrics over one run, as the app's worker runs it.

The loop turns the engine's events into the app's messages: values travel in
batches so a run read from the cache does not flood the app with thousands
of messages, and progress is posted once per checkpoint.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.checkpoints.run import Run
from phaseviz.engine.events import (
    CheckpointDone,
    CheckpointFailed,
    MetricFailed,
    Notice,
    ValueComputed,
)
from phaseviz.tui.messages import (
    CheckpointUnreadable,
    ComputeEnded,
    ComputeProgress,
    ComputeStarted,
    EngineNotice,
    ValuesArrived,
)

if TYPE_CHECKING:
    from phaseviz.engine import ComputeOptions

logger = logging.getLogger(__name__)

BATCH_SECONDS = 0.1
"""Values read from the cache are sent at most this often."""


@dataclass
class Job:
    """A computation the app has started, and how far it has got.

    Attributes:
        id: Tells the computation's messages apart from others'.
        run_index: The run's position in the app.
        run: The run as it was listed when the computation started.
        metrics: The metric keys computed.
        done: Checkpoints settled so far.
        total: Checkpoints in the computation (known from its first progress).
    """

    id: int
    run_index: int
    run: Run
    metrics: tuple[str, ...]
    done: int = 0
    total: int = 0


@dataclass
class _Batch:
    """Values waiting to be sent, and when the last batch went."""

    events: list[ValueComputed | MetricFailed] = field(default_factory=list)
    sent: float = field(default_factory=time.monotonic)


def compute(
    job: Job,
    options: ComputeOptions,
    cancel: threading.Event,
    post: Callable[[Message], object],
) -> None:
    """Compute ``job``'s metrics over its run, posting what happens.

    Runs on a worker thread and never raises: an error that stops the whole
    computation (a bad model or metric file) ends it with ``ComputeEnded``
    carrying the message.

    Args:
        job: The computation to run.
        options: How the engine should compute.
        cancel: Set by the app to stop soon, as when it quits.
        post: Sends a message to the app; safe to call from this thread.
    """
    from phaseviz.engine import compute_run

    run = job.run
    batch = _Batch()
    error: str | None = None
    try:
        computation = compute_run(run, job.metrics, options, cancel=cancel)
        post(ComputeStarted(job.id, str(computation.device)))
        for event in computation:
            _handle(event, job, batch, post)
            if cancel.is_set():
                break
        _flush(job, batch, post)
    except PhasevizError as exc:
        error = str(exc)
        logger.warning(
            "computing %s on run %s stopped: %s",
            ", ".join(job.metrics),
            run.name,
            error,
        )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.exception(
            "computing %s on run %s failed", ", ".join(job.metrics), run.name
        )
    finally:
        post(ComputeEnded(job.id, error))


def _handle(
    event: object, job: Job, batch: _Batch, post: Callable[[Message], object]
) -> None:
    if isinstance(event, ValueComputed | MetricFailed):
        batch.events.append(event)
        if time.monotonic() - batch.sent >= BATCH_SECONDS:
            _flush(job, batch, post)
    elif isinstance(event, CheckpointDone):
        # A freshly computed checkpoint took long enough that its values should
        # show now; cached ones are gathered so they arrive in a few batches.
        if not event.cached or time.monotonic() - batch.sent >= BATCH_SECONDS:
            _flush(job, batch, post)
        post(ComputeProgress(job.id, event.done, event.total))
    elif isinstance(event, CheckpointFailed):
        _flush(job, batch, post)
        post(CheckpointUnreadable(job.run_index, event.index, event.message))
        post(ComputeProgress(job.id, event.done, event.total))
    elif isinstance(event, Notice):
        post(EngineNotice(event.message))


def _flush(job: Job, batch: _Batch, post: Callable[[Message], object]) -> None:
    if batch.events:
        post(ValuesArrived(job.id, job.run_index, tuple(batch.events)))
        batch.events.clear()
    batch.sent = time.monotonic()


def describe(job: Job, titles: Sequence[str]) -> str:
    """A worker description: which metrics on which run."""
    return f"computing {', '.join(titles)} on run {job.run.name} (job {job.id})"
