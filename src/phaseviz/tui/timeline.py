"""The steps every chart shares: the checkpoint cursor, the zoomed range, the axis.

On a log step axis, zooming halves and doubles the range in log(step), so
a zoom around an early checkpoint of a log-spaced run keeps as many
checkpoints either side as one around a late checkpoint.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

from phaseviz.tui.step_axis import StepAxis, offset_for

MIN_VISIBLE = 3
"""Zooming in stops before fewer checkpoints than this would stay in view."""


class Timeline:
    """The sorted steps of all runs, a cursor on one of them, a visible range.

    Args:
        steps: The checkpoints' steps, in any order, repeats allowed.
        log: Chart, zoom and pan along log(step) rather than the step.
    """

    def __init__(self, steps: Iterable[int] = (), log: bool = False) -> None:
        self.steps: list[int] = sorted(set(steps))
        self.cursor = len(self.steps) - 1
        self.window: tuple[int, int] | None = None
        self.log = log

    @property
    def axis(self) -> StepAxis:
        """Where each step sits along every chart's x axis."""
        return StepAxis(self.log, offset_for(self.steps) if self.log else 0.0)

    @property
    def cursor_step(self) -> int | None:
        """The step under the cursor, None while there are no checkpoints."""
        return self.steps[self.cursor] if self.steps else None

    @property
    def full(self) -> tuple[int, int]:
        """The first and last step."""
        return (self.steps[0], self.steps[-1]) if self.steps else (0, 0)

    @property
    def span(self) -> tuple[int, int]:
        """The steps at the left and right edge of every chart."""
        return self.window or self.full

    @property
    def zoomed(self) -> bool:
        """True while the charts show less than the whole run."""
        return self.window is not None

    def set_steps(self, steps: Iterable[int]) -> None:
        """Take a new set of steps, as when a watched run gains checkpoints.

        The cursor keeps its step; a cursor on the last step follows the end.
        """
        at_end = self.cursor == len(self.steps) - 1
        old = self.cursor_step
        self.steps = sorted(set(steps))
        if at_end or old is None:
            self.cursor = len(self.steps) - 1
        else:
            self.cursor = min(bisect_left(self.steps, old), len(self.steps) - 1)

    def move(self, delta: int) -> None:
        """Move the cursor by ``delta`` checkpoints, panning a zoomed view along."""
        if not self.steps:
            return

        self.cursor = max(0, min(self.cursor + delta, len(self.steps) - 1))
        step = self.steps[self.cursor]
        if self.window and not self.window[0] <= step <= self.window[1]:
            axis = self.axis
            left, right = (axis.x(edge) for edge in self.window)
            width = right - left
            at = axis.x(step)
            self.window = self._fit(at if step < self.window[0] else at - width, width)

    def zoom_in(self) -> bool:
        """Halve the visible range around the cursor.

        Returns:
            False when the range already holds too few checkpoints to halve.
        """
        if self.cursor_step is None:
            return False

        axis = self.axis
        low, high = (axis.x(edge) for edge in self.span)
        width = (high - low) / 2
        window = self._fit(axis.x(self.cursor_step) - width / 2, width)
        if self._count(window) < MIN_VISIBLE:
            return False
        self.window = window
        return True

    def zoom_out(self) -> None:
        """Double the visible range around the cursor, up to the whole run."""
        if self.window is None or self.cursor_step is None:
            return

        axis = self.axis
        low, high = (axis.x(edge) for edge in self.window)
        first, last = (axis.x(edge) for edge in self.full)
        width = (high - low) * 2
        # Log coordinates of round steps do not double exactly.
        if width >= (last - first) * (1 - 1e-9):
            self.window = None
            return
        self.window = self._fit(axis.x(self.cursor_step) - width / 2, width)

    def reset(self) -> None:
        """Show the whole run again."""
        self.window = None

    def _fit(self, low: float, width: float) -> tuple[int, int]:
        """The steps of a window ``width`` wide from near ``low``, inside the run.

        ``low`` and ``width`` are along the axis (log(step) on a log axis).
        """
        axis = self.axis
        first, last = (axis.x(edge) for edge in self.full)
        low = max(first, min(low, last - width))
        high = min(low + width, last)
        return round(axis.step(low)), round(axis.step(high))

    def _count(self, window: tuple[int, int]) -> int:
        return sum(window[0] <= step <= window[1] for step in self.steps)
