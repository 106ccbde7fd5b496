"""Where test accuracy jumps: the step a run generalises."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# A rise smaller than this (in accuracy, 0 to 1) is not a jump.
MIN_RISE = 0.5


@dataclass(frozen=True)
class AccuracyJump:
    """The checkpoint at which accuracy crosses halfway to its final value.

    Attributes:
        index: The checkpoint's position in the run.
        step: Its training step.
        low: The lowest accuracy before it (the memorisation plateau).
        high: The accuracy at the last checkpoint.
        before: The accuracy at the checkpoint just before the jump.
        after: The accuracy at the jump.
    """

    index: int
    step: int
    low: float
    high: float
    before: float
    after: float


def accuracy_jump(
    steps: Sequence[int], accuracies: Sequence[float], *, min_rise: float = MIN_RISE
) -> AccuracyJump | None:
    """The first checkpoint where accuracy crosses the midpoint of its rise.

    With ``low`` the lowest accuracy of the run and ``high`` the last one,
    the jump is the first checkpoint after the lowest at which

        accuracy ≥ (low + high) / 2.

    Args:
        steps: The training step of each checkpoint, ascending.
        accuracies: The accuracy at each checkpoint, in [0, 1].
        min_rise: The least ``high − low`` that counts as a jump.

    Returns:
        The jump, or None when accuracy never rises by ``min_rise``.

    Example:
        >>> accuracy_jump([0, 10, 20, 30], [0.02, 0.0, 0.9, 1.0]).step
        20
    """
    if len(steps) != len(accuracies):
        raise ValueError(
            f"steps and accuracies differ in length ({len(steps)} and "
            f"{len(accuracies)})"
        )
    if not accuracies:
        return None
    low = min(accuracies)
    lowest = list(accuracies).index(low)
    high = accuracies[-1]
    if high - low < min_rise:
        return None

    midpoint = (low + high) / 2
    for index in range(lowest + 1, len(accuracies)):
        if accuracies[index] >= midpoint:
            return AccuracyJump(
                index=index,
                step=steps[index],
                low=low,
                high=high,
                before=accuracies[index - 1],
                after=accuracies[index],
            )
    return None
