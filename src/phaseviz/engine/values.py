"""Computing the values of one checkpoint, failures included."""

from __future__ import annotations

import logging
import math
import time
import weakref
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
from phaseviz.metrics.custom import (
    TIMEOUT_VARIABLE,
    MetricTimeout,
    as_number,
    call_with_time_limit,
    measure,
    time_limit,
)

logger = logging.getLogger(__name__)

# Custom metrics whose call overran the time limit, by the identity of the
# plan's record, with where that happened. Each computation plans records
# of its own, so a metric that hung is left out for the rest of its run only.
_timed_out: dict[int, str] = {}


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
    and the checkpoint. A call that overruns the time limit
    (``PHASEVIZ_METRIC_TIMEOUT``) gives NaN too, and that metric is not
    called again for the rest of the run.
    """
    if not metrics:
        return {}
    module = loaded.model if loaded.model is not None else as_module(loaded.params)
    return {metric.key: _call(checkpoint, metric, module) for metric in metrics}


def _call(
    checkpoint: Checkpoint, metric: CustomMetric, module: torch.nn.Module
) -> MetricOutcome:
    function = f"custom metric {metric.function.__name__} from {metric.path}"
    earlier = _timed_out.get(id(metric))
    if earlier is not None:
        message = f"{function} not called at checkpoint {checkpoint.name}: {earlier}"
        return MetricOutcome(math.nan, None, message, cacheable=False)

    start = time.perf_counter()
    try:
        # Metrics read weights; without autograd they run faster and a
        # float() of a parameter does not warn.
        raw = call_with_time_limit(lambda: measure(metric, module), time_limit())
        value = as_number(raw)
    except MetricTimeout as error:
        return _timed_out_outcome(checkpoint, metric, function, error.seconds)
    except (Exception, SystemExit) as error:  # user code may raise anything
        message = (
            f"{function} failed at checkpoint {checkpoint.name}: "
            f"{type(error).__name__}: {error}"
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


def _timed_out_outcome(
    checkpoint: Checkpoint, metric: CustomMetric, function: str, seconds: float
) -> MetricOutcome:
    """NaN for a call that overran, and the metric left out from now on.

    The call may still be running in its abandoned thread; calling the
    metric again would only pile up more of them. The value is not cached:
    on a quieter machine, or with a longer limit, it may well finish.
    """
    key = id(metric)
    if key not in _timed_out:
        weakref.finalize(metric, _timed_out.pop, key, None)
    _timed_out[key] = (
        f"it timed out after {seconds:g} s at checkpoint {checkpoint.name}, so it "
        "is not called again in this run"
    )
    message = (
        f"{function} timed out at checkpoint {checkpoint.name}: no result within "
        f"{seconds:g} s; it is not called again in this run (raise "
        f"{TIMEOUT_VARIABLE} to allow it longer)"
    )
    logger.error(message)
    return MetricOutcome(math.nan, None, message, cacheable=False)
