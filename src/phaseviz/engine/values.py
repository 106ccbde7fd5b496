"""Computing the values of one checkpoint, failures included."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from phaseviz.checkpoints import Checkpoint
from phaseviz.engine.loading import LoadedParameters
from phaseviz.metrics import (
    CustomMetric,
    TrajectoryReference,
    as_module,
    compute_metrics,
)
from phaseviz.metrics.custom import as_number

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetricOutcome:
    """What computing one metric at one checkpoint gave.

    Attributes:
        value: The value, NaN when it failed.
        layers: Per-layer values, where kept.
        error: Why it failed, for the user; None when it did not.
        cacheable: False for failures that may not happen again (a GPU
            out of memory, say), which must not be cached.
    """

    value: float
    layers: dict[str, float] | None = None
    error: str | None = None
    cacheable: bool = True


def compute_builtin(
    checkpoint: Checkpoint,
    params: dict[str, torch.Tensor],
    keys: Sequence[str],
    device: torch.device,
    per_layer: bool,
    trajectory: TrajectoryReference | None,
) -> dict[str, MetricOutcome]:
    """Every requested built-in metric of one checkpoint, in one shared pass."""
    if not keys:
        return {}
    start = time.perf_counter()
    try:
        results = compute_metrics(
            params,
            keys,
            device=device,
            per_layer=per_layer,
            trajectory=trajectory,
            checkpoint=checkpoint.name,
        )
    except Exception as error:  # noqa: BLE001 - one bad checkpoint must not stop a run
        logger.exception("checkpoint %s: computing %s failed", checkpoint.name, keys)
        message = (
            f"{checkpoint.name}: computing {', '.join(keys)} failed: "
            f"{type(error).__name__}: {error}"
        )
        return {key: MetricOutcome(math.nan, None, message, False) for key in keys}

    seconds = time.perf_counter() - start
    for key in keys:
        logger.info(
            "checkpoint %s: metric %s = %.6g (shared pass of %d metrics, %.3f s)",
            checkpoint.name,
            key,
            results[key].value,
            len(keys),
            seconds,
        )
    return {
        key: MetricOutcome(
            results[key].value, results[key].layers if per_layer else None
        )
        for key in keys
    }


def compute_custom(
    checkpoint: Checkpoint, loaded: LoadedParameters, metrics: Sequence[CustomMetric]
) -> dict[str, MetricOutcome]:
    """Call each custom metric on the checkpoint's model.

    The model is the user's when a class was given, else a module holding
    the checkpoint's tensors. A metric that raises or returns something that
    is not a number gives NaN and an error naming the function, the file
    and the checkpoint.
    """
    if not metrics:
        return {}
    module = loaded.model if loaded.model is not None else as_module(loaded.params)
    return {metric.key: _call(checkpoint, metric, module) for metric in metrics}


def _call(
    checkpoint: Checkpoint, metric: CustomMetric, module: torch.nn.Module
) -> MetricOutcome:
    start = time.perf_counter()
    try:
        # Metrics read weights; without autograd they run faster and a
        # float() of a parameter does not warn.
        with torch.no_grad():
            value = as_number(metric.function(module))
    except Exception as error:  # noqa: BLE001 - user code may raise anything
        message = (
            f"custom metric {metric.function.__name__} from {metric.path} failed at "
            f"checkpoint {checkpoint.name}: {type(error).__name__}: {error}"
        )
        logger.error(message)
        return MetricOutcome(math.nan, None, message)

    logger.info(
        "checkpoint %s: custom metric %s = %.6g (%.3f s)",
        checkpoint.name,
        metric.key,
        value,
        time.perf_counter() - start,
    )
    return MetricOutcome(value)
