"""Optimal partitioning of a series into constant or straight segments."""

from __future__ import annotations

import numpy as np


class SegmentCosts:
    """The penalised least-squares cost of any segment, in constant time.

    A segment [i, j) is fitted either by a constant or by a straight line in
    x, whichever costs less once each parameter is charged ``penalty``:

        cost(i, j) = min(SSE_const + penalty, SSE_line + 2 · penalty).

    Sums of 1, x, x², z, xz and z² are kept as running totals so any
    segment's SSE comes from six differences. ``x`` and ``z`` should be
    centred and of order one so the differences keep their precision.

    Args:
        x: Coordinates, ascending and distinct.
        z: Values, in units of the noise's standard deviation.
        penalty: The cost of one parameter.
    """

    def __init__(self, x: np.ndarray, z: np.ndarray, penalty: float) -> None:
        columns = np.stack([np.ones_like(x), x, x * x, z, x * z, z * z], axis=1)
        self._totals = np.concatenate([np.zeros((1, 6)), np.cumsum(columns, axis=0)])
        self.penalty = penalty

    def sse(
        self, start: np.ndarray | int, end: np.ndarray | int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The SSE of the constant fit and of the line fit on [start, end)."""
        sums = self._totals[end] - self._totals[start]
        count, sx, sxx, sz, sxz, szz = np.moveaxis(sums, -1, 0)
        const = szz - sz * sz / count
        xx = sxx - sx * sx / count
        xz = sxz - sx * sz / count
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = np.where(xx > 0, xz * xz / xx, 0.0)
        line = const - explained
        return np.maximum(const, 0.0), np.maximum(line, 0.0)

    def cost(self, start: np.ndarray | int, end: np.ndarray | int) -> np.ndarray:
        """The penalised cost of [start, end) under its cheaper model."""
        const, line = self.sse(start, end)
        return np.minimum(const + self.penalty, line + 2 * self.penalty)

    def sloped(self, start: int, end: int) -> bool:
        """Whether [start, end) is cheaper as a line than as a constant."""
        const, line = self.sse(start, end)
        return bool(line + 2 * self.penalty < const + self.penalty)


def partition(costs: SegmentCosts, n: int, min_size: int) -> list[int]:
    """The segment boundaries that minimise the total penalised cost.

    Exact dynamic programming over every split (optimal partitioning):
    F(j) = min over i of F(i) + cost(i, j) + penalty, the last term paying
    for the location of each change. O(n²) segment costs, each O(1) and
    computed a row at a time.

    Args:
        costs: The segment costs of the series.
        n: The number of points.
        min_size: The fewest points a segment may hold.

    Returns:
        Boundaries ``[0, b_1, ..., n]``; segment k is [b_k, b_{k+1}).
    """
    best = np.full(n + 1, np.inf)
    best[0] = -costs.penalty
    previous = np.zeros(n + 1, dtype=int)
    for end in range(min_size, n + 1):
        starts = np.concatenate([[0], np.arange(min_size, end - min_size + 1)])
        total = best[starts] + costs.cost(starts, end) + costs.penalty
        choice = int(np.argmin(total))
        best[end] = total[choice]
        previous[end] = starts[choice]

    bounds = [n]
    while bounds[-1] > 0:
        bounds.append(int(previous[bounds[-1]]))
    return bounds[::-1]
