"""What the engine reports while it computes a run, one event at a time.

Views consume these as they arrive: a progress bar counts ``CheckpointDone``,
a chart draws each ``ValueComputed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from phaseviz.checkpoints.run import Checkpoint


@dataclass(frozen=True)
class ValueComputed:
    """A metric's value at one checkpoint, fresh or from the cache.

    Attributes:
        index: The checkpoint's position in the run.
        checkpoint: The checkpoint.
        metric: The metric's key.
        value: The value (NaN when undefined or failed).
        layers: Per-layer values by state-dict name, where the metric has them.
        cached: True when the value came from the results cache.
        done: Checkpoints of this run done so far, this one included.
        total: Checkpoints in this computation.
    """

    index: int
    checkpoint: Checkpoint
    metric: str
    value: float
    layers: dict[str, float] | None
    cached: bool
    done: int
    total: int


@dataclass(frozen=True)
class MetricFailed:
    """A metric raised or returned a non-number at one checkpoint.

    Its value is NaN; the message names the metric, checkpoint and error.
    """

    index: int
    checkpoint: Checkpoint
    metric: str
    message: str


@dataclass(frozen=True)
class CheckpointFailed:
    """A checkpoint could not be read; every metric at it is skipped."""

    index: int
    checkpoint: Checkpoint
    message: str
    done: int
    total: int


@dataclass(frozen=True)
class CheckpointDone:
    """Every requested metric at one checkpoint is settled.

    Attributes:
        cached: True when nothing had to be computed.
        seconds: Time spent reading and computing this checkpoint.
    """

    index: int
    checkpoint: Checkpoint
    done: int
    total: int
    cached: bool
    seconds: float


@dataclass(frozen=True)
class Notice:
    """Something the user should know once, such as a device fallback."""

    message: str


Event = ValueComputed | MetricFailed | CheckpointFailed | CheckpointDone | Notice
