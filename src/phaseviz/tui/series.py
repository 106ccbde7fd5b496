"""Arithmetic behind the charts: scaling, ticks, number formats, layer change.

Nothing here knows about Textual, so the numbers a chart shows can be tested
on their own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

FLAT = 1e-4
"""A series that moves less than this fraction of its magnitude is flat."""


def is_finite(value: float) -> bool:
    """True for a real number that a chart can draw."""
    return not (math.isnan(value) or math.isinf(value))


def is_flat(values: Sequence[float]) -> bool:
    """True when the finite values move less than ``FLAT`` of their magnitude."""
    finite = [v for v in values if is_finite(v)]
    if not finite:
        return True
    low, high = min(finite), max(finite)
    return high - low <= FLAT * max(abs(low), abs(high))


def normalise(values: Sequence[float]) -> list[float]:
    """Scale values to [0, 1] by their finite minimum and maximum.

    Non-finite values stay NaN so a chart leaves a gap; a constant series,
    or one that only wobbles by float noise (less than ``FLAT`` of its
    magnitude), sits at 0.5, where it is visible and claims no change.
    """
    finite = [v for v in values if is_finite(v)]
    if not finite:
        return [math.nan] * len(values)

    low, high = min(finite), max(finite)
    if is_flat(finite):
        return [0.5 if is_finite(v) else math.nan for v in values]
    return [(v - low) / (high - low) if is_finite(v) else math.nan for v in values]


def segments(
    steps: Sequence[int], values: Sequence[float]
) -> list[tuple[list[int], list[float]]]:
    """Split a series into runs of finite values, so NaN leaves a gap."""
    pieces: list[tuple[list[int], list[float]]] = []
    current: tuple[list[int], list[float]] = ([], [])
    for step, value in zip(steps, values, strict=True):
        if is_finite(value):
            current[0].append(step)
            current[1].append(value)
        elif current[0]:
            pieces.append(current)
            current = ([], [])
    if current[0]:
        pieces.append(current)
    return pieces


def within(
    steps: Sequence[int], values: Sequence[float], low: int, high: int
) -> tuple[list[int], list[float]]:
    """The points inside [low, high], plus one either side so lines reach the edge."""
    inside = [i for i, step in enumerate(steps) if low <= step <= high]
    if not inside:
        return [], []

    first = max(inside[0] - 1, 0)
    last = min(inside[-1] + 1, len(steps) - 1)
    return list(steps[first : last + 1]), list(values[first : last + 1])


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """At most ``count`` round ticks (1, 2, 2.5 or 5 times a power of ten) in range.

    The closest spacing that keeps to ``count`` ticks is taken, so a short
    chart still gets two or three labels.
    """
    if high <= low or count < 1:
        return [low]

    power = 10 ** (math.floor(math.log10((high - low) / count)) - 1)
    for _ in range(4):
        for multiple in (1, 2, 2.5, 5):
            ticks = _ticks(low, high, multiple * power)
            if len(ticks) <= count:
                return ticks or [(low + high) / 2]
        power *= 10
    return [(low + high) / 2]


def _ticks(low: float, high: float, spacing: float) -> list[float]:
    first = math.ceil(low / spacing - 1e-9)
    last = math.floor(high / spacing + 1e-9)
    return [round(k * spacing, 10) for k in range(first, last + 1)]


def format_step(step: float) -> str:
    """A short step label for an axis: 950, 1.5k, 20k, 1.2M."""
    magnitude = abs(step)
    if magnitude >= 1_000_000:
        return f"{step / 1_000_000:.4g}M"
    if magnitude >= 1000:
        return f"{step / 1000:.4g}k"
    return f"{step:.0f}"


def format_tick(value: float, spacing: float) -> str:
    """A y-axis label with just the decimals that tell ticks ``spacing`` apart."""
    if spacing <= 0 or not is_finite(value):
        return format_value(value)
    # Round first: a spacing of 9.99999e-05 needs the decimals of 1e-4, and
    # one of 0.25 needs two.
    spacing = float(f"{spacing:.6g}")
    decimals = max(0, -math.floor(math.log10(spacing)))
    if round(spacing, decimals) != spacing:
        decimals += 1
    if value == 0 or (abs(value) < 1e5 and decimals <= 5):
        return f"{value:.{decimals}f}"
    # Far from 1: as many significant digits as the spacing needs.
    digits = math.floor(math.log10(abs(value))) + decimals + 1
    return f"{value:.{max(2, min(digits, 10))}g}"


def format_value(value: float | None) -> str:
    """A value with four significant digits, in scientific form when far from 1."""
    if value is None:
        return "—"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        return f"{value:.3e}"
    return f"{value:.4g}"


@dataclass(frozen=True)
class LayerChange:
    """How much one layer's value moved over the run, and when most.

    Attributes:
        layer: The tensor's state-dict name.
        total_change: Σ |v[k+1] − v[k]| over the run, relative to the first
            finite value's magnitude (or the largest, when the first is 0).
        biggest_step: The step at which the largest single change landed.
        biggest_change: That change, relative like ``total_change``.
    """

    layer: str
    total_change: float
    biggest_step: int | None
    biggest_change: float


def layer_change(
    layer: str, steps: Sequence[int], values: Sequence[float]
) -> LayerChange:
    """Measure how far ``layer`` moved between consecutive checkpoints."""
    points = [(s, v) for s, v in zip(steps, values, strict=True) if is_finite(v)]
    if len(points) < 2:
        return LayerChange(layer, 0.0, None, 0.0)

    scale = abs(points[0][1]) or max(abs(v) for _, v in points) or 1.0
    changes = [
        (abs(after - before) / scale, step)
        for (_, before), (step, after) in zip(points, points[1:], strict=False)
    ]
    biggest, biggest_step = max(changes, key=lambda change: change[0])
    return LayerChange(layer, sum(c for c, _ in changes), biggest_step, biggest)


def rank_layers(
    series: Mapping[str, tuple[Sequence[int], Sequence[float]]],
) -> list[LayerChange]:
    """The layers ordered by total relative change, most moved first."""
    changes = [layer_change(name, *points) for name, points in series.items()]
    return sorted(changes, key=lambda c: (-c.total_change, c.layer))
