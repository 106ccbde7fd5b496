"""Computing the missing metrics of one checkpoint: what every executor runs.

The local executor and the Ray tasks both go through :class:`CheckpointWork`,
so a checkpoint's values are the same wherever it is computed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from phaseviz.checkpoints import Checkpoint, Run
from phaseviz.engine.identity import REFERENCE
from phaseviz.engine.loading import LoadedParameters, ParameterLoader
from phaseviz.engine.options import ComputeOptions
from phaseviz.engine.pages import release_all
from phaseviz.engine.trajectory import References
from phaseviz.engine.values import MetricOutcome, compute_builtin, compute_custom
from phaseviz.metrics import CustomMetric
from phaseviz.metrics.spectrum import spectral_method

logger = logging.getLogger(__name__)


@dataclass
class Pending:
    """What is still to compute at one checkpoint, by metric identity.

    Attributes:
        index: The checkpoint's position in the run.
        builtin: Built-in metric key → its cache identity.
        custom: Custom metric key → its cache identity.
    """

    index: int
    builtin: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.builtin or self.custom)


@dataclass(frozen=True)
class Finished:
    """The outcome of every missing metric of one checkpoint.

    Attributes:
        outcomes: Metric key → what computing it gave.
        seconds: Time spent reading and computing the checkpoint.
    """

    outcomes: dict[str, MetricOutcome]
    seconds: float


class CheckpointWork:
    """Reads checkpoints and computes their missing metrics.

    Args:
        options: How to compute.
        custom: The custom metrics of the plan.
        device: The compute device.

    Raises:
        ModelError: The model file or class cannot be used.
    """

    def __init__(
        self,
        options: ComputeOptions,
        custom: Sequence[CustomMetric],
        device: torch.device,
    ) -> None:
        self.options = options
        self.custom = tuple(custom)
        self.device = device
        self.loader = ParameterLoader(options.model, options.trust)

    def load(self, checkpoint: Checkpoint) -> LoadedParameters:
        """Read ``checkpoint``.

        Raises:
            CheckpointError: The file cannot be read (safely).
            ModelError: The weights do not fit the model class.
        """
        return self.loader.load(checkpoint)

    def run(self, run: Run, item: Pending) -> Finished:
        """Read the checkpoint of ``item`` and compute what it misses.

        The trajectory references are read as they are needed.

        Raises:
            CheckpointError: The checkpoint cannot be read (safely).
            ModelError: The weights do not fit the model class.
        """
        loaded = self.load(run.checkpoints[item.index])
        start = time.perf_counter()
        outcomes = self.compute(run, item, loaded, References(run, self.load))
        return Finished(outcomes, time.perf_counter() - start + loaded.seconds)

    def compute(
        self,
        run: Run,
        item: Pending,
        loaded: LoadedParameters,
        references: References,
    ) -> dict[str, MetricOutcome]:
        """Every missing metric of one checkpoint already read.

        Built-in metrics share one pass (under inference mode, with the
        spectral method of the options); custom metrics are called after
        them. The checkpoint's pages, and the references', are given back
        at the end.
        """
        checkpoint = run.checkpoints[item.index]
        trajectory = None
        if any(key in REFERENCE for key in item.builtin):
            trajectory = references.around(item.index, loaded, set(item.builtin))
        with torch.inference_mode(), spectral_method(self.options.spectral):
            outcomes = compute_builtin(
                checkpoint,
                loaded.params,
                list(item.builtin),
                self.device,
                self.options.per_layer,
                trajectory,
            )
        outcomes.update(_unreadable_references(checkpoint, item, references))

        custom = [m for m in self.custom if m.key in item.custom]
        outcomes.update(compute_custom(checkpoint, loaded, custom))
        release_all(loaded.params)
        references.release()
        return outcomes


def _unreadable_references(
    checkpoint: Checkpoint, item: Pending, references: References
) -> dict[str, MetricOutcome]:
    """A failure for each trajectory metric whose reference could not be read.

    Not cached: once the other checkpoint is readable again, the value is.
    """
    failed = {}
    for key in item.builtin:
        reason = references.failures.get(REFERENCE.get(key, ""))
        if reason is None:
            continue
        message = f"{key} at checkpoint {checkpoint.name}: {reason}"
        logger.error(message)
        failed[key] = MetricOutcome(math.nan, None, message, cacheable=False)
    return failed
