"""A metric's series made ready for a detector: finite, sorted, one per step."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """The checkpoints of one metric that a detector can use.

    Attributes:
        steps: The distinct finite steps, ascending.
        values: The metric's value at each step (the mean where the caller
            gave several values for one step).
        origin: For each point, its position in the caller's sequences (the
            first of them where several shared a step).
        given_steps: The caller's steps as given, to report them unchanged.
    """

    steps: np.ndarray
    values: np.ndarray
    origin: np.ndarray
    given_steps: Sequence[float]

    def __len__(self) -> int:
        return len(self.values)

    def step_at(self, point: int) -> int:
        """The caller's step of ``point``, as an int where it is integral."""
        step = self.given_steps[int(self.origin[point])]
        if float(step).is_integer():
            return int(step)
        # A fractional step (an epoch count, say) is kept rather than rounded.
        return cast(int, float(step))

    def index_at(self, point: int) -> int:
        """The position of ``point`` in the caller's sequences."""
        return int(self.origin[point])

    def subset(self, keep: np.ndarray) -> Series:
        """The points where ``keep`` is true, positions unchanged."""
        return Series(
            steps=self.steps[keep],
            values=self.values[keep],
            origin=self.origin[keep],
            given_steps=self.given_steps,
        )


def prepare(steps: Sequence[float], values: Sequence[float]) -> Series:
    """Drop missing values, sort by step and merge repeated steps.

    A checkpoint whose value or step is NaN or infinite carries no
    information about the trend and is left out; transitions found on the
    rest keep the positions of the caller's sequences.

    Args:
        steps: The training step of each checkpoint, in any order.
        values: The metric's value at each checkpoint.

    Returns:
        The usable points, in step order.

    Raises:
        ValueError: If ``steps`` and ``values`` differ in length.
    """
    if len(steps) != len(values):
        raise ValueError(
            f"steps and values differ in length ({len(steps)} and "
            f"{len(values)}); give one value per checkpoint"
        )
    step_array = np.asarray(steps, dtype=float).reshape(-1)
    value_array = np.asarray(values, dtype=float).reshape(-1)

    finite = np.isfinite(step_array) & np.isfinite(value_array)
    kept = np.flatnonzero(finite)
    if len(kept) < len(step_array):
        logger.debug(
            "left out %d checkpoints without a finite value",
            len(step_array) - len(kept),
        )

    order = kept[np.argsort(step_array[kept], kind="stable")]
    sorted_steps = step_array[order]
    unique, first, counts = np.unique(
        sorted_steps, return_index=True, return_counts=True
    )
    sums = np.add.reduceat(value_array[order], first) if len(order) else first
    if np.any(counts > 1):
        logger.debug(
            "averaged the values of %d repeated steps", int(np.sum(counts > 1))
        )

    return Series(
        steps=unique,
        values=np.asarray(sums, dtype=float) / np.maximum(counts, 1),
        origin=order[first],
        given_steps=steps,
    )
