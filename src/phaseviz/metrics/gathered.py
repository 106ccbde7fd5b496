"""Everything one computation gathered about P, and the totals derived from it.

The built-in metrics are formulas over this record: they read the
per-tensor sums of the element sweep, the spectra of the matrices and the
global moments combined here, and compute nothing over the elements again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from phaseviz.metrics.arithmetic import exact_sum, nan_max, nan_min
from phaseviz.metrics.spectrum import Spectrum


@dataclass
class Gathered:
    """The shared statistics of one checkpoint's parameters.

    Attributes:
        names: State-dict names of the tensors of P, in order.
        sizes: Number of elements of each tensor.
        shapes: Position in P → ``(rows, columns)`` of each matrix of M.
        stats: Statistic name → one value per tensor (see ElementSweep).
        spectra: Position in P → spectrum of each matrix.
        entropy: Entropy of the histogram of all of w (NaN if not taken).
        references: The trajectory references that were usable.
        per_layer: Whether per-layer values are wanted.
    """

    names: list[str]
    sizes: list[int]
    shapes: dict[int, tuple[int, int]]
    stats: dict[str, list[float]]
    spectra: dict[int, Spectrum] = field(default_factory=dict)
    entropy: float = math.nan
    references: frozenset[str] = frozenset()
    per_layer: bool = True

    @property
    def count(self) -> int:
        """N, the number of elements of P."""
        return sum(self.sizes)

    @property
    def matrices(self) -> list[int]:
        """Positions of the matrices of M in P, in state-dict order."""
        return sorted(self.shapes)

    def total(self, statistic: str) -> float:
        """Σ over every tensor of a per-tensor statistic."""
        return exact_sum(self.stats[statistic])

    def layers(
        self, indices: Iterable[int], values: Sequence[float]
    ) -> dict[str, float] | None:
        """Per-layer values by state-dict name, or None when not wanted."""
        if not self.per_layer:
            return None
        return {self.names[i]: v for i, v in zip(indices, values, strict=True)}

    @cached_property
    def lowest(self) -> float:
        """Min w (NaN if any weight is NaN)."""
        return nan_min(self.stats["min"])

    @cached_property
    def highest(self) -> float:
        """Max w (NaN if any weight is NaN)."""
        return nan_max(self.stats["max"])

    @cached_property
    def tensor_means(self) -> list[float]:
        """w̄ₜ of each tensor (its value exactly, if it is constant)."""
        return [
            low if low == high else total / size
            for total, size, low, high in zip(
                self.stats["sum"],
                self.sizes,
                self.stats["min"],
                self.stats["max"],
                strict=True,
            )
        ]

    @cached_property
    def mean(self) -> float:
        """w̄ over all of P (its value exactly, if every weight is equal)."""
        if self.lowest == self.highest:
            return self.lowest
        return self.total("sum") / self.count

    @cached_property
    def tensor_moments(self) -> list[tuple[float, float, float]]:
        """Σ (w − w̄ₜ)^k over each tensor, for k = 2, 3, 4."""
        moments = []
        for t, centre in enumerate(self.tensor_means):
            second, third, fourth = self._moment_terms(t, centre)
            moments.append((exact_sum(second), exact_sum(third), exact_sum(fourth)))
        return moments

    @cached_property
    def moments(self) -> tuple[float, float, float]:
        """Σ (w − w̄)^k over all of P, for k = 2, 3, 4."""
        terms: tuple[list[float], list[float], list[float]] = ([], [], [])
        for t in range(len(self.sizes)):
            for collected, new in zip(
                terms, self._moment_terms(t, self.mean), strict=True
            ):
                collected.extend(new)
        return exact_sum(terms[0]), exact_sum(terms[1]), exact_sum(terms[2])

    def _moment_terms(self, t: int, mean: float) -> list[list[float]]:
        """The terms of Σ (w − mean)^k, k = 2, 3, 4, over tensor ``t``.

        The sweep summed cₖ = Σ (w − K)^k about a centre K of its own; with
        d = K − mean, Σ (w − mean)^k = Σ (x + d)^k, x = w − K, expands into
        the cₖ exactly, and rounding stays at the level of the cₖ.
        """
        d, n = self.stats["centre"][t] - mean, self.sizes[t]
        c1, c2 = self.stats["c1"][t], self.stats["c2"][t]
        second = [c2, 2 * d * c1, n * d**2]
        if "c3" not in self.stats:
            return [second, [math.nan], [math.nan]]
        c3, c4 = self.stats["c3"][t], self.stats["c4"][t]
        third = [c3, 3 * d * c2, 3 * d**2 * c1, n * d**3]
        fourth = [c4, 4 * d * c3, 6 * d**2 * c2, 4 * d**3 * c1, n * d**4]
        return [second, third, fourth]
