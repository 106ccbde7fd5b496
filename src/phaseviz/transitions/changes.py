"""The best single change between two neighbouring regimes, and whether it holds.

A change found by partitioning is tested on the span of its two
neighbouring segments against the smooth alternatives: one segment
(constant or line), a parabola, and a family of slowing curves (exponential
approach and decay, power laws, logarithms). A curve that bends slowly is
fitted as well by one of these as by any broken line, so it yields no
change; a jump or a sudden change of slope is fitted better by the broken
line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from phaseviz.transitions import fits
from phaseviz.transitions.segments import SegmentCosts


@dataclass(frozen=True)
class Problem:
    """A standardised series and the terms of its fit.

    Attributes:
        x: The fit axis, scaled to [-0.5, 0.5].
        z: The values in noise units.
        min_size: The fewest points a regime may hold.
        penalty: The cost of one parameter.
    """

    x: np.ndarray
    z: np.ndarray
    min_size: int
    penalty: float


@dataclass(frozen=True)
class Change:
    """The best change on a span of the series, in standardised units.

    Attributes:
        position: The first point of the new regime (the knot itself for a
            slope change whose knot sits on a point).
        kind: ``level`` (the fit breaks) or ``slope`` (it bends).
        cost: The penalised cost of the span with this change.
        gain: The penalised cost saved against the best smooth fit; the
            change holds when it is positive.
        score: √(SSE_line − SSE_change) in noise units: the change's
            z-statistic against one straight line over the span.
        before: The fitted value at the nearest point before the change.
        after: The fitted value at the nearest point after it.
        slope_before: The fitted slope, d z / d x, on the old side.
        slope_after: The fitted slope on the new side.
    """

    position: int
    kind: str
    cost: float
    gain: float
    score: float
    before: float
    after: float
    slope_before: float
    slope_after: float


@dataclass(frozen=True)
class _Option:
    """One way to fit a change on the span, in the span's own units."""

    cost: float
    sse: float
    kind: str
    position: int
    before: float
    after: float
    slope_before: float
    slope_after: float
    # What a parabola is charged against this option (see best_change).
    parabola_parameters: int = 3


def best_change(problem: Problem, start: int, end: int) -> Change | None:
    """The best single change in [start, end), or None if the span is short.

    Every split point is tried as a jump (constant or line either side) and
    every point, and every quarter of a gap between two, as the knot of a
    continuous broken line. Each parameter costs ``penalty``: a jump between
    constants uses three (two levels and the location), a knot four (level,
    slope, change of slope, location) or three where one side is flat, a
    jump between lines five.

    The smooth alternatives are charged three parameters, except that a
    parabola facing a knot is charged as many as the knot: both bend once,
    so the knot must merely fit better.

    Args:
        problem: The series and the terms of its fit.
        start: First point of the span.
        end: One past its last point.
    """
    size = end - start
    # A knot's own point counts on both sides, so a knot fits one point
    # fewer than a jump.
    if size < 2 * problem.min_size - 1:
        return None
    u, half = _local_axis(problem.x, start, end)
    offset = float(np.mean(problem.z[start:end]))
    w = problem.z[start:end] - offset
    costs = SegmentCosts(u, w, problem.penalty)

    knot = _knot_option(u, w, problem)
    jump = _jump_option(u, w, costs, problem)
    best = knot if jump is None or knot.cost <= jump.cost else jump

    parabola, curve = fits.parabola_sse(u, w), fits.curve_sse(u, w)
    line = float(costs.sse(0, size)[1])
    smooth = min(
        float(costs.cost(0, size)),
        parabola + best.parabola_parameters * problem.penalty,
        curve + 3 * problem.penalty,
    )
    return Change(
        position=start + best.position,
        kind=best.kind,
        cost=best.cost,
        gain=smooth - best.cost,
        score=float(np.sqrt(max(line - best.sse, 0.0))),
        before=best.before + offset,
        after=best.after + offset,
        slope_before=best.slope_before / half,
        slope_after=best.slope_after / half,
    )


def _knot_option(u: np.ndarray, w: np.ndarray, problem: Problem) -> _Option:
    """The cheapest knot: bent both sides, or flat before or after it.

    Knots are tried on every point and at quarters of every gap, then at
    thirty-seconds of the gaps beside the best, so a knot between two
    checkpoints of a nearly noiseless series is placed where it is.
    """
    first, fraction = fits.knot_candidates(len(u), problem.min_size)
    knot = _cheapest_knot(u, w, first, fraction, problem)
    first, fraction = _finer_knots(
        int(first[knot.pick]), float(fraction[knot.pick]), len(u), problem.min_size
    )
    knot = _cheapest_knot(u, w, first, fraction, problem)

    position, where = int(first[knot.pick]), float(fraction[knot.pick])
    tau = float(u[position - 1] + where * (u[position] - u[position - 1]))
    fitted, slope_before, slope_after = fits.knot_fit(u, w, tau, knot.shape)
    after = position + 1 if where == 1 else position
    return _Option(
        cost=knot.cost,
        sse=knot.sse,
        kind="slope",
        position=position,
        before=float(fitted[position - 1]),
        after=float(fitted[after]),
        slope_before=slope_before,
        slope_after=slope_after,
        parabola_parameters=knot.parameters,
    )


@dataclass(frozen=True)
class _Knot:
    """The cheapest of a set of candidate knots."""

    shape: str
    pick: int
    cost: float
    sse: float
    parameters: int


def _cheapest_knot(
    u: np.ndarray,
    w: np.ndarray,
    first: np.ndarray,
    fraction: np.ndarray,
    problem: Problem,
) -> _Knot:
    """The shape and candidate of the cheapest knot, its cost, SSE and size."""
    tau = fits.knot_positions(u, first, fraction)
    rising, falling = fits.flat_knot_sse(u, w, first, tau)
    shapes = {
        "bent": (fits.knot_sse(u, w, first, tau), 4),
        "flat_before": (rising, 3),
        "flat_after": (falling, 3),
    }
    costs = {
        name: sse + parameters * problem.penalty
        for name, (sse, parameters) in shapes.items()
    }
    shape = min(costs, key=lambda name: float(np.min(costs[name])))
    pick = int(np.argmin(costs[shape]))
    sse, parameters = shapes[shape]
    return _Knot(shape, pick, float(costs[shape][pick]), float(sse[pick]), parameters)


def _finer_knots(
    first: int, fraction: float, size: int, min_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Knots at thirty-seconds of the gaps beside a knot, and the knot itself."""
    gaps = [first] if fraction < 1 else [first, first + 1]
    gaps = [gap for gap in gaps if min_size <= gap <= size - min_size]
    steps = np.arange(1, 32) / 32
    firsts = np.concatenate([[first], *(np.full(len(steps), gap) for gap in gaps)])
    fractions = np.concatenate([[fraction], *([steps] * len(gaps))])
    return firsts.astype(int), fractions


def _jump_option(
    u: np.ndarray, w: np.ndarray, costs: SegmentCosts, problem: Problem
) -> _Option | None:
    """The cheapest jump, each side a constant or a line; None if none fits."""
    size = len(u)
    splits = np.arange(problem.min_size, size - problem.min_size + 1)
    if len(splits) == 0:
        return None
    total = costs.cost(0, splits) + costs.cost(splits, size) + problem.penalty
    split = int(splits[np.argmin(total)])
    before, after, slope_before, slope_after = fits.jump_fit(costs, u, w, split)
    return _Option(
        cost=float(np.min(total)),
        sse=fits.jump_sse(costs, split, size),
        kind="level",
        position=split,
        before=before,
        after=after,
        slope_before=slope_before,
        slope_after=slope_after,
    )


def ramp_knots(problem: Problem, start: int, end: int, change: Change) -> list[int]:
    """Two knots that explain a level change on [start, end) better, if any.

    A steep stretch between two slower regimes (the fall of a weight norm
    during grokking) is fitted by partitioning as one jump in its middle;
    a broken line with a knot at each end of the stretch, six parameters,
    describes it better when it costs less than the jump.

    Returns:
        The two knots, or ``[]`` where the jump holds.
    """
    if change.kind != "level":
        return []
    min_size, penalty = problem.min_size, problem.penalty
    u, _ = _local_axis(problem.x, start, end)
    w = problem.z[start:end] - float(np.mean(problem.z[start:end]))
    split = change.position - start
    lefts = np.arange(min_size - 1, split)
    rights = np.arange(split, end - start - min_size + 1)
    sse, first, second = fits.ramp_sse(u, w, lefts, rights, max(2, min_size - 1))
    if sse + 6 * penalty >= change.cost:
        return []
    return [start + first, start + second]


def _local_axis(axis: np.ndarray, start: int, end: int) -> tuple[np.ndarray, float]:
    """The span's coordinates rescaled to [-1, 1], and the half-width used."""
    half = (axis[end - 1] - axis[start]) / 2
    return (axis[start:end] - axis[start] - half) / half, float(half)
