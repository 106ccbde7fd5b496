"""Messages that background workers send to the app.

Workers never touch widgets: they post these, and the app updates the
session and redraws on its own thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from phaseviz.checkpoints.run import Run
from phaseviz.engine.events import MetricFailed, ValueComputed

if TYPE_CHECKING:
    from phaseviz.metrics import Metric


@dataclass
class ComputeStarted(Message):
    """A computation has begun on ``device`` (after any CUDA fallback)."""

    job: int
    device: str


@dataclass
class ValuesArrived(Message):
    """A batch of values and metric failures for one run.

    Attributes:
        job: The computation that produced them.
        run_index: The run's position in the app.
        events: The engine's ``ValueComputed`` and ``MetricFailed`` events.
    """

    job: int
    run_index: int
    events: Sequence[ValueComputed | MetricFailed]


@dataclass
class ComputeProgress(Message):
    """How many checkpoints a computation has settled.

    A newer progress message of the same computation replaces one still
    waiting in the queue, so a busy app only draws the latest.
    """

    job: int
    done: int
    total: int

    def can_replace(self, message: Message) -> bool:
        """True for a queued progress message of the same computation."""
        return isinstance(message, ComputeProgress) and message.job == self.job


@dataclass
class CheckpointUnreadable(Message):
    """A checkpoint could not be read; the computation went on without it."""

    run_index: int
    index: int
    message: str


@dataclass
class EngineNotice(Message):
    """Something the engine wants the user to know, such as a device fallback."""

    message: str


@dataclass
class ComputeEnded(Message):
    """A computation stopped: finished, cancelled, or failed as a whole.

    Attributes:
        job: The computation.
        error: Why it could not run at all (a bad model or metric file).
    """

    job: int
    error: str | None = None


@dataclass
class RunChanged(Message):
    """A watched run folder has new, changed or removed checkpoints."""

    run_index: int
    run: Run


@dataclass
class CustomMetricsLoaded(Message):
    """A custom metrics file was read; ``metrics`` are the ones it defines."""

    path: Path
    metrics: Sequence[Metric]


@dataclass
class CustomMetricsFailed(Message):
    """A custom metrics file could not be used; ``message`` says why."""

    message: str


@dataclass
class ReportExported(Message):
    """The report was written; ``paths`` are its files."""

    folder: Path
    paths: Sequence[Path]


@dataclass
class ExportFailed(Message):
    """The report could not be written."""

    message: str
