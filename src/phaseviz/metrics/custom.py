"""Custom metrics: the ``*_of_model`` functions of a user's Python file.

A file defines functions such as::

    def mean_abs_of_model(model):
        weights = [p.abs().mean() for p in model.parameters()]
        return float(sum(weights) / len(weights))

Each becomes a metric keyed by its name without ``_of_model``
(``mean_abs``). A function so named must take exactly one argument, the
model: one that cannot be called with a single argument makes the whole
file an error, so a typo never silently drops a metric.

User code runs with a time limit (``PHASEVIZ_METRIC_TIMEOUT`` seconds, 300
by default): importing the file, and each call of a metric. Python cannot
stop a thread, so code that overruns is left running in a daemon thread and
its result, should it ever come, is ignored.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import math
import numbers
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import torch
from torch import nn

from phaseviz.metrics.errors import MetricFileError
from phaseviz.metrics.registry import BUILTIN, title_from_name

logger = logging.getLogger(__name__)

SUFFIX = "_of_model"
TIMEOUT_VARIABLE = "PHASEVIZ_METRIC_TIMEOUT"
DEFAULT_TIMEOUT = 300.0

T = TypeVar("T")


class MetricTimeout(TimeoutError):
    """User code of a custom metric file did not finish within its time limit.

    Args:
        seconds: The limit that passed.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"no result within {seconds:g} s (the limit set by {TIMEOUT_VARIABLE})"
        )


@dataclass(frozen=True)
class CustomMetric:
    """One ``*_of_model`` function of a custom metric file.

    Attributes:
        key: The function's name without ``_of_model``.
        title: A title made from the key (``mean_abs`` → ``Mean Abs``).
        function: The function; it takes the model and returns a number.
        source_hash: SHA-256 of the file's bytes: editing the file changes
            it, so cached values of the old code are not reused.
        path: The file.
    """

    key: str
    title: str
    function: Callable[[nn.Module], object]
    source_hash: str
    path: Path


def load_custom_metrics(path: Path | str) -> list[CustomMetric]:
    """The custom metrics a file defines, in the order it defines them.

    The file is imported under a module name made from its path and
    contents, so two files never share a module and an edited file is
    imported afresh.

    Raises:
        MetricFileError: The file is missing, fails to import, defines no
            ``*_of_model`` function, or defines one that does not take
            exactly one argument.
    """
    path = Path(path)
    try:
        source = path.read_bytes()
    except OSError as error:
        raise MetricFileError(
            path,
            f"cannot read it ({error.strerror or error})",
            "give the path of a Python file that defines *_of_model functions",
        ) from error

    source_hash = hashlib.sha256(source).hexdigest()
    module = _import(path, source, source_hash)
    functions = _metric_functions(path, module)
    return [
        CustomMetric(
            name[: -len(SUFFIX)],
            title_from_name(name[: -len(SUFFIX)]),
            function,
            source_hash,
            path,
        )
        for name, function in functions.items()
    ]


def evaluate_custom(
    metric: CustomMetric, module: nn.Module, checkpoint_name: str
) -> float:
    """The value of a custom metric on one checkpoint's model.

    The function runs under ``torch.no_grad()``: a measurement builds no
    autograd graph (a function that needs gradients can open
    ``torch.enable_grad()`` itself). Ints, floats, NumPy scalars and
    one-element tensors are accepted; NaN is a value. Anything else, an
    infinite value, an exception or a call that overruns :func:`time_limit`
    gives NaN and a log line naming the function, the checkpoint and the
    error.
    """
    try:
        raw = call_with_time_limit(lambda: measure(metric, module), time_limit())
        return as_number(raw)
    except (Exception, SystemExit) as error:  # user code may raise anything
        logger.warning(
            "checkpoint %s: custom metric %s (%s in %s) failed: %s: %s",
            checkpoint_name,
            metric.key,
            _name(metric.function),
            metric.path,
            type(error).__name__,
            error,
        )
        return math.nan


def measure(metric: CustomMetric, module: nn.Module) -> object:
    """Call the metric's function on ``module`` without building a graph.

    Grad mode is a per-thread setting, so this runs in the thread that
    makes the call.
    """
    with torch.no_grad():
        return metric.function(module)


def time_limit() -> float | None:
    """Seconds that importing a metric file, or one call of a metric, may take.

    Read from ``PHASEVIZ_METRIC_TIMEOUT`` at each use (300 by default); ``0``,
    ``inf`` or ``none`` means no limit. A value that is not a number is
    logged and the default used.
    """
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip().lower()
    if not text:
        return DEFAULT_TIMEOUT
    if text in ("0", "inf", "none", "off"):
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        logger.warning(
            "%s=%r is not a number of seconds; using %g",
            TIMEOUT_VARIABLE,
            text,
            DEFAULT_TIMEOUT,
        )
        return DEFAULT_TIMEOUT
    return seconds


def call_with_time_limit(function: Callable[[], T], seconds: float | None) -> T:
    """``function()``, run in a daemon thread that is given ``seconds`` to finish.

    Whatever it raises is raised here. On timeout the thread is abandoned:
    it runs on in the background, and what it returns is dropped.

    Args:
        function: The call to make.
        seconds: The time limit; None waits as long as it takes.

    Raises:
        MetricTimeout: It did not finish in time.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(function())
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    worker = threading.Thread(target=run, name="phaseviz-custom-metric", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise MetricTimeout(math.inf if seconds is None else seconds)
    if failure:
        raise failure[0]
    return outcome[0]


def as_number(raw: object) -> float:
    """A custom metric's return value as a float.

    Raises:
        TypeError: It is not a real number.
        ValueError: It is infinite.
    """
    value = _real(raw)
    if math.isinf(value):
        raise ValueError(f"returned {value}, not a finite number or NaN")
    return value


def _real(raw: object) -> float:
    if isinstance(raw, bool):
        raise TypeError("returned a bool, not a number")
    if isinstance(raw, numbers.Real):
        return float(raw)
    if isinstance(raw, torch.Tensor):
        if raw.numel() != 1 or raw.is_complex() or raw.dtype == torch.bool:
            raise TypeError(
                f"returned a {raw.dtype} tensor of shape "
                f"{tuple(raw.shape)}, not a number"
            )
        return float(raw.detach().reshape(()).item())
    if type(raw).__module__ == "numpy" and getattr(raw, "size", 0) == 1:
        item = raw.item()  # type: ignore[attr-defined]
        if isinstance(item, numbers.Real) and not isinstance(item, bool):
            return float(item)
    raise TypeError(f"returned {type(raw).__name__}, not a number")


def _import(path: Path, source: bytes, source_hash: str) -> ModuleType:
    """Run the file's code as a module of its own.

    The bytes already hashed are the ones run, so the hash always matches
    the code even if the file changes meanwhile.
    """
    where = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"phaseviz_custom_{where}_{source_hash[:12]}"
    if name in sys.modules:
        return sys.modules[name]

    module = ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    limit = time_limit()
    try:
        code = compile(source, str(path), "exec")
        call_with_time_limit(lambda: exec(code, module.__dict__), limit)
    except MetricTimeout as error:
        sys.modules.pop(name, None)
        raise MetricFileError(
            path,
            f"importing it did not finish within {error.seconds:g} s",
            f"make importing it quick (no training or downloads at import), or "
            f"raise {TIMEOUT_VARIABLE}",
        ) from None
    except (Exception, SystemExit) as error:
        sys.modules.pop(name, None)
        raise MetricFileError(
            path,
            f"importing it failed: {type(error).__name__}: {error}",
            "fix the error, or run without this metric file",
        ) from error
    return module


def _metric_functions(
    path: Path, module: ModuleType
) -> dict[str, Callable[..., object]]:
    found: dict[str, Callable[..., object]] = {}
    wrong: list[str] = []
    for name, value in vars(module).items():
        if not _is_candidate(name, value):
            continue
        if _takes_one_argument(value):
            found[name] = value
        else:
            wrong.append(f"{name}{_signature(value)}")

    if wrong:
        raise MetricFileError(
            path,
            f"{', '.join(wrong)} must take exactly one argument, the model",
            "give each *_of_model function one parameter, or rename helpers",
        )
    if not found:
        raise MetricFileError(
            path,
            f"defines no function whose name ends in {SUFFIX}",
            "define e.g. 'def sparsity_of_model(model): ...' returning a float",
        )
    for name in found:
        if name[: -len(SUFFIX)] in BUILTIN:
            logger.warning(
                "custom metric %s in %s has the key of a built-in metric; "
                "rename the function to keep both apart",
                name,
                path,
            )
    return found


def _is_candidate(name: str, value: object) -> bool:
    return (
        name.endswith(SUFFIX)
        and len(name) > len(SUFFIX)
        and not name.startswith("_")
        and callable(value)
        and not inspect.isclass(value)
    )


def _takes_one_argument(function: Callable[..., object]) -> bool:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return True
    try:
        signature.bind(object())
    except TypeError:
        return False
    return True


def _signature(function: Callable[..., object]) -> str:
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"


def _name(function: Callable[..., object]) -> str:
    return getattr(function, "__name__", repr(function))
