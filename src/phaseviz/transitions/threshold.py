"""Phase-Viz's rule: a large relative change between consecutive checkpoints."""

from __future__ import annotations

import math
from collections.abc import Sequence

from phaseviz.transitions.series import prepare
from phaseviz.transitions.transition import Transition

DEFAULT_THRESHOLD = 0.2


def threshold_transitions(
    steps: Sequence[float],
    values: Sequence[float],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Transition]:
    """Mark every checkpoint whose value moved by more than ``threshold``.

    Checkpoint i is a transition when

        |v_i − v_{i−1}| > threshold · |v_{i−1}|

    where v_{i−1} is the previous checkpoint with a finite value. When
    v_{i−1} = 0 the relative change is infinite, so any change from zero is
    a transition (score ``inf``) and staying at zero is not. The score is
    the relative change |v_i − v_{i−1}| / |v_{i−1}|; ``before`` and
    ``after`` are v_{i−1} and v_i.

    Args:
        steps: The training step of each checkpoint.
        values: The metric's value at each checkpoint; NaN is left out.
        threshold: The relative change above which a checkpoint is marked.

    Returns:
        The transitions in step order, each of kind ``relative``.

    Raises:
        ValueError: If ``threshold`` is negative or not finite.

    Example:
        >>> [t.index for t in threshold_transitions([0, 1, 2], [1.0, 1.1, 2.0])]
        [2]
    """
    if not (math.isfinite(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a finite number >= 0, not {threshold}")
    series = prepare(steps, values)

    transitions = []
    for point in range(1, len(series)):
        before = float(series.values[point - 1])
        after = float(series.values[point])
        change = abs(after - before)
        if before == 0:
            score = math.inf if change > 0 else 0.0
        else:
            score = change / abs(before)
        if score > threshold:
            transitions.append(
                Transition(
                    step=series.step_at(point),
                    index=series.index_at(point),
                    score=score,
                    before=before,
                    after=after,
                    kind="relative",
                )
            )
    return transitions
