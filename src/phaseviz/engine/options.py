"""How a run is computed: the options every executor shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from phaseviz.checkpoints import ModelSpec
from phaseviz.checkpoints.errors import PhasevizError

EXECUTORS = ("local", "ray")
SPECTRAL_METHODS = ("exact", "fast")


class OptionError(PhasevizError):
    """An option names no executor or spectral method phaseviz has."""

    exit_code = 2


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
        executor: ``local`` computes in this process; ``ray`` sends each
            checkpoint to a Ray cluster as a task.
        ray_address: The Ray cluster to join; None means ``$RAY_ADDRESS``,
            else a Ray instance started on this machine for the run.
        spectral: ``exact`` takes every matrix's singular values by a full
            decomposition; ``fast`` estimates them (see ``docs/scale.md``)
            and labels the values approximate.
    """

    device: str = "cuda"
    model: ModelSpec | None = None
    metric_files: tuple[Path, ...] = ()
    trust: bool = False
    cache: bool = True
    parallel: bool = True
    per_layer: bool = True
    executor: str = "local"
    ray_address: str | None = None
    spectral: str = "exact"

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise OptionError(
                f"--executor {self.executor!r} is not an executor: use "
                f"{' or '.join(EXECUTORS)}"
            )
        if self.spectral not in SPECTRAL_METHODS:
            raise OptionError(
                f"--spectral {self.spectral!r} is not a method: use "
                f"{' or '.join(SPECTRAL_METHODS)}"
            )
