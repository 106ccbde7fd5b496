"""Which shared statistics a set of metric keys needs, so nothing else runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEAD_THRESHOLD = 1e-6
SPARSE_THRESHOLD = 1e-3

SPECTRAL_KEYS = frozenset(
    {
        "rank",
        "effective_rank",
        "condition",
        "flatness",
        "isotropy",
        "spectral",
        "stable_rank",
    }
)
TRAJECTORY_ROLES = {
    "distance_from_init": "first",
    "step_distance": "previous",
    "cosine_to_final": "final",
}


@dataclass(frozen=True)
class Needs:
    """The statistics one computation gathers, each at most once.

    Attributes:
        sums: Σ w per tensor (the centre of the central moments).
        extremes: min and max per tensor.
        central: Σ (w − w̄ₜ)² per tensor, w̄ₜ the tensor's mean.
        higher: Σ (w − w̄ₜ)³ and Σ (w − w̄ₜ)⁴ per tensor.
        squares: Σ w² per tensor.
        fourth: Σ w⁴ per tensor.
        absolute: Σ |w| per tensor.
        thresholds: Counts of |w| below each of these, per tensor.
        histogram: The 100-bin histogram of w over [min w, max w].
        spectra: Singular values of every matrix.
        references: The trajectory references read ("first", ...).
    """

    sums: bool = False
    extremes: bool = False
    central: bool = False
    higher: bool = False
    squares: bool = False
    fourth: bool = False
    absolute: bool = False
    thresholds: tuple[float, ...] = ()
    histogram: bool = False
    spectra: bool = False
    references: tuple[str, ...] = ()

    @property
    def elementwise(self) -> bool:
        """Whether any statistic reads the elements at all."""
        return self.extremes or self.chunked

    @property
    def chunked(self) -> bool:
        """Whether any statistic needs the float64 sweep (beyond the extremes)."""
        flags = (self.sums, self.central, self.squares, self.fourth, self.absolute)
        return any(flags) or self.histogram or bool(self.thresholds or self.references)


def needs_of(keys: Iterable[str]) -> Needs:
    """The statistics that computing ``keys`` takes, and no more.

    Example:
        >>> needs_of(["l2"]).squares, needs_of(["l2"]).spectra
        (True, False)
    """
    wanted = set(keys)
    moments = wanted & {"variance", "skew", "kurtosis", "gradient_flow", "mean"}
    thresholds = tuple(
        threshold
        for key, threshold in (
            ("dead_neurons", DEAD_THRESHOLD),
            ("sparsity", SPARSE_THRESHOLD),
        )
        if key in wanted
    )
    return Needs(
        sums=bool(moments),
        extremes=bool(moments or wanted & {"entropy", "max_activation"}),
        central=bool(moments - {"mean"}),
        higher=bool(wanted & {"skew", "kurtosis"}),
        squares=bool(
            wanted
            & {
                "l2",
                "weight_norm",
                "participation",
                "norm_ratio",
                "cosine_to_final",
            }
        ),
        fourth="participation" in wanted,
        absolute=bool(thresholds) or "connectivity" in wanted,
        thresholds=thresholds,
        histogram="entropy" in wanted,
        spectra=bool(wanted & SPECTRAL_KEYS),
        references=tuple(
            role for key, role in TRAJECTORY_ROLES.items() if key in wanted
        ),
    )
