"""The default detector: a broken-line fit whose penalty follows the noise."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

import numpy as np

from phaseviz.transitions.changes import Change, Problem, best_change, ramp_knots
from phaseviz.transitions.coordinates import axis_values, choose_axis, step_derivative
from phaseviz.transitions.noise import isolated_spikes, noise_scale
from phaseviz.transitions.segments import SegmentCosts, partition
from phaseviz.transitions.series import Series, prepare
from phaseviz.transitions.transition import Transition

logger = logging.getLogger(__name__)

# Each fitted parameter costs PENALTY · log n noise variances (BIC uses 1).
PENALTY = 1.5
# The noise is never taken below this fraction of the series' range: a
# wiggle smaller than a hundredth of the chart's height is not a transition,
# however little noise there is (metrics computed from weights often have
# almost none).
NOISE_FLOOR = 0.01
# A range this small against the values' magnitude is floating-point jitter.
CONSTANT_RANGE = 1e-12


# Values computed in float64 from weights stored in float32 (or less) carry
# rounding of about this relative size; a series moving less is constant.
ROUNDING = 1e-6


def _flat_to_rounding(values: np.ndarray) -> bool:
    magnitude = float(np.max(np.abs(values)))
    return float(np.ptp(values)) <= ROUNDING * magnitude


def piecewise_transitions(
    steps: Sequence[float],
    values: Sequence[float],
    *,
    sensitivity: float = 1.0,
    min_size: int = 3,
    x: str = "auto",
) -> list[Transition]:
    """Find the jumps and changes of slope of a metric over training.

    The series is fitted by segments, each a constant or a straight line in
    x (the step, or log step for log-spaced runs), by exact optimal
    partitioning. Every parameter costs 1.5 · log n · σ̂² / sensitivity,
    σ̂ being the robust noise of :func:`noise_scale`, so the penalty follows
    the series' own noise and needs no tuning per run. Each change is then
    kept only if, on the span of its two neighbouring segments, it beats
    one segment, a parabola and the slowing curves of
    :func:`~phaseviz.transitions.fits.curve_sse`: smooth bending gives no
    transition. See docs/transitions.md.

    The values are standardised first, so a·v + b (a ≠ 0) gives the same
    transitions at any magnitude.

    Args:
        steps: The training step of each checkpoint, in any order; repeated
            steps are averaged.
        values: The metric's value at each checkpoint; NaN is left out.
        sensitivity: Divides every penalty; 2 finds weaker changes, 0.5
            only stronger ones.
        min_size: The fewest checkpoints a regime may hold (at least 2).
        x: The axis to fit along: ``auto`` (``log`` for log-spaced steps,
            else ``step``), ``step``, ``log`` or ``index``.

    Returns:
        The transitions in step order. ``index`` is the caller's position of
        the first checkpoint of the new regime (the knot's checkpoint for a
        change of slope whose knot sits on one); ``score`` is the change's
        z-statistic against a straight line over its neighbouring regimes,
        in noise units.

    Raises:
        ValueError: If an option is out of range.

    Example:
        >>> steps = list(range(0, 6000, 100))
        >>> norm = [10 + 2e-4 * s - 2e-3 * max(s - 3500, 0) for s in steps]
        >>> [(t.step, t.kind) for t in piecewise_transitions(steps, norm)]
        [(3500, 'slope')]
    """
    if not (sensitivity > 0 and math.isfinite(sensitivity)):
        raise ValueError(f"sensitivity must be a positive number, not {sensitivity}")
    if int(min_size) != min_size or min_size < 2:
        raise ValueError(f"min_size must be an integer >= 2, not {min_size}")
    series = prepare(steps, values)
    axis = choose_axis(series.steps, x)
    if len(series) < 2 * min_size or _flat_to_rounding(series.values):
        return []

    series = _without_spikes(series, axis)
    if len(series) < 2 * min_size:
        return []
    coordinate = axis_values(series.steps, axis)
    span = float(coordinate[-1] - coordinate[0])
    unit_x = _unit(coordinate)
    center, scale = _standardisation(series, unit_x)
    if scale == 0.0:
        return []
    z = (series.values - center) / scale

    problem = Problem(
        x=unit_x,
        z=z,
        min_size=int(min_size),
        penalty=PENALTY * math.log(len(series)) / sensitivity,
    )
    changes = _changes(problem)
    return [
        _transition(series, axis, change, center, scale, span) for change in changes
    ]


def _unit(coordinate: np.ndarray) -> np.ndarray:
    """``coordinate`` scaled to [-0.5, 0.5]."""
    return (coordinate - coordinate[0]) / (coordinate[-1] - coordinate[0]) - 0.5


def _without_spikes(series: Series, axis: str) -> Series:
    """``series`` less the checkpoints that sit far off both neighbours alone.

    One checkpoint far off the line through its neighbours, which agree
    with each other, is an outlier (a glitch, a bad checkpoint), not a
    regime; left in, it would be fitted as a short regime with a marker at
    each end.
    """
    unit_x = _unit(axis_values(series.steps, axis))
    center, scale = _standardisation(series, unit_x)
    if scale == 0.0:
        return series
    spikes = isolated_spikes(unit_x, (series.values - center) / scale, 1.0)
    if spikes.any():
        logger.debug(
            "left out %d checkpoints far off their neighbours", int(spikes.sum())
        )
        return series.subset(~spikes)
    return series


def _standardisation(series: Series, unit_x: np.ndarray) -> tuple[float, float]:
    """The centre and the noise scale that turn values into noise units."""
    values = series.values
    spread = float(np.max(values) - np.min(values))
    magnitude = float(np.max(np.abs(values)))
    if spread <= CONSTANT_RANGE * magnitude:
        return 0.0, 0.0

    center = float(np.median(values))
    relative = noise_scale(unit_x, (values - center) / spread)
    return center, spread * max(relative, NOISE_FLOOR)


def _changes(problem: Problem) -> list[Change]:
    """Partition, then drop changes a smooth fit explains and settle the rest.

    Each change first moves to its best place between its neighbours. Then
    changes are removed one at a time, weakest first, while the weakest
    does not beat the smooth fits on the span of its neighbours; each
    removal widens its neighbours' spans, so they are placed and tested
    again. A level change that a ramp explains better becomes the ramp's
    two knots.
    """
    costs = SegmentCosts(problem.x, problem.z, problem.penalty)
    bounds = partition(costs, len(problem.z), problem.min_size)
    known: dict[tuple[int, int], Change | None] = {}

    def change_on(start: int, end: int) -> Change | None:
        if (start, end) not in known:
            known[start, end] = best_change(problem, start, end)
        return known[start, end]

    found: list[Change | None] = []
    tried: set[tuple[int, int, int]] = set()
    _settle(change_on, bounds)
    for _ in range(4 * len(bounds) + 4):
        found = [
            change_on(bounds[k - 1], bounds[k + 1]) for k in range(1, len(bounds) - 1)
        ]
        gains = [-math.inf if change is None else change.gain for change in found]
        weak = _weakest(gains)
        if weak:
            for k in sorted(weak, reverse=True):
                del bounds[1 + k]
            _settle(change_on, bounds)
            continue
        if _split_ramps(problem, bounds, found, tried):
            continue
        if not _settle(change_on, bounds):
            break
    else:
        logger.debug("change points did not settle; keeping the last fit")
    return [change for change in found if change is not None]


def _weakest(gains: list[float]) -> list[int]:
    """The changes to remove at once: failing ones, weakest first.

    No two are neighbours: removing one widens its neighbours' spans, so
    they must be tested again first.
    """
    chosen: list[int] = []
    for k in sorted(range(len(gains)), key=gains.__getitem__):
        if gains[k] > 0:
            break
        if all(abs(k - other) > 1 for other in chosen):
            chosen.append(k)
    return chosen


def _split_ramps(
    problem: Problem,
    bounds: list[int],
    found: list[Change | None],
    tried: set[tuple[int, int, int]],
) -> bool:
    """Replace each level change that a ramp explains better by its two knots.

    Each span and change is tried once, so a ramp whose knots do not hold
    is not tried again.

    Returns:
        Whether any change was replaced.
    """
    split = False
    for k in range(len(bounds) - 2, 0, -1):
        change = found[k - 1]
        trial = (bounds[k - 1], bounds[k + 1], bounds[k])
        if change is None or trial in tried:
            continue
        tried.add(trial)
        knots = ramp_knots(problem, bounds[k - 1], bounds[k + 1], change)
        if knots:
            bounds[k : k + 1] = knots
            split = True
    return split


def _settle(change_on: Callable[[int, int], Change | None], bounds: list[int]) -> bool:
    """Move each change to its best place between its neighbours, in turn.

    Returns:
        Whether any change moved.
    """
    moved = False
    for k in range(1, len(bounds) - 1):
        change = change_on(bounds[k - 1], bounds[k + 1])
        if change is not None and change.position != bounds[k]:
            bounds[k] = change.position
            moved = True
    return moved


def _transition(
    series: Series,
    axis: str,
    change: Change,
    center: float,
    scale: float,
    span: float,
) -> Transition:
    """The change in the metric's units, at the caller's step and index."""
    rate = scale / span * step_derivative(series.steps, axis, change.position)
    return Transition(
        step=series.step_at(change.position),
        index=series.index_at(change.position),
        score=change.score,
        before=center + scale * change.before,
        after=center + scale * change.after,
        kind=change.kind,
        slope_before=change.slope_before * rate,
        slope_after=change.slope_after * rate,
    )
