"""Computing metrics over a run, as a stream of events.

The run is walked in step order. Values already in the results cache are
reported first, at once; then each checkpoint that still misses a value is
read once (the next one is read in the background while this one is
computed) and every missing metric is computed from that one read.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import torch

from phaseviz.checkpoints import Checkpoint, ModelSpec, Run
from phaseviz.engine.device import resolve_device
from phaseviz.engine.events import (
    CheckpointDone,
    CheckpointFailed,
    Event,
    MetricFailed,
    Notice,
    ValueComputed,
)
from phaseviz.engine.identity import (
    REFERENCE,
    builtin_identity,
    custom_identity,
    model_suffix,
)
from phaseviz.engine.loading import LoadedParameters, ParameterLoader
from phaseviz.engine.plan import Plan, make_plan
from phaseviz.engine.trajectory import References
from phaseviz.engine.values import MetricOutcome, compute_builtin, compute_custom
from phaseviz.store import ResultStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComputeOptions:
    """How a run is computed.

    Attributes:
        device: ``cuda`` (falls back to the CPU with a notice), ``cuda:N``
            or ``cpu``.
        model: The user's model class, or None to work from state dicts.
        metric_files: Files of custom ``*_of_model`` metrics.
        trust: Unpickle arbitrary objects in checkpoints.
        cache: Read and write the results cache.
        parallel: Read the next checkpoint while computing this one.
        per_layer: Keep per-layer values.
    """

    device: str = "cuda"
    model: ModelSpec | None = None
    metric_files: tuple[Path, ...] = ()
    trust: bool = False
    cache: bool = True
    parallel: bool = True
    per_layer: bool = True


@dataclass
class _Pending:
    """What is still to compute at one checkpoint, by metric identity."""

    index: int
    builtin: dict[str, str] = field(default_factory=dict)  # key -> identity
    custom: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.builtin or self.custom)


class Computation:
    """One computation of metrics over a run; iterate it for the events.

    Args:
        run: The run.
        plan: The metrics to compute.
        options: How to compute them.
        cancel: Set it to stop soon, between checkpoints.

    Raises:
        DeviceError: ``options.device`` names no device of this machine.
        ModelError: The model file or class cannot be used.
    """

    def __init__(
        self,
        run: Run,
        plan: Plan,
        options: ComputeOptions,
        cancel: threading.Event | None = None,
    ) -> None:
        self.run = run
        self.plan = plan
        self.options = options
        self.cancel = cancel or threading.Event()
        self.device, self._notice = resolve_device(options.device)
        needs_tensors = bool(plan.builtin or plan.custom)
        self._loader = (
            ParameterLoader(options.model, options.trust) if needs_tensors else None
        )
        self._suffix = model_suffix(options.model)
        self._store: ResultStore | None = None
        self._done = 0

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
        if not self.options.cache or self._loader is None:
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

    def _cached(self) -> Generator[Event, None, list[_Pending]]:
        """Report recorded and cached values; return what is left to compute."""
        pending: list[_Pending] = []
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

    def _missing(self, index: int) -> _Pending:
        checkpoints = self.run.checkpoints
        pending = _Pending(index)
        for metric in self.plan.builtin:
            pending.builtin[metric.key] = builtin_identity(
                metric, index, checkpoints, self._suffix
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
        self, index: int, checkpoint: Checkpoint, missing: _Pending
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

    def _compute(self, pending: list[_Pending]) -> Iterator[Event]:
        if not pending or self._loader is None:
            return
        references = References(self.run, self._load)
        pool = ThreadPoolExecutor(1, "phaseviz-read") if self.options.parallel else None
        try:
            upcoming = self._read(pool, pending[0].index)
            for position, item in enumerate(pending):
                if self.cancel.is_set():
                    return
                current = upcoming
                if position + 1 < len(pending):
                    upcoming = self._read(pool, pending[position + 1].index)
                yield from self._compute_checkpoint(item, current, references)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _read(self, pool: ThreadPoolExecutor | None, index: int) -> Future:
        checkpoint = self.run.checkpoints[index]
        if pool is not None:
            return pool.submit(self._load, checkpoint)
        future: Future = Future()
        try:
            future.set_result(self._load(checkpoint))
        except Exception as error:  # noqa: BLE001 - reported as CheckpointFailed
            future.set_exception(error)
        return future

    def _load(self, checkpoint: Checkpoint) -> LoadedParameters:
        assert self._loader is not None
        return self._loader.load(checkpoint)

    def _compute_checkpoint(
        self, item: _Pending, read: Future, references: References
    ) -> Iterator[Event]:
        checkpoint = self.run.checkpoints[item.index]
        start = time.perf_counter()
        try:
            loaded: LoadedParameters = read.result()
        except Exception as error:  # noqa: BLE001 - any unreadable file is skipped
            yield from self._failed_checkpoint(item.index, checkpoint, error)
            return

        references.keep(item.index, loaded)
        outcomes = self._outcomes(item, loaded, references)
        yield from self._save(item.index, checkpoint, item, outcomes)
        self._done += 1
        seconds = time.perf_counter() - start + loaded.seconds
        yield CheckpointDone(
            item.index, checkpoint, self._done, self.total, False, seconds
        )

    def _outcomes(
        self, item: _Pending, loaded: LoadedParameters, references: References
    ) -> dict[str, MetricOutcome]:
        checkpoint = self.run.checkpoints[item.index]
        trajectory = None
        if any(key in REFERENCE for key in item.builtin):
            trajectory = references.around(item.index, loaded, set(item.builtin))
        with torch.inference_mode():
            outcomes = compute_builtin(
                checkpoint,
                loaded.params,
                list(item.builtin),
                self.device,
                self.options.per_layer,
                trajectory,
            )
        custom = [m for m in self.plan.custom if m.key in item.custom]
        outcomes.update(compute_custom(checkpoint, loaded, custom))
        return outcomes

    def _save(
        self,
        index: int,
        checkpoint: Checkpoint,
        item: _Pending,
        outcomes: dict[str, MetricOutcome],
    ) -> Iterator[Event]:
        identities = {**item.builtin, **item.custom}
        rows = [
            (identities[key], o.value, o.layers, o.error)
            for key, o in outcomes.items()
            if o.cacheable
        ]
        yield from self._store_rows(checkpoint, rows)

        for key, outcome in outcomes.items():
            if outcome.error:
                yield MetricFailed(index, checkpoint, key, outcome.error)
            else:
                yield self._value(index, key, outcome.value, outcome.layers, False)

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
