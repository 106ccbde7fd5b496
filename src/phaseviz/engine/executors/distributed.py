"""Computing checkpoints as Ray tasks, on a cluster or a local Ray instance.

Each checkpoint becomes one task that reads it and computes every metric it
misses, built-in and custom, with the same code as the local executor; a
task asks for a GPU when the device is CUDA and the cluster has GPUs. The
results come back as tasks finish, to be cached and reported here.

A task reads what it needs itself: the checkpoint, the references of the
trajectory metrics (the first, final and previous checkpoints), the model
file and the custom metric files. They must therefore be readable at the
same paths on every node (a shared file system), and phaseviz installed
there. A custom metric file that differs on a node from the one planned
with gives that metric an error rather than a value under the wrong
identity.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from phaseviz.checkpoints import Run, load_model_class
from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.engine.device import parse_device, resolve_device
from phaseviz.engine.executors import Completed
from phaseviz.engine.options import ComputeOptions
from phaseviz.engine.plan import Plan, custom_metrics
from phaseviz.engine.values import MetricOutcome
from phaseviz.engine.work import CheckpointWork, Finished, Pending

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'phaseviz[ray]'"
# CPUs each task takes, and the torch threads it computes with.
TASK_CPUS = 1
# Tasks in flight per task slot of the cluster: enough to keep every slot
# busy while a result travels back, few enough to stop soon on cancel.
IN_FLIGHT_PER_SLOT = 2
_WAIT_SECONDS = 0.5

# This worker's work for each computation it served lately, by token.
_WORK: dict[str, tuple[CheckpointWork, dict[str, str]]] = {}


class ExecutorError(PhasevizError):
    """The Ray executor cannot be used here."""

    exit_code = 2


class CheckpointTaskError(Exception):
    """The task of one checkpoint failed; the message says why."""


@dataclass(frozen=True)
class _Shared:
    """What every task of one computation needs, sent to the cluster once."""

    token: str
    run: Run
    options: ComputeOptions
    custom: tuple[tuple[str, str], ...]  # (key, source hash) planned with
    device: str


@dataclass(frozen=True)
class _Task:
    index: int
    builtin: tuple[str, ...]
    custom: tuple[str, ...]


@dataclass(frozen=True)
class _Unreadable:
    message: str


class RayExecutor:
    """Sends each checkpoint to Ray as a task and streams the results back.

    Ray is joined at ``options.ray_address``, else at ``$RAY_ADDRESS``,
    else a Ray instance is started on this machine for the computation
    (bound to 127.0.0.1, no dashboard) and shut down after it. A Ray
    already initialised in this process is used as it is, and left
    running.

    Args:
        run: The run.
        plan: The metrics of the computation.
        options: How to compute.

    Raises:
        ExecutorError: Ray is not installed.
        DeviceError: ``options.device`` is no device.
        ModelError: The model file or class cannot be used (checked here,
            before any task is sent).
    """

    def __init__(self, run: Run, plan: Plan, options: ComputeOptions) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ExecutorError(
                f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}"
            )
        if options.model is not None:
            load_model_class(options.model)
        self.run = run
        self.plan = plan
        self.options = options
        # The GPUs that matter are the cluster's, not this machine's; a task
        # sees the one Ray gives it as cuda:0.
        requested = parse_device(options.device)
        self.device = torch.device(requested.type)
        self._started = False
        self._slots = 1
        self._shared: Any = None
        self._remote: Any = None

    def start(self) -> list[str]:
        """Join or start Ray, and decide where tasks compute."""
        import ray

        notices = []
        if not ray.is_initialized():
            notices.append(self._init(ray))
        resources = ray.cluster_resources()
        wants_gpu = self.device.type == "cuda"
        if wants_gpu and resources.get("GPU", 0) < 1:
            notice = (
                "the Ray cluster has no GPU; its tasks compute on the CPU instead "
                f"of {self.options.device}"
            )
            logger.warning(notice)
            notices.append(notice)
            self.device = torch.device("cpu")

        gpus = 1 if self.device.type == "cuda" else 0
        self._slots = max(
            1,
            int(resources.get("GPU", 0))
            if gpus
            else int(resources.get("CPU", 1) // TASK_CPUS),
        )
        self._remote = ray.remote(_run_task).options(
            num_cpus=TASK_CPUS, num_gpus=gpus, max_retries=2
        )
        shared = _Shared(
            uuid.uuid4().hex,
            self.run,
            self.options,
            tuple((m.key, m.source_hash) for m in self.plan.custom),
            str(self.device),
        )
        self._shared = ray.put(shared)
        return notices

    def map(
        self, pending: Sequence[Pending], cancel: threading.Event
    ) -> Generator[Completed, None, None]:
        """Submit the checkpoints of ``pending``; yield each as it finishes."""
        import ray

        queue = iter(pending)
        running: dict[Any, Pending] = {}

        def submit() -> None:
            item = next(queue, None)
            if item is not None:
                task = _Task(item.index, tuple(item.builtin), tuple(item.custom))
                running[self._remote.remote(self._shared, task)] = item

        for _ in range(IN_FLIGHT_PER_SLOT * self._slots):
            submit()
        try:
            while running and not cancel.is_set():
                done, _ = ray.wait(list(running), num_returns=1, timeout=_WAIT_SECONDS)
                for ref in done:
                    item = running.pop(ref)
                    submit()
                    yield item, self._result(ray, ref, item)
        finally:
            for ref in running:
                ray.cancel(ref)

    def close(self) -> None:
        """Shut down the Ray instance this executor started, if it did."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def _init(self, ray: Any) -> str:
        address = self.options.ray_address or os.environ.get("RAY_ADDRESS")
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if address:
            ray.init(address=address, **quiet)
            message = f"computing on the Ray cluster at {address}"
        else:
            cpus = os.cpu_count() or 1
            ray.init(
                address="local",
                num_cpus=cpus,
                include_dashboard=False,
                _node_ip_address="127.0.0.1",
                **quiet,
            )
            message = f"started a local Ray instance with {cpus} CPUs"
        self._started = True
        logger.info(message)
        return message

    def _result(self, ray: Any, ref: Any, item: Pending) -> Finished | Exception:
        checkpoint = self.run.checkpoints[item.index]
        try:
            result = ray.get(ref)
        except Exception as error:  # noqa: BLE001 - Ray wraps what the task raised
            cause = getattr(error, "cause", None) or error
            logger.error(
                "checkpoint %s: its Ray task failed: %s", checkpoint.name, cause
            )
            return CheckpointTaskError(
                f"{checkpoint.path}: its Ray task failed: "
                f"{type(cause).__name__}: {cause}"
            )
        if isinstance(result, _Unreadable):
            return CheckpointTaskError(result.message)
        return result


def _run_task(shared: _Shared, task: _Task) -> Finished | _Unreadable:
    """Read one checkpoint and compute what it misses (runs on a Ray worker)."""
    torch.set_num_threads(TASK_CPUS)
    work, mismatched = _work_for(shared)
    item = Pending(
        task.index, dict.fromkeys(task.builtin, ""), dict.fromkeys(task.custom, "")
    )
    checkpoint = shared.run.checkpoints[task.index]
    outcomes = {
        key: MetricOutcome(math.nan, None, mismatched[key], cacheable=False)
        for key in task.custom
        if key in mismatched
    }
    for key in outcomes:
        del item.custom[key]

    try:
        finished = work.run(shared.run, item)
    except Exception as error:  # noqa: BLE001 - reported as CheckpointFailed
        message = str(error) or type(error).__name__
        if str(checkpoint.path) not in message:
            message = f"{checkpoint.path}: {message}"
        return _Unreadable(message)
    return Finished({**finished.outcomes, **outcomes}, finished.seconds)


def _work_for(shared: _Shared) -> tuple[CheckpointWork, dict[str, str]]:
    """This worker's reader and computer for one computation, made once.

    Returns:
        The work, and an error for each planned custom metric that this
        node's copy of the file does not define as planned.
    """
    made = _WORK.get(shared.token)
    if made is None:
        made = _make_work(shared)
        # A worker serves one computation after another; the last two do.
        while len(_WORK) >= 2:
            del _WORK[next(iter(_WORK))]
        _WORK[shared.token] = made
    return made


def _make_work(shared: _Shared) -> tuple[CheckpointWork, dict[str, str]]:
    start = time.perf_counter()
    found = {m.key: m for m in custom_metrics(shared.options.metric_files)}
    custom, mismatched = [], {}
    for key, source_hash in shared.custom:
        metric = found.get(key)
        if metric is not None and metric.source_hash == source_hash:
            custom.append(metric)
            continue
        mismatched[key] = (
            f"custom metric {key}: the metric file on this Ray node differs from "
            "the one the computation was planned with; make the same file "
            "readable at the same path on every node"
        )
    device, _ = resolve_device(shared.device)
    work = CheckpointWork(shared.options, custom, device)
    logger.info("Ray worker ready in %.3f s", time.perf_counter() - start)
    return work, mismatched
