"""Steps where several metrics change together."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import cast

from phaseviz.transitions.transition import Agreement, Transition

IDENTICAL_METRICS: Mapping[str, str] = MappingProxyType(
    {
        "weight_norm": "l2",
        "rank": "effective_rank",
    }
)
"""Built-in metric keys that are the same quantity as another key."""


@dataclass(frozen=True)
class _Mark:
    """One metric's transition, placed at a checkpoint of the run."""

    position: int
    metric: str
    group: str
    strength: float


def agreement(
    transitions: Mapping[str, Sequence[Transition]],
    steps: Sequence[float],
    *,
    tolerance: int = 1,
    aliases: Mapping[str, str] | None = None,
) -> list[Agreement]:
    """Group the metrics' transitions that fall on nearly the same checkpoint.

    Each transition is placed at the run checkpoint of its step and given a
    strength: its score over the largest score of its metric, in (0, 1], so
    metrics whose scores are on different scales weigh alike. The
    checkpoint whose window of ±``tolerance`` checkpoints holds transitions
    of the most metrics (then the largest mean strength) becomes an
    agreement; its transitions are taken out and the search repeats while
    a window holds two metrics or more.

    Metrics that are one quantity under two keys count once: ``aliases``
    maps a key to the key it duplicates (:data:`IDENTICAL_METRICS` by
    default; pass ``{}`` to count every key).

    Args:
        transitions: Metric key -> that metric's transitions.
        steps: The step of each checkpoint of the run, in run order.
        tolerance: How many checkpoints apart transitions may be and still
            agree.
        aliases: Metric key -> the key of the same quantity.

    Returns:
        The agreements, best first. ``score`` is the number of distinct
        metrics plus their mean strength, so more metrics always rank
        higher; ``metrics`` lists every key that changes there.

    Raises:
        ValueError: If ``tolerance`` is negative or ``steps`` is empty while
            there are transitions.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, not {tolerance}")
    aliases = IDENTICAL_METRICS if aliases is None else aliases
    marks = _marks(transitions, steps, aliases)

    found = []
    while marks:
        best = _best_window(marks, tolerance)
        if best is None:
            break
        center, members = best
        groups = {mark.group for mark in members}
        strength = _mean_strength(members)
        found.append(
            Agreement(
                step=_step(steps[center]),
                index=center,
                metrics=tuple(sorted({mark.metric for mark in members})),
                score=len(groups) + strength,
            )
        )
        marks = [mark for mark in marks if mark not in members]
    return sorted(found, key=lambda item: (-item.score, item.index))


def _marks(
    transitions: Mapping[str, Sequence[Transition]],
    steps: Sequence[float],
    aliases: Mapping[str, str],
) -> list[_Mark]:
    if any(transitions.values()) and len(steps) == 0:
        raise ValueError("agreement needs the run's steps to place transitions")
    order = sorted(range(len(steps)), key=lambda i: steps[i])
    ordered = [steps[i] for i in order]

    marks = []
    for metric, found in transitions.items():
        scores = [t.score for t in found]
        for transition, strength in zip(found, _strengths(scores), strict=True):
            position = order[_nearest(ordered, transition.step)]
            marks.append(_Mark(position, metric, aliases.get(metric, metric), strength))
    return sorted(marks, key=lambda mark: mark.position)


def _strengths(scores: list[float]) -> list[float]:
    """Scores over their largest finite score; an infinite score counts 1."""
    finite = [score for score in scores if math.isfinite(score) and score > 0]
    top = max(finite, default=1.0)
    return [
        1.0 if math.isinf(score) else min(max(score, 0.0) / top, 1.0)
        for score in scores
    ]


def _nearest(ordered: list[float], step: float) -> int:
    """The position in ``ordered`` of the step nearest to ``step``."""
    right = bisect.bisect_left(ordered, step)
    if right == 0:
        return 0
    if right == len(ordered):
        return len(ordered) - 1
    return right if ordered[right] - step < step - ordered[right - 1] else right - 1


def _best_window(marks: list[_Mark], tolerance: int) -> tuple[int, list[_Mark]] | None:
    """The centre whose window holds the most metrics, and the marks it takes.

    Ties go to the larger mean strength, then to the centre nearest the
    strongest mark of each metric group, then to the earlier checkpoint. Of
    each metric group the window takes every mark, so one change is not
    counted again.
    """
    positions = [mark.position for mark in marks]
    last = positions[-1]
    centers = sorted(
        {
            min(max(p + d, 0), last)
            for p in positions
            for d in range(-tolerance, tolerance + 1)
        }
    )
    best: tuple[tuple[float, ...], int, list[_Mark]] | None = None
    for center in centers:
        low = bisect.bisect_left(positions, center - tolerance)
        high = bisect.bisect_right(positions, center + tolerance)
        members = marks[low:high]
        leaders = _leaders(members, center)
        if len(leaders) < 2:
            continue
        spread = sum(m.strength * abs(m.position - center) for m in leaders)
        rank = (len(leaders), _mean_strength(members), -spread, -center)
        if best is None or rank > best[0]:
            best = (rank, center, members)
    return None if best is None else (best[1], best[2])


def _leaders(members: list[_Mark], center: int) -> list[_Mark]:
    """Each metric group's strongest mark, the nearest to ``center`` on ties."""
    leaders: dict[str, _Mark] = {}
    for mark in members:
        held = leaders.get(mark.group)
        key = (mark.strength, -abs(mark.position - center))
        if held is None or key > (held.strength, -abs(held.position - center)):
            leaders[mark.group] = mark
    return list(leaders.values())


def _mean_strength(members: list[_Mark]) -> float:
    """The mean over metric groups of each group's strongest mark."""
    strongest: dict[str, float] = {}
    for mark in members:
        strongest[mark.group] = max(strongest.get(mark.group, 0.0), mark.strength)
    return sum(strongest.values()) / len(strongest)


def _step(step: float) -> int:
    """The step as an int where it is integral; a fractional step is kept."""
    return int(step) if float(step).is_integer() else cast(int, float(step))
