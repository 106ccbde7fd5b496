"""The steps every chart shares: the checkpoint cursor and the zoomed range."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

MIN_VISIBLE = 3
"""Zooming in stops before fewer checkpoints than this would stay in view."""


class Timeline:
    """The sorted steps of all runs, a cursor on one of them, a visible range.

    Args:
        steps: The checkpoints' steps, in any order, repeats allowed.
    """

    def __init__(self, steps: Iterable[int] = ()) -> None:
        self.steps: list[int] = sorted(set(steps))
        self.cursor = len(self.steps) - 1
        self.window: tuple[int, int] | None = None

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
            width = self.window[1] - self.window[0]
            low = step if step < self.window[0] else step - width
            self.window = self._fit(low, width)

    def zoom_in(self) -> bool:
        """Halve the visible range around the cursor.

        Returns:
            False when the range already holds too few checkpoints to halve.
        """
        if self.cursor_step is None:
            return False

        low, high = self.span
        width = (high - low) / 2
        window = self._fit(self.cursor_step - width / 2, width)
        if self._count(window) < MIN_VISIBLE:
            return False
        self.window = window
        return True

    def zoom_out(self) -> None:
        """Double the visible range around the cursor, up to the whole run."""
        if self.window is None or self.cursor_step is None:
            return

        width = (self.window[1] - self.window[0]) * 2
        first, last = self.full
        if width >= last - first:
            self.window = None
            return
        self.window = self._fit(self.cursor_step - width / 2, width)

    def reset(self) -> None:
        """Show the whole run again."""
        self.window = None

    def _fit(self, low: float, width: float) -> tuple[int, int]:
        """A window of ``width`` starting near ``low``, moved inside the run."""
        first, last = self.full
        low = max(first, min(low, last - width))
        return round(low), round(min(low + width, last))

    def _count(self, window: tuple[int, int]) -> int:
        return sum(window[0] <= step <= window[1] for step in self.steps)
