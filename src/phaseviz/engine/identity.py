"""How a metric's values are named in the results cache.

A cached value may be reused only while everything it was computed from is
unchanged: the metric's definition (a version, or a custom metric's source),
the model class that selected its parameters, for trajectory metrics the
checkpoint it is measured against, and for spectral metrics whether the
spectrum was decomposed exactly or estimated (``--spectral fast``), so exact
and approximate values never stand in for each other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from phaseviz.checkpoints import Checkpoint, ModelSpec
from phaseviz.metrics import CustomMetric, Metric
from phaseviz.metrics.plan import SPECTRAL_KEYS

# Added to the title of a metric whose values ``--spectral fast`` estimates.
APPROXIMATE_TITLE = " (approx.)"

# Which other checkpoint each trajectory metric is measured against.
REFERENCE = {
    "distance_from_init": "first",
    "cosine_to_final": "final",
    "step_distance": "previous",
}


def digest(text: str) -> str:
    """A short, stable hash of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def model_suffix(model: ModelSpec | None) -> str:
    """The part of every identity that depends on the user's model class."""
    if model is None:
        return ""
    source = Path(model.path).read_bytes()
    return (
        f"|model={digest(f'{model.class_name}:{hashlib.sha256(source).hexdigest()}')}"
    )


def builtin_identity(
    metric: Metric,
    index: int,
    checkpoints: tuple[Checkpoint, ...],
    suffix: str,
    spectral: str = "exact",
) -> str:
    """The cache identity of a built-in metric at checkpoint ``index``.

    Args:
        metric: The metric.
        index: The checkpoint's position in the run.
        checkpoints: The run's checkpoints.
        suffix: The model class's part, from :func:`model_suffix`.
        spectral: The spectral method; ``fast`` marks a spectral metric's
            values as estimates.
    """
    identity = f"{metric.key}@v{metric.version}{suffix}"
    if is_approximate(metric.key, spectral):
        identity += "|spectral=fast"
    reference = REFERENCE.get(metric.key)
    if reference is None:
        return identity

    other = reference_index(metric.key, index, len(checkpoints))
    named = "none" if other is None else digest(repr(checkpoints[other].identity))
    return f"{identity}|{reference}={named}"


def custom_identity(metric: CustomMetric, suffix: str) -> str:
    """The cache identity of a custom metric: editing its file changes it."""
    return f"custom:{metric.key}@{metric.source_hash[:16]}{suffix}"


def reference_index(key: str, index: int, count: int) -> int | None:
    """The checkpoint a trajectory metric at ``index`` is measured against."""
    reference = REFERENCE[key]
    if reference == "first":
        return 0
    if reference == "final":
        return count - 1
    return index - 1 if index > 0 else None


def is_approximate(key: str, spectral: str) -> bool:
    """Whether the values of metric ``key`` are estimates with this method."""
    return spectral == "fast" and key in SPECTRAL_KEYS
