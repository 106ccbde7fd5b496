"""Sums, means and extremes over Python floats that keep NaN visible."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def exact_sum(values: Iterable[float]) -> float:
    """Σ values with one rounding; NaN where infinities of both signs meet."""
    items = list(values)
    try:
        return math.fsum(items)
    except (ValueError, OverflowError):
        return float(sum(items))


def nan_max(values: Iterable[float]) -> float:
    """The largest value; NaN if there is none or any is NaN."""
    items = list(values)
    if not items or any(math.isnan(v) for v in items):
        return math.nan
    return max(items)


def nan_min(values: Iterable[float]) -> float:
    """The smallest value; NaN if there is none or any is NaN."""
    items = list(values)
    if not items or any(math.isnan(v) for v in items):
        return math.nan
    return min(items)


def mean_of(values: Sequence[float]) -> float:
    """The arithmetic mean; NaN for no values."""
    return exact_sum(values) / len(values) if values else math.nan


def ratio(numerator: float, denominator: float) -> float:
    """The quotient, NaN where the denominator is zero."""
    return numerator / denominator if denominator != 0 else math.nan
