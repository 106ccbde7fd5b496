"""What a metric is: the record the registry, the views and the cache share."""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = (
    "norms",
    "distribution",
    "spectral",
    "structure",
    "trajectory",
    "recorded",
    "custom",
)
KINDS = (
    "elementwise",
    "matrix",
    "spectral",
    "trajectory",
    "structure",
    "recorded",
    "custom",
)


@dataclass(frozen=True)
class Metric:
    """What a metric is, for the registry, the views and the cache.

    Attributes:
        key: The identifier users type (``l2``, ``effective_rank``).
        title: The name shown in charts and tables.
        group: The sidebar group: one of :data:`GROUPS`.
        description: One line on what the metric tells a user.
        formula: The definition in one line.
        version: Raised whenever the definition changes, so cached values of
            the old definition are not reused.
        per_layer: Whether the metric also has a value per tensor.
        kind: What the metric is computed from: one of :data:`KINDS`.
    """

    key: str
    title: str
    group: str
    description: str
    formula: str
    version: int
    per_layer: bool
    kind: str
