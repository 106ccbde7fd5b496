"""The engine: computing metrics over a run, cached, as a stream of events."""

from phaseviz.engine.compute import Computation, ComputeOptions, compute_run
from phaseviz.engine.device import DeviceError, resolve_device
from phaseviz.engine.events import (
    CheckpointDone,
    CheckpointFailed,
    Event,
    MetricFailed,
    Notice,
    ValueComputed,
)
from phaseviz.engine.results import available_metrics, compute_results

__all__ = [
    "CheckpointDone",
    "CheckpointFailed",
    "Computation",
    "ComputeOptions",
    "DeviceError",
    "Event",
    "MetricFailed",
    "Notice",
    "ValueComputed",
    "available_metrics",
    "compute_results",
    "compute_run",
    "resolve_device",
]
