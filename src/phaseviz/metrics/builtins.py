"""The built-in metrics as formulas over the gathered statistics.

Notation: w is every element of P, N their number, M the matrices (each
tensor of two or more dimensions viewed as rows × fan-in), L their number,
s the singular values of a matrix W and r = min(rows, columns).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from phaseviz.metrics.arithmetic import mean_of, nan_max, ratio
from phaseviz.metrics.gathered import Gathered
from phaseviz.metrics.plan import DEAD_THRESHOLD, SPARSE_THRESHOLD


@dataclass(frozen=True)
class MetricResult:
    """The value of one metric at one checkpoint.

    Attributes:
        value: The value over all of P; NaN where it is undefined.
        layers: Per-layer values by state-dict name, for metrics that have
            them when they were asked for; else None.
    """

    value: float
    layers: dict[str, float] | None = None


def l2(g: Gathered) -> MetricResult:
    """‖w‖₂ = √(Σ w²); per layer the tensor's own norm."""
    squares = g.stats["sumsq"]
    return MetricResult(
        math.sqrt(g.total("sumsq")),
        g.layers(range(len(squares)), [math.sqrt(v) for v in squares]),
    )


def entropy(g: Gathered) -> MetricResult:
    """H = −Σ pᵢ ln pᵢ of the 100-bin histogram of w over [min w, max w].

    pᵢ = countᵢ / N, bin i = ⌊100 (w − min) / (max − min)⌋ with max in the
    last bin; 0 when min = max. Per layer over the tensor's own range.
    """
    per_tensor = g.stats.get("entropy")
    layers = (
        None if per_tensor is None else g.layers(range(len(per_tensor)), per_tensor)
    )
    return MetricResult(g.entropy, layers)


def connectivity(g: Gathered) -> MetricResult:
    """(1/L) Σ_W mean |W|."""
    indices = g.matrices
    values = [g.stats["abssum"][i] / g.sizes[i] for i in indices]
    return MetricResult(mean_of(values), g.layers(indices, values))


def variance(g: Gathered) -> MetricResult:
    """(1/N) Σ (w − w̄)², the population variance."""
    values = [m[0] / n for m, n in zip(g.tensor_moments, g.sizes, strict=True)]
    return MetricResult(g.moments[0] / g.count, g.layers(range(len(values)), values))


def norm_ratio(g: Gathered) -> MetricResult:
    """‖W_last‖_F / ‖W_first‖_F; NaN if ‖W_first‖_F = 0 or L < 2."""
    indices = g.matrices
    if len(indices) < 2:
        return MetricResult(math.nan)
    first, last = (math.sqrt(g.stats["sumsq"][i]) for i in (indices[0], indices[-1]))
    return MetricResult(ratio(last, first))


def capacity(g: Gathered) -> MetricResult:
    """Σ_W ln(d_out + 1), d_out the rows of W."""
    return MetricResult(math.fsum(math.log(g.shapes[i][0] + 1) for i in g.matrices))


def dead_neurons(g: Gathered) -> MetricResult:
    """100 · |{w : |w| < 1e-6}| / N."""
    return _below(g, DEAD_THRESHOLD, 100.0)


def sparsity(g: Gathered) -> MetricResult:
    """|{w : |w| < 1e-3}| / N, a fraction."""
    return _below(g, SPARSE_THRESHOLD, 1.0)


def gradient_flow(g: Gathered) -> MetricResult:
    """(1/L) Σ_W 1 / (1 + |σ_W − √(2 / n_W)|).

    σ_W is the population standard deviation of W's elements and n_W its
    fan-in (columns), so √(2 / n_W) is the scale of He initialisation.
    """
    indices = g.matrices
    values = [
        1.0
        / (
            1.0
            + abs(
                math.sqrt(g.tensor_moments[i][0] / g.sizes[i])
                - math.sqrt(2.0 / g.shapes[i][1])
            )
        )
        for i in indices
    ]
    return MetricResult(mean_of(values), g.layers(indices, values))


def effective_rank(g: Gathered) -> MetricResult:
    """Mean over M of exp(−Σ qᵢ ln qᵢ), q = s / Σ s, 0 ln 0 = 0.

    All-zero matrices (NaN per layer) are left out of the mean.
    """
    return _spectral_mean(g, lambda s: math.exp(s.entropy), skip_zero=True)


def condition(g: Gathered) -> MetricResult:
    """Mean over M of s_max / s_min.

    A matrix with s_min = 0 has +inf per layer and is left out of the mean;
    NaN if no matrix is left.
    """
    indices = g.matrices
    values = [
        math.inf
        if g.spectra[i].smallest == 0
        else g.spectra[i].largest / g.spectra[i].smallest
        for i in indices
    ]
    kept = [
        v for i, v in zip(indices, values, strict=True) if g.spectra[i].smallest != 0
    ]
    return MetricResult(mean_of(kept), g.layers(indices, values))


def flatness(g: Gathered) -> MetricResult:
    """(1/L) Σ_W ‖W‖_F · ‖W‖₂, with ‖W‖_F = √(Σ s²) and ‖W‖₂ = s_max."""
    return _spectral_mean(
        g, lambda s: math.sqrt(s.squares) * s.largest, skip_zero=False
    )


def mean(g: Gathered) -> MetricResult:
    """w̄ = (1/N) Σ w."""
    return MetricResult(g.mean, g.layers(range(len(g.sizes)), g.tensor_means))


def skew(g: Gathered) -> MetricResult:
    """E[(w − μ)³] / σ³, population moments; NaN if σ = 0."""
    m2, m3, _ = g.moments
    values = [
        _standardised(m2t, m3t, n, 1.5)
        for (m2t, m3t, _), n in zip(g.tensor_moments, g.sizes, strict=True)
    ]
    return MetricResult(
        _standardised(m2, m3, g.count, 1.5), g.layers(range(len(values)), values)
    )


def kurtosis(g: Gathered) -> MetricResult:
    """E[(w − μ)⁴] / σ⁴, population moments (3 for a normal); NaN if σ = 0."""
    m2, _, m4 = g.moments
    values = [
        _standardised(m2t, m4t, n, 2.0)
        for (m2t, _, m4t), n in zip(g.tensor_moments, g.sizes, strict=True)
    ]
    return MetricResult(
        _standardised(m2, m4, g.count, 2.0), g.layers(range(len(values)), values)
    )


def isotropy(g: Gathered) -> MetricResult:
    """Mean over M of (Σ s²)² / (r · Σ s⁴), in [1/r, 1].

    1 when every singular value is equal, 1/r for rank one; all-zero
    matrices are left out.
    """
    return _spectral_mean(
        g, lambda s: s.squares**2 / (s.rank * s.fourth), skip_zero=True
    )


def spectral(g: Gathered) -> MetricResult:
    """Max over M of s_max; per layer each matrix's s_max."""
    indices = g.matrices
    values = [g.spectra[i].largest for i in indices]
    return MetricResult(nan_max(values), g.layers(indices, values))


def participation(g: Gathered) -> MetricResult:
    """(Σ w²)² / Σ w⁴; NaN when every weight is zero."""
    values = [
        ratio(s2**2, s4)
        for s2, s4 in zip(g.stats["sumsq"], g.stats["sum4"], strict=True)
    ]
    return MetricResult(
        ratio(g.total("sumsq") ** 2, g.total("sum4")),
        g.layers(range(len(values)), values),
    )


def max_activation(g: Gathered) -> MetricResult:
    """Max over M of max |Wᵢⱼ|."""
    indices = g.matrices
    values = [
        nan_max((abs(g.stats["min"][i]), abs(g.stats["max"][i]))) for i in indices
    ]
    return MetricResult(nan_max(values), g.layers(indices, values))


def stable_rank(g: Gathered) -> MetricResult:
    """Mean over M of ‖W‖_F² / s_max², all-zero matrices left out."""
    return _spectral_mean(g, lambda s: s.squares / s.largest**2, skip_zero=True)


def distance_from_init(g: Gathered) -> MetricResult:
    """‖w_t − w_0‖₂, w_0 the first checkpoint's P."""
    return _distance(g, "first")


def step_distance(g: Gathered) -> MetricResult:
    """‖w_t − w_{t−1}‖₂; NaN at the first checkpoint."""
    return _distance(g, "previous")


def cosine_to_final(g: Gathered) -> MetricResult:
    """⟨w_t, w_final⟩ / (‖w_t‖₂ ‖w_final‖₂); NaN if either norm is zero."""
    if "final" not in g.references:
        return MetricResult(math.nan)
    dots, norms, squares = (g.stats[k] for k in ("dot:final", "norm2:final", "sumsq"))
    values = [
        ratio(d, math.sqrt(a * b)) for d, a, b in zip(dots, squares, norms, strict=True)
    ]
    value = ratio(
        g.total("dot:final"), math.sqrt(g.total("sumsq") * g.total("norm2:final"))
    )
    return MetricResult(value, g.layers(range(len(values)), values))


def _below(g: Gathered, threshold: float, scale: float) -> MetricResult:
    # A tensor holding NaN has a NaN Σ|w|: its count is NaN, not a guess.
    counts = [
        math.nan if math.isnan(a) else c
        for c, a in zip(g.stats[f"below:{threshold}"], g.stats["abssum"], strict=True)
    ]
    values = [scale * c / n for c, n in zip(counts, g.sizes, strict=True)]
    return MetricResult(
        scale * math.fsum(counts) / g.count, g.layers(range(len(values)), values)
    )


def _standardised(m2: float, mk: float, n: int, power: float) -> float:
    if m2 == 0:
        return math.nan
    return (mk / n) / (m2 / n) ** power


def _spectral_mean(
    g: Gathered, per_matrix: Callable[..., float], skip_zero: bool
) -> MetricResult:
    indices = g.matrices
    values = [
        math.nan if skip_zero and g.spectra[i].is_zero else per_matrix(g.spectra[i])
        for i in indices
    ]
    kept = [
        v
        for i, v in zip(indices, values, strict=True)
        if not (skip_zero and g.spectra[i].is_zero)
    ]
    return MetricResult(mean_of(kept), g.layers(indices, values))


def _distance(g: Gathered, role: str) -> MetricResult:
    if role not in g.references:
        return MetricResult(math.nan)
    squares = g.stats[f"distance2:{role}"]
    return MetricResult(
        math.sqrt(g.total(f"distance2:{role}")),
        g.layers(range(len(squares)), [math.sqrt(v) for v in squares]),
    )


BUILDERS: dict[str, Callable[[Gathered], MetricResult]] = {
    "l2": l2,
    "weight_norm": l2,
    "entropy": entropy,
    "connectivity": connectivity,
    "variance": variance,
    "norm_ratio": norm_ratio,
    "capacity": capacity,
    "dead_neurons": dead_neurons,
    "rank": effective_rank,
    "gradient_flow": gradient_flow,
    "effective_rank": effective_rank,
    "condition": condition,
    "flatness": flatness,
    "mean": mean,
    "skew": skew,
    "kurtosis": kurtosis,
    "isotropy": isotropy,
    "spectral": spectral,
    "participation": participation,
    "sparsity": sparsity,
    "max_activation": max_activation,
    "stable_rank": stable_rank,
    "distance_from_init": distance_from_init,
    "step_distance": step_distance,
    "cosine_to_final": cosine_to_final,
}
