"""An independent NumPy reading of the metric contract, for checking phaseviz.

Written from the formulas of the contract alone, in the plainest NumPy:
every value straight from its definition, every tensor in float64, no
shared passes and no torch.
"""

from __future__ import annotations

import math

import numpy as np

Layers = dict[str, float] | None


def select(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """P without a model: floating tensors that are not buffers."""
    chosen = {}
    for name, array in state.items():
        if not np.issubdtype(array.dtype, np.floating):
            continue
        if name.split(".")[-1] in ("running_mean", "running_var"):
            continue
        if name.endswith("mask") and np.all(
            (array == 0) | (array == 1) | np.isinf(array)
        ):
            continue
        chosen[name] = array.astype(np.float64)
    return chosen


def metrics(
    params: dict[str, np.ndarray], first=None, previous=None, final=None
) -> dict[str, tuple[float, Layers]]:
    """Every built-in metric of P: key → (value, per-layer values or None)."""
    params = {k: v.astype(np.float64) for k, v in params.items() if v.size}
    w = np.concatenate([v.ravel() for v in params.values()])
    mats = {k: v.reshape(v.shape[0], -1) for k, v in params.items() if v.ndim >= 2}
    every = {k: v.ravel() for k, v in params.items()}
    sv = {k: np.linalg.svd(m, compute_uv=False) for k, m in mats.items()}

    out: dict[str, tuple[float, Layers]] = {}
    out["l2"] = (l2(w), {k: l2(v) for k, v in every.items()})
    out["weight_norm"] = out["l2"]
    out["entropy"] = (entropy(w), {k: entropy(v) for k, v in every.items()})
    conn = {k: float(np.mean(np.abs(m))) for k, m in mats.items()}
    out["connectivity"] = (mean_or_nan(conn.values()), conn)
    out["variance"] = (variance(w), {k: variance(v) for k, v in every.items()})
    out["norm_ratio"] = (norm_ratio(list(mats.values())), None)
    out["capacity"] = (sum(math.log(m.shape[0] + 1) for m in mats.values()), None)
    out["dead_neurons"] = (
        100 * below(w, 1e-6),
        {k: 100 * below(v, 1e-6) for k, v in every.items()},
    )
    flow = {k: gradient_flow(m) for k, m in mats.items()}
    out["gradient_flow"] = (mean_or_nan(flow.values()), flow)
    eff = {k: effective_rank(s) for k, s in sv.items()}
    out["effective_rank"] = (
        mean_or_nan(v for v in eff.values() if not np.isnan(v)),
        eff,
    )
    out["rank"] = out["effective_rank"]
    cond = {k: condition(s) for k, s in sv.items()}
    out["condition"] = (mean_or_nan(v for v in cond.values() if v != math.inf), cond)
    flat = {k: np.linalg.norm(m, "fro") * sv[k][0] for k, m in mats.items()}
    out["flatness"] = (mean_or_nan(flat.values()), flat)
    out["mean"] = (mean(w), {k: mean(v) for k, v in every.items()})
    out["skew"] = (moment(w, 3), {k: moment(v, 3) for k, v in every.items()})
    out["kurtosis"] = (moment(w, 4), {k: moment(v, 4) for k, v in every.items()})
    iso = {k: isotropy(m) for k, m in mats.items()}
    out["isotropy"] = (mean_or_nan(v for v in iso.values() if not np.isnan(v)), iso)
    top = {k: float(s[0]) for k, s in sv.items()}
    out["spectral"] = (max(top.values()) if top else math.nan, top)
    out["participation"] = (
        participation(w),
        {k: participation(v) for k, v in every.items()},
    )
    out["sparsity"] = (below(w, 1e-3), {k: below(v, 1e-3) for k, v in every.items()})
    peak = {k: float(np.max(np.abs(m))) for k, m in mats.items()}
    out["max_activation"] = (max(peak.values()) if peak else math.nan, peak)
    stable = {k: stable_rank(m, sv[k]) for k, m in mats.items()}
    out["stable_rank"] = (
        mean_or_nan(v for v in stable.values() if not np.isnan(v)),
        stable,
    )
    out["distance_from_init"] = distance(every, first)
    out["step_distance"] = distance(every, previous)
    out["cosine_to_final"] = cosine(every, final)
    return out


def l2(v: np.ndarray) -> float:
    return float(np.sqrt(np.sum(v * v)))


def entropy(v: np.ndarray) -> float:
    low, high = v.min(), v.max()
    if low == high:
        return 0.0
    bins = np.floor((v - low) * 100 / (high - low)).astype(np.int64)
    counts = np.bincount(np.minimum(bins, 99), minlength=100)
    p = counts[counts > 0] / v.size
    return float(-np.sum(p * np.log(p)))


def constant(v: np.ndarray) -> bool:
    return bool(np.all(v == v.ravel()[0]))


def mean(v: np.ndarray) -> float:
    return float(v.ravel()[0]) if constant(v) else float(np.mean(v))


def variance(v: np.ndarray) -> float:
    return 0.0 if constant(v) else float(np.mean((v - np.mean(v)) ** 2))


def moment(v: np.ndarray, k: int) -> float:
    if constant(v):
        return math.nan
    centred = v - np.mean(v)
    sigma = np.sqrt(np.mean(centred**2))
    return float(np.mean(centred**k) / sigma**k)


def below(v: np.ndarray, threshold: float) -> float:
    return float(np.count_nonzero(np.abs(v) < threshold) / v.size)


def participation(v: np.ndarray) -> float:
    fourth = np.sum(v**4)
    return float(np.sum(v**2) ** 2 / fourth) if fourth else math.nan


def norm_ratio(mats: list[np.ndarray]) -> float:
    if len(mats) < 2:
        return math.nan
    first = np.linalg.norm(mats[0], "fro")
    return float(np.linalg.norm(mats[-1], "fro") / first) if first else math.nan


def gradient_flow(m: np.ndarray) -> float:
    return float(1 / (1 + abs(np.std(m) - np.sqrt(2 / m.shape[1]))))


def effective_rank(s: np.ndarray) -> float:
    if not np.any(s):
        return math.nan
    q = s / s.sum()
    q = q[q > 0]
    return float(np.exp(-np.sum(q * np.log(q))))


def condition(s: np.ndarray) -> float:
    return math.inf if s[-1] == 0 else float(s[0] / s[-1])


def isotropy(m: np.ndarray) -> float:
    if not np.any(m):
        return math.nan
    gram = m @ m.T
    return float(np.trace(gram) ** 2 / (min(m.shape) * np.sum(gram * gram)))


def stable_rank(m: np.ndarray, s: np.ndarray) -> float:
    if not np.any(m):
        return math.nan
    return float(np.linalg.norm(m, "fro") ** 2 / s[0] ** 2)


def distance(every: dict[str, np.ndarray], other) -> tuple[float, Layers]:
    if other is None:
        return math.nan, None
    layers, total = {}, []
    offset = 0
    for name, v in every.items():
        diff = v - other[offset : offset + v.size]
        layers[name] = l2(diff)
        total.append(diff)
        offset += v.size
    return l2(np.concatenate(total)), layers


def cosine(every: dict[str, np.ndarray], final) -> tuple[float, Layers]:
    if final is None:
        return math.nan, None
    layers = {}
    offset = 0
    for name, v in every.items():
        f = final[offset : offset + v.size]
        norms = l2(v) * l2(f)
        layers[name] = float(v @ f / norms) if norms else math.nan
        offset += v.size
    w = np.concatenate(list(every.values()))
    norms = l2(w) * l2(final)
    return (float(w @ final / norms) if norms else math.nan), layers


def mean_or_nan(values) -> float:
    values = list(values)
    return float(np.mean(values)) if values else math.nan
