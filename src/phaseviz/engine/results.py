"""Running a computation to the end and gathering its values."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from phaseviz.checkpoints import Run
from phaseviz.engine.compute import ComputeOptions, compute_run
from phaseviz.engine.events import Event, MetricFailed, ValueComputed
from phaseviz.engine.plan import custom_metrics, recorded_metrics
from phaseviz.metrics import BUILTIN, Metric
from phaseviz.results import RunResults


def compute_results(
    run: Run,
    metrics: str | Sequence[str],
    options: ComputeOptions | None = None,
    *,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
) -> RunResults:
    """Compute ``metrics`` over ``run`` and gather every value.

    Args:
        run: The run.
        metrics: ``"all"``, comma-separated keys, or a list of keys.
        options: How to compute them.
        on_event: Called with every event as it comes (a progress bar).
        cancel: Set it to stop soon; the values so far are returned.

    Returns:
        The values, per-layer values and errors of the run.
    """
    computation = compute_run(run, metrics, options, cancel=cancel)
    results = RunResults(
        run,
        titles=computation.plan.titles,
        device=str(computation.device),
        approximate=set(computation.approximate),
    )
    start = time.perf_counter()
    for event in computation:
        if isinstance(event, ValueComputed):
            results.add(event.metric, event.index, event.value, event.layers)
        elif isinstance(event, MetricFailed):
            results.add_error(event.metric, event.index, event.message)
        if on_event is not None:
            on_event(event)
    results.compute_seconds = time.perf_counter() - start
    # A Ray cluster without GPUs is only known once the computation starts.
    results.device = str(computation.device)
    return results


def available_metrics(run: Run, metric_files: Sequence[Path] = ()) -> list[Metric]:
    """Every metric the run offers: built-in, recorded and custom.

    Custom metrics are described as :class:`Metric` records of group
    ``custom`` so that views can list them beside the others.
    """
    custom = [
        Metric(
            key=m.key,
            title=m.title,
            group="custom",
            description=f"custom metric from {Path(m.path).name}",
            formula=f"{m.function.__name__}(model)",
            version=0,
            per_layer=False,
            kind="custom",
        )
        for m in custom_metrics(metric_files)
    ]
    return [*BUILTIN.values(), *recorded_metrics(run), *custom]
