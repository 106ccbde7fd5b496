"""The charts' x axis: the step itself, or log10(step + c) for log-spaced runs.

Whether a run counts as log-spaced is the transitions package's call
(:func:`~phaseviz.transitions.coordinates.choose_axis`), so the charts and
the detectors agree; the offset ``c`` that lets step 0 onto a log axis is
its :func:`~phaseviz.transitions.coordinates.log_offset`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from phaseviz.tui.series import format_step, nice_ticks

LOG_MULTIPLES = (5, 2)
"""Steps labelled within a decade on a log axis once the decades have room."""


def log_spaced(runs_steps: Iterable[Sequence[int]]) -> bool:
    """True when every run's checkpoints are spaced evenly in log(step).

    A run with too few distinct steps to tell counts as not log-spaced, as
    does a session without steps.
    """
    import numpy as np

    from phaseviz.transitions.coordinates import choose_axis

    choices = [
        choose_axis(np.array(sorted(set(steps)), dtype=float)) for steps in runs_steps
    ]
    return bool(choices) and all(choice == "log" for choice in choices)


def offset_for(steps: Sequence[int]) -> float:
    """The c of log10(step + c) for ``steps`` (ascending); 0 when all are positive."""
    if not steps:
        return 0.0
    import numpy as np

    from phaseviz.transitions.coordinates import log_offset

    return float(log_offset(np.array(steps, dtype=float)))


@dataclass(frozen=True)
class StepAxis:
    """Where a step sits along a chart's x axis.

    Attributes:
        log: Plot against log10(step + offset) rather than the step.
        offset: The c that keeps step 0 (or below) finite on the log axis.
    """

    log: bool = False
    offset: float = 0.0

    def x(self, step: float) -> float:
        """The x coordinate of ``step``."""
        if not self.log:
            return float(step)
        return math.log10(max(step + self.offset, 1e-12))

    def step(self, x: float) -> float:
        """The step at x coordinate ``x``; the inverse of :meth:`x`."""
        return 10**x - self.offset if self.log else x

    def ticks(
        self, low: float, high: float, count: int
    ) -> tuple[list[float], list[str]]:
        """About ``count`` ticks between the steps ``low`` and ``high``.

        Returns:
            The ticks' x coordinates and their labels, which are steps.
        """
        if not self.log:
            steps = nice_ticks(low, high, count)
        else:
            steps = self._log_ticks(low, high, count)
        return [self.x(s) for s in steps], [format_step(s) for s in steps]

    def _log_ticks(self, low: float, high: float, count: int) -> list[float]:
        """Round steps spread evenly in log(step): 0, decades, then 5s and 2s.

        Each is kept only if it sits far enough from those kept before, so
        labels never crowd the dense low end.
        """
        top = math.ceil(math.log10(max(high, 1.0)))
        decades = [10.0**k for k in range(top + 1)]
        candidates = [0.0] if self.offset > 0 else []
        candidates += decades
        for multiple in LOG_MULTIPLES:
            candidates += [multiple * d for d in decades]
        kept = self._spread(candidates, low, high, count)
        if len(kept) < 2:
            # A range narrower than a decade has round steps of its own.
            kept = self._spread(nice_ticks(low, high, count), low, high, count)
        return sorted(kept)

    def _spread(
        self, candidates: list[float], low: float, high: float, count: int
    ) -> list[float]:
        """The candidates in range, each 1/(count + 1) of the axis from the others."""
        least = (self.x(high) - self.x(low)) / (count + 1)
        kept: list[float] = []
        for step in candidates:
            if not low <= step <= high or step + self.offset <= 0:
                continue
            if all(abs(self.x(step) - self.x(other)) >= least for other in kept):
                kept.append(step)
        return kept
