"""How much a series scatters around its local trend."""

from __future__ import annotations

import math

import numpy as np

# The share of the smallest residuals kept; the rest may be jumps or kinks.
_KEPT = 0.9
# E[Z² | |Z| < q] for a standard normal Z and q its two-sided _KEPT
# quantile: it makes the trimmed mean square an unbiased variance.
_TRIMMED_VARIANCE = 0.6225
# A spike stands this many σ off its neighbours' line, and its neighbours
# are within _SPIKE_ECHO σ of the residuals it alone would leave them.
_SPIKE = 8.0
_SPIKE_ECHO = 2.5


def noise_scale(x: np.ndarray, y: np.ndarray) -> float:
    """A robust estimate of the standard deviation of the noise in ``y``.

    Each interior point is compared with the straight line through its two
    neighbours,

        r_i = (y_i − a_i y_{i−1} − b_i y_{i+1}) / √(1 + a_i² + b_i²),
        a_i = (x_{i+1} − x_i) / (x_{i+1} − x_{i−1}),  b_i = 1 − a_i,

    which removes any linear trend, whatever the spacing of ``x``, and
    leaves white noise of standard deviation σ with standard deviation σ.
    The largest tenth of the |r_i| is left out, so jumps and kinks do not
    inflate the estimate, and σ̂² is the mean of the remaining r_i² over
    its expectation under normal noise (0.6225 σ²).

    Args:
        x: Distinct coordinates, ascending.
        y: The values at ``x``.

    Returns:
        σ̂ in the units of ``y``; 0 for fewer than three points, and for a
        noiseless broken line with fewer corners than a tenth of its points.
    """
    if len(y) < 3:
        return 0.0
    residual = _residuals(x, y)[0]

    squares = np.sort(residual**2)
    kept = squares[: max(1, math.ceil(_KEPT * len(squares)))]
    return math.sqrt(float(np.mean(kept)) / _TRIMMED_VARIANCE)


def _residuals(
    x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each interior point's normalised distance to its neighbours' line.

    Returns:
        The residuals r_i, the weights a_i and b_i, and the norms
        √(1 + a_i² + b_i²), one per interior point.
    """
    left = x[1:-1] - x[:-2]
    right = x[2:] - x[1:-1]
    weight_before = right / (left + right)
    weight_after = 1.0 - weight_before
    norm = np.sqrt(1.0 + weight_before**2 + weight_after**2)
    residual = (y[1:-1] - weight_before * y[:-2] - weight_after * y[2:]) / norm
    return residual, weight_before, weight_after, norm


def isolated_spikes(x: np.ndarray, y: np.ndarray, sigma: float) -> np.ndarray:
    """The interior points that sit far off their neighbours, alone.

    A spike of height s at point i leaves the residuals of
    :func:`noise_scale` s·(−b_{i−1}, 1, −a_{i+1}) (each over its norm) at
    i − 1, i and i + 1; a jump or a kink leaves another pattern. A point is
    a spike when its residual exceeds 8 σ and both neighbours' residuals
    are within 2.5 σ of what that spike alone would leave.

    Args:
        x: Distinct coordinates, ascending.
        y: The values at ``x``.
        sigma: The noise's standard deviation.

    Returns:
        A mask over the points, true at each spike.
    """
    spikes = np.zeros(len(y), dtype=bool)
    if len(y) < 5 or sigma <= 0:
        return spikes
    residual, weight_before, weight_after, norm = _residuals(x, y)
    height = residual * norm
    centre = np.arange(1, len(residual) - 1)
    before = -weight_after[centre - 1] * height[centre] / norm[centre - 1]
    after = -weight_before[centre + 1] * height[centre] / norm[centre + 1]
    alone = (
        (np.abs(residual[centre]) > _SPIKE * sigma)
        & (np.abs(residual[centre - 1] - before) < _SPIKE_ECHO * sigma)
        & (np.abs(residual[centre + 1] - after) < _SPIKE_ECHO * sigma)
    )
    spikes[centre[alone] + 1] = True
    return spikes
