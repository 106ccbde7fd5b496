"""The records a transition detector returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    """A step where a metric's behaviour changes.

    Attributes:
        step: The training step of the first checkpoint after the change.
        index: That checkpoint's position in the series.
        score: The strength of the change; larger is stronger. Its scale is
            the detector's own (see docs/transitions.md).
        before: The metric's typical value just before the change.
        after: The metric's typical value just after the change.
        kind: ``level`` (a jump), ``slope`` (a change of rate) or
            ``relative`` (the threshold rule).
        slope_before: The fitted rate of change, in metric units per step,
            just before the change; None where the detector fits no slope.
        slope_after: The fitted rate of change just after the change.
    """

    step: int
    index: int
    score: float
    before: float
    after: float
    kind: str = "level"
    slope_before: float | None = None
    slope_after: float | None = None


@dataclass(frozen=True)
class Agreement:
    """A step where several metrics change together.

    Attributes:
        step: The step the metrics' transitions gather around.
        index: That checkpoint's position in the run.
        metrics: The keys of the metrics that change there.
        score: The combined strength; agreements are ranked by it.
    """

    step: int
    index: int
    metrics: tuple[str, ...]
    score: float
