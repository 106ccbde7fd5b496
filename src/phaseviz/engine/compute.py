"""Computing metrics over a run, as a stream of events.

The run is walked in step order. Values already in the results cache are
reported first, at once; then each checkpoint that still misses a value is
handed to an executor, which reads it once and computes every missing
metric from that one read: here, reading the next checkpoint in the
background meanwhile (:mod:`phaseviz.engine.executors.local`), or as a Ray
task (:mod:`phaseviz.engine.executors.distributed`). Whatever the executor,
each checkpoint's values are cached in one transaction and reported as the
same events.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Generator, Iterator, Sequence

from phaseviz.checkpoints import Checkpoint, Run
from phaseviz.engine.device import resolve_device
from phaseviz.engine.events import (
    CheckpointDone,
    CheckpointFailed,
    Event,
    MetricFailed,
    Notice,
    ValueComputed,
)
from phaseviz.engine.executors import Completed, Executor
from phaseviz.engine.identity import (
    APPROXIMATE_TITLE,
    builtin_identity,
    custom_identity,
    is_approximate,
    model_suffix,
)
from phaseviz.engine.options import ComputeOptions
from phaseviz.engine.plan import Plan, make_plan
from phaseviz.engine.values import MetricOutcome
from phaseviz.engine.work import CheckpointWork, Pending
from phaseviz.store import ResultStore

logger = logging.getLogger(__name__)

__all__ = ["Computation", "ComputeOptions", "compute_run"]


class Computation:
    """One computation of metrics over a run; iterate it for the events.

    With ``options.spectral == "fast"`` the spectral metrics are estimates:
    their keys are in :attr:`approximate` and their titles in the plan end
    in " (approx.)".

    Args:
        run: The run.
        plan: The metrics to compute.
        options: How to compute them.
        cancel: Set it to stop soon, between checkpoints.

    Attributes:
        approximate: Keys of the metrics whose values are estimates.

    Raises:
        DeviceError: ``options.device`` names no device of this machine.
        ModelError: The model file or class cannot be used.
        ExecutorError: ``options.executor`` is ``ray`` and Ray is missing.
    """

    def __init__(
        self,
        run: Run,
        plan: Plan,
        options: ComputeOptions,
        cancel: threading.Event | None = None,
    ) -> None:
        self.run = run
        self.options = options
        self.cancel = cancel or threading.Event()
        self.approximate = {
            m.key for m in plan.builtin if is_approximate(m.key, options.spectral)
        }
        self.plan = _labelled(plan, self.approximate)
        self._notice: str | None = None
        self._executor = self._make_executor() if plan.builtin or plan.custom else None
        if self._executor is None:
            self.device, self._notice = resolve_device(options.device)
        else:
            self.device = self._executor.device
        self._suffix = model_suffix(options.model)
        self._store: ResultStore | None = None
        self._done = 0

    def _make_executor(self) -> Executor:
        if self.options.executor == "ray":
            from phaseviz.engine.executors.distributed import RayExecutor

            return RayExecutor(self.run, self.plan, self.options)

        from phaseviz.engine.executors.local import LocalExecutor

        device, self._notice = resolve_device(self.options.device)
        work = CheckpointWork(self.options, self.plan.custom, device)
        return LocalExecutor(self.run, work, self.options.parallel)

    @property
    def total(self) -> int:
        """The number of checkpoints in this computation."""
        return len(self.run.checkpoints)

    def __iter__(self) -> Iterator[Event]:
        """The events of the computation, as they come."""
        if self._notice:
            yield Notice(self._notice)
        yield from self._open_store()
        try:
            pending = yield from self._cached()
            yield from self._compute(pending)
        finally:
            if self._store is not None:
                self._store.close()

    def _open_store(self) -> Iterator[Event]:
        if not self.options.cache or self._executor is None:
            return
        try:
            self._store = ResultStore.for_run(self.run.path)
        except (OSError, sqlite3.Error) as error:
            message = (
                f"results cache for {self.run.path} unavailable ({error}); "
                "computing without it"
            )
            logger.warning(message)
            yield Notice(message)

    def _cached(self) -> Generator[Event, None, list[Pending]]:
        """Report recorded and cached values; return what is left to compute."""
        pending: list[Pending] = []
        for index, checkpoint in enumerate(self.run.checkpoints):
            if self.cancel.is_set():
                return pending
            missing = self._missing(index)
            yield from self._recorded(index, checkpoint)
            yield from self._from_store(index, checkpoint, missing)

            if missing:
                pending.append(missing)
            else:
                self._done += 1
                yield CheckpointDone(
                    index, checkpoint, self._done, self.total, True, 0.0
                )
        return pending

    def _missing(self, index: int) -> Pending:
        checkpoints = self.run.checkpoints
        pending = Pending(index)
        for metric in self.plan.builtin:
            pending.builtin[metric.key] = builtin_identity(
                metric, index, checkpoints, self._suffix, self.options.spectral
            )
        for custom in self.plan.custom:
            pending.custom[custom.key] = custom_identity(custom, self._suffix)
        return pending

    def _recorded(self, index: int, checkpoint: Checkpoint) -> Iterator[Event]:
        for metric in self.plan.recorded:
            name = metric.key.removeprefix("recorded.")
            if name in checkpoint.recorded:
                yield self._value(
                    index, metric.key, checkpoint.recorded[name], None, True
                )

    def _from_store(
        self, index: int, checkpoint: Checkpoint, missing: Pending
    ) -> Iterator[Event]:
        if self._store is None or not missing:
            return
        wanted = {**missing.builtin, **missing.custom}
        stored = self._store.get(checkpoint.identity, list(wanted.values()))
        layered = {m.key for m in self.plan.builtin if m.per_layer}

        for key, identity in wanted.items():
            hit = stored.get(identity)
            needs_layers = self.options.per_layer and key in layered
            if hit is None or (needs_layers and hit.layers is None):
                continue
            missing.builtin.pop(key, None)
            missing.custom.pop(key, None)
            if hit.error:
                yield MetricFailed(index, checkpoint, key, hit.error)
            else:
                layers = hit.layers if self.options.per_layer else None
                yield self._value(index, key, hit.value, layers, True)

    def _compute(self, pending: list[Pending]) -> Iterator[Event]:
        executor = self._executor
        if not pending or executor is None or self.cancel.is_set():
            return
        try:
            for message in executor.start():
                yield Notice(message)
            self.device = executor.device
            with contextlib.closing(executor.map(pending, self.cancel)) as results:
                yield from self._results(results)
        finally:
            executor.close()

    def _results(self, results: Iterator[Completed]) -> Iterator[Event]:
        for item, result in results:
            checkpoint = self.run.checkpoints[item.index]
            if isinstance(result, Exception):
                yield from self._failed_checkpoint(item.index, checkpoint, result)
                continue
            yield from self._save(item.index, checkpoint, item, result.outcomes)
            self._done += 1
            yield CheckpointDone(
                item.index, checkpoint, self._done, self.total, False, result.seconds
            )
            if self.cancel.is_set():
                return

    def _save(
        self,
        index: int,
        checkpoint: Checkpoint,
        item: Pending,
        outcomes: dict[str, MetricOutcome],
    ) -> Iterator[Event]:
        identities = {**item.builtin, **item.custom}
        rows = [
            (identities[key], o.value, self._stored_layers(key, o), o.error)
            for key, o in outcomes.items()
            if o.cacheable
        ]
        yield from self._store_rows(checkpoint, rows)

        for key, outcome in outcomes.items():
            if outcome.error:
                yield MetricFailed(index, checkpoint, key, outcome.error)
            else:
                yield self._value(index, key, outcome.value, outcome.layers, False)

    def _stored_layers(
        self, key: str, outcome: MetricOutcome
    ) -> dict[str, float] | None:
        """Per-layer values to cache: none at all is stored as an empty dict.

        A value without per-layer values (``step_distance`` at the first
        checkpoint) must still count as having them, or every later run
        would compute it again.
        """
        if outcome.layers is not None or not self.options.per_layer:
            return outcome.layers
        layered = any(m.key == key and m.per_layer for m in self.plan.builtin)
        return {} if layered else None

    def _store_rows(self, checkpoint: Checkpoint, rows: list) -> Iterator[Event]:
        if self._store is None or not rows:
            return
        try:
            self._store.put(checkpoint.identity, rows)
        except sqlite3.Error as error:
            message = (
                f"could not write the results cache {self._store.path} ({error}); "
                "values already stored are kept, the rest of this run is computed "
                "without caching"
            )
            logger.error(message)
            self._store.close()
            self._store = None
            yield Notice(message)

    def _failed_checkpoint(
        self, index: int, checkpoint: Checkpoint, error: Exception
    ) -> Iterator[Event]:
        message = str(error) or type(error).__name__
        if str(checkpoint.path) not in message:
            message = f"{checkpoint.path}: {message}"
        logger.error("skipping checkpoint %s: %s", checkpoint.name, message)
        self._done += 1
        yield CheckpointFailed(index, checkpoint, message, self._done, self.total)

    def _value(
        self,
        index: int,
        key: str,
        value: float,
        layers: dict[str, float] | None,
        cached: bool,
    ) -> ValueComputed:
        checkpoint = self.run.checkpoints[index]
        return ValueComputed(
            index, checkpoint, key, value, layers, cached, self._done, self.total
        )


def compute_run(
    run: Run,
    metrics: str | Sequence[str],
    options: ComputeOptions | None = None,
    *,
    cancel: threading.Event | None = None,
) -> Computation:
    """Compute ``metrics`` over ``run``; iterate the result for its events.

    Args:
        run: The run, from :func:`phaseviz.checkpoints.discover_run`.
        metrics: ``"all"``, comma-separated keys, or a list of keys.
        options: How to compute them.
        cancel: Set it to stop soon, between checkpoints.

    Raises:
        UnknownMetricError: A key is not a metric of this run.
        MetricFileError: A custom metric file cannot be used.
        ModelError: The model file or class cannot be used.
        DeviceError: The device does not exist.

    Example:
        >>> for event in compute_run(run, "l2,entropy"):  # doctest: +SKIP
        ...     print(event)
    """
    options = options or ComputeOptions()
    plan = make_plan(run, metrics, options.metric_files)
    return Computation(run, plan, options, cancel)


def _labelled(plan: Plan, approximate: set[str]) -> Plan:
    """The plan with " (approx.)" added to the titles of estimated metrics."""
    if not approximate:
        return plan
    builtin = tuple(
        dataclasses.replace(m, title=m.title + APPROXIMATE_TITLE)
        if m.key in approximate
        else m
        for m in plan.builtin
    )
    return dataclasses.replace(plan, builtin=builtin)
