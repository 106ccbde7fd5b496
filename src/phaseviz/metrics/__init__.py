"""The metrics: the registry, the built-in computations and custom metrics.

The registry and the errors load at once; everything that needs torch loads
on first use, so listing the metrics stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phaseviz.lazy import lazy_exports
from phaseviz.metrics.errors import MetricFileError, UnknownMetricError
from phaseviz.metrics.registry import BUILTIN, Metric, recorded_metric, resolve

if TYPE_CHECKING:
    from phaseviz.metrics.builtins import MetricResult
    from phaseviz.metrics.compute import compute_metrics
    from phaseviz.metrics.custom import (
        CustomMetric,
        evaluate_custom,
        load_custom_metrics,
    )
    from phaseviz.metrics.module import as_module
    from phaseviz.metrics.parameters import select_parameters
    from phaseviz.metrics.trajectory import TrajectoryReference, flatten_parameters

_LAZY = {
    "MetricResult": "phaseviz.metrics.builtins",
    "compute_metrics": "phaseviz.metrics.compute",
    "CustomMetric": "phaseviz.metrics.custom",
    "evaluate_custom": "phaseviz.metrics.custom",
    "load_custom_metrics": "phaseviz.metrics.custom",
    "as_module": "phaseviz.metrics.module",
    "select_parameters": "phaseviz.metrics.parameters",
    "TrajectoryReference": "phaseviz.metrics.trajectory",
    "flatten_parameters": "phaseviz.metrics.trajectory",
}

__all__ = [
    "BUILTIN",
    "CustomMetric",
    "Metric",
    "MetricFileError",
    "MetricResult",
    "TrajectoryReference",
    "UnknownMetricError",
    "as_module",
    "compute_metrics",
    "evaluate_custom",
    "flatten_parameters",
    "load_custom_metrics",
    "recorded_metric",
    "resolve",
    "select_parameters",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
