"""Least-squares fits of one span: smooth curves, broken lines and jumps.

Every function takes the span's coordinates ``u`` scaled to [-1, 1] and its
values ``w`` centred on their mean, and returns sums of squared residuals
(SSE) in the units of ``w``.
"""

from __future__ import annotations

import math

import numpy as np

from phaseviz.transitions.segments import SegmentCosts

# Rates of the exponential curves tried, per width of the span.
_RATES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
# Where a power law or logarithm may have its singularity, in span widths
# before the span's start, and the powers tried.
_OFFSETS = (0.01, 0.03, 0.1, 0.3, 1.0)
_POWERS = (-2.0, -1.0, -0.5, 0.5)
# How many first knots of a ramp are tried before refining around the best.
_RAMP_STARTS = 48
# Where a knot between two points may sit, as fractions of the gap.
_QUARTERS = (0.25, 0.5, 0.75)


def parabola_sse(u: np.ndarray, w: np.ndarray) -> float:
    """SSE of the best parabola a + b·u + c·u²."""
    design = np.stack([np.ones_like(u), u, u * u], axis=1)
    coefficients = np.linalg.lstsq(design, w, rcond=None)[0]
    return float(np.sum((w - design @ coefficients) ** 2))


def curve_sse(u: np.ndarray, w: np.ndarray) -> float:
    """The least SSE of a + b·f(u) over a family of smooth curves f.

    The family holds the shapes training curves take without any
    transition, all of which slow down along the span: exponential
    approach and decay, and power laws and logarithms whose singularity
    lies before the span. Curves that speed up are left out: a metric that
    creeps and then falls ever faster is what a transition looks like.
    """
    columns = smooth_curves(u)
    columns -= np.mean(columns, axis=1, keepdims=True)
    explained = (columns @ w) ** 2 / np.einsum("ij,ij->i", columns, columns)
    return max(float(w @ w) - float(np.max(explained)), 0.0)


def smooth_curves(u: np.ndarray) -> np.ndarray:
    """The curves of :func:`curve_sse` sampled at ``u``, one per row."""
    v = (u - u[0]) / (u[-1] - u[0])
    rows = [np.exp(-rate * v) for rate in _RATES]
    for offset in _OFFSETS:
        rows.append(np.log(v + offset))
        rows.extend((v + offset) ** power for power in _POWERS)
    return np.stack(rows)


def knot_candidates(size: int, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Knots to try: on each point, and at quarters of the gaps between.

    Returns:
        For each knot, the first point at or right of it (the new regime's
        first checkpoint; the knot itself where it sits on a point), and
        where it sits in the gap before that point, as a fraction (1 on the
        point). Either side keeps ``min_size`` points, a point the knot
        sits on counting on both.
    """
    on_point = np.arange(min_size - 1, size - min_size + 1)
    between = np.arange(min_size, size - min_size + 1)
    first = np.concatenate([on_point, *([between] * len(_QUARTERS))])
    fraction = np.concatenate(
        [np.ones(len(on_point)), *(np.full(len(between), q) for q in _QUARTERS)]
    )
    return first, fraction


def knot_positions(
    u: np.ndarray, first: np.ndarray, fraction: np.ndarray
) -> np.ndarray:
    """Where each knot of :func:`knot_candidates` sits along ``u``."""
    before = u[np.maximum(first - 1, 0)]
    return before + fraction * (u[first] - before)


def knot_sse(
    u: np.ndarray, w: np.ndarray, first: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """SSE of the broken line a + b·u + c·(u − τ)₊ for every knot τ.

    The hinge column is orthogonalised against the straight line by running
    sums, so all knots cost O(n) together: SSE = SSE_line − (e·h)² / |h̃|²,
    with e the line's residuals and h̃ the hinge column less its projection
    onto the line.

    Args:
        u: Coordinates of the span.
        w: Centred values.
        first: For each knot, the first point right of it or on it.
        tau: Each knot's position.
    """
    size = len(u)
    u_mean = float(np.mean(u))
    uu = float(np.sum((u - u_mean) ** 2))
    residual = w - float(np.sum((u - u_mean) * w)) / uu * (u - u_mean)
    line = float(np.sum(residual**2))

    def right(column: np.ndarray) -> np.ndarray:
        tail = np.concatenate([np.cumsum(column[::-1])[::-1], [0.0]])
        return tail[first]

    count = size - first
    su, suu = right(u), right(u * u)
    h_sum = su - tau * count
    h_h = suu - 2 * tau * su + tau**2 * count
    h_u = suu - tau * su - u_mean * h_sum
    e_h = right(residual * u) - tau * right(residual)
    h_h_tilde = h_h - h_sum**2 / size - h_u**2 / uu

    with np.errstate(divide="ignore", invalid="ignore"):
        explained = np.where(
            h_h_tilde > 1e-12 * np.maximum(h_h, 1e-300), e_h**2 / h_h_tilde, 0.0
        )
    return np.maximum(line - explained, 0.0)


def flat_knot_sse(
    u: np.ndarray, w: np.ndarray, first: np.ndarray, tau: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SSE of a level that turns into a slope, and of a slope that levels off.

    a + c·(u − τ)₊ and a + c·(τ − u)₊ for every knot τ: broken lines with
    one flat side, two parameters each. ``w`` must be centred.

    Returns:
        The SSE of the flat-then-sloped and of the sloped-then-flat line.
    """
    size = len(u)
    columns = np.stack([np.ones_like(u), u, u * u, u * w, w])
    sums = np.concatenate([np.zeros((5, 1)), np.cumsum(columns, axis=1)], axis=1)
    total = float(w @ w)

    def sse(part: np.ndarray, sign: float) -> np.ndarray:
        """SSE given the sums of 1, u, u², uw and w over the sloped side."""
        count, su, suu, suw, sw = part
        h_sum = sign * (su - tau * count)
        h_h = suu - 2 * tau * su + tau**2 * count
        h_w = sign * (suw - tau * sw)
        spread = h_h - h_sum**2 / size
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = np.where(
                spread > 1e-12 * np.maximum(h_h, 1e-300), h_w**2 / spread, 0.0
            )
        return np.maximum(total - explained, 0.0)

    rising = sse(sums[:, -1:] - sums[:, first], 1.0)
    falling = sse(sums[:, first], -1.0)
    return rising, falling


def knot_fit(
    u: np.ndarray, w: np.ndarray, tau: float, shape: str = "bent"
) -> tuple[np.ndarray, float, float]:
    """The broken line at knot ``tau``: fitted values, slope before and after.

    ``shape`` is ``bent`` (sloped both sides), ``flat_before`` or
    ``flat_after``.
    """
    columns = [np.ones_like(u)]
    if shape == "bent":
        columns += [u, np.maximum(u - tau, 0.0)]
    elif shape == "flat_before":
        columns.append(np.maximum(u - tau, 0.0))
    else:
        columns.append(np.maximum(tau - u, 0.0))
    design = np.stack(columns, axis=1)
    coefficients = np.linalg.lstsq(design, w, rcond=None)[0]
    fitted = design @ coefficients
    if shape == "bent":
        return fitted, float(coefficients[1]), float(coefficients[1] + coefficients[2])
    if shape == "flat_before":
        return fitted, 0.0, float(coefficients[1])
    return fitted, -float(coefficients[1]), 0.0


def jump_sse(costs: SegmentCosts, split: int, size: int) -> float:
    """SSE of the jump at ``split``, each side fitted by its cheaper model."""
    return _side_sse(costs, 0, split) + _side_sse(costs, split, size)


def jump_fit(
    costs: SegmentCosts, u: np.ndarray, w: np.ndarray, split: int
) -> tuple[float, float, float, float]:
    """The jump at ``split``, each side fitted by its cheaper model.

    Returns:
        The fit at the last point before the jump and at the first after
        it, and the slope either side (0 for a constant side).
    """
    size = len(u)
    left = _side_fit(u[:split], w[:split], costs.sloped(0, split))
    right = _side_fit(u[split:], w[split:], costs.sloped(split, size))
    before = left[0] + left[1] * u[split - 1]
    after = right[0] + right[1] * u[split]
    return float(before), float(after), left[1], right[1]


def _side_sse(costs: SegmentCosts, start: int, end: int) -> float:
    const, line = costs.sse(start, end)
    return float(line) if costs.sloped(start, end) else float(const)


def _side_fit(u: np.ndarray, w: np.ndarray, sloped: bool) -> tuple[float, float]:
    """Intercept and slope of a segment's fit (slope 0 for a constant)."""
    if not sloped:
        return float(np.mean(w)), 0.0
    slope, intercept = np.polyfit(u, w, 1)
    return float(intercept), float(slope)


def ramp_sse(
    u: np.ndarray, w: np.ndarray, lefts: np.ndarray, rights: np.ndarray, gap: int
) -> tuple[float, int, int]:
    """The best broken line with two knots on points, a ramp between them.

    a + b·u + c·(u − u_s)₊ + d·(u − u_t)₊ is fitted for knots s in
    ``lefts`` and t in ``rights`` with t ≥ s + ``gap``. Every t is tried
    for each s; of many s, every k-th is tried first (k keeps it to about
    48), then every s within k of the best.

    Returns:
        The least SSE and its knots s, t (inf, -1, -1 if no pair fits).
    """
    stride = max(1, math.ceil(len(lefts) / _RAMP_STARTS))
    best = _ramp_sse(u, w, lefts[::stride], rights, gap)
    if stride > 1 and best[1] >= 0:
        near = lefts[np.abs(lefts - best[1]) < stride]
        best = min(best, _ramp_sse(u, w, near, rights, gap))
    return best


def _ramp_sse(
    u: np.ndarray, w: np.ndarray, lefts: np.ndarray, rights: np.ndarray, gap: int
) -> tuple[float, int, int]:
    """:func:`ramp_sse` over every s in ``lefts``.

    For each s the second hinge column is orthogonalised against the first
    three by running sums, so all t cost O(n) together.
    """
    tail = _tails(np.stack([np.ones_like(u), u, u * u]))
    best = (math.inf, -1, -1)
    for s in lefts:
        t = rights[rights >= s + gap]
        if len(t) == 0:
            continue
        first = np.maximum(u - u[s], 0.0)
        base = np.stack([np.ones_like(u), u, first], axis=1)
        gram = base.T @ base
        coefficients, *_ = np.linalg.lstsq(base, w, rcond=None)
        residual = w - base @ coefficients
        line = float(residual @ residual)
        e_tail = _tails(np.stack([residual, residual * u]))

        count, su, suu = (tail[k, t + 1] for k in range(3))
        tau, knot = u[t], u[s]
        projections = np.stack(
            [
                su - tau * count,
                suu - tau * su,
                suu - (knot + tau) * su + knot * tau * count,
            ]
        )
        h_h = suu - 2 * tau * su + tau**2 * count
        solved = np.linalg.lstsq(gram, projections, rcond=None)[0]
        h_h_tilde = h_h - np.einsum("ij,ij->j", projections, solved)
        e_h = e_tail[1, t + 1] - tau * e_tail[0, t + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            explained = np.where(
                h_h_tilde > 1e-12 * np.maximum(h_h, 1e-300), e_h**2 / h_h_tilde, 0.0
            )
        sse = np.maximum(line - explained, 0.0)
        pick = int(np.argmin(sse))
        if sse[pick] < best[0]:
            best = (float(sse[pick]), int(s), int(t[pick]))
    return best


def _tails(columns: np.ndarray) -> np.ndarray:
    """Sums from each point to the end, one row per column, with a 0 after."""
    sums = np.cumsum(columns[:, ::-1], axis=1)[:, ::-1]
    return np.concatenate([sums, np.zeros((len(columns), 1))], axis=1)
