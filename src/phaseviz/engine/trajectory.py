"""The other checkpoints that trajectory metrics are measured against."""

from __future__ import annotations

from collections.abc import Callable

import torch

from phaseviz.checkpoints import Checkpoint, Run
from phaseviz.engine.identity import REFERENCE, reference_index
from phaseviz.engine.loading import LoadedParameters
from phaseviz.metrics import TrajectoryReference, flatten_parameters


class References:
    """Flattened parameters of the first, final and previous checkpoints.

    Only what the requested trajectory metrics need is read, each reference
    once; the previous checkpoint is kept from the step before, so walking
    a run reads every checkpoint once.

    Args:
        run: The run.
        load: Reads one checkpoint.
    """

    def __init__(
        self, run: Run, load: Callable[[Checkpoint], LoadedParameters]
    ) -> None:
        self.run = run
        self._load = load
        self._flat: dict[int, torch.Tensor] = {}
        self._last: tuple[int, LoadedParameters] | None = None

    def keep(self, index: int, loaded: LoadedParameters) -> None:
        """Remember the checkpoint just read, the next one's previous."""
        self._last = (index, loaded)
        for kept in list(self._flat):
            if kept not in (0, len(self.run.checkpoints) - 1, index):
                del self._flat[kept]

    def around(
        self, index: int, loaded: LoadedParameters, keys: set[str]
    ) -> TrajectoryReference:
        """The references the trajectory metrics among ``keys`` need at ``index``."""
        wanted = {REFERENCE[key]: key for key in keys if key in REFERENCE}
        count = len(self.run.checkpoints)
        found: dict[str, torch.Tensor | None] = {}
        for role, key in wanted.items():
            other = reference_index(key, index, count)
            found[role] = None if other is None else self._flat_of(other, index, loaded)
        return TrajectoryReference(
            first=found.get("first"),
            previous=found.get("previous"),
            final=found.get("final"),
        )

    def _flat_of(
        self, other: int, index: int, loaded: LoadedParameters
    ) -> torch.Tensor:
        if other not in self._flat:
            if other == index:
                params = loaded.params
            elif self._last is not None and self._last[0] == other:
                params = self._last[1].params
            else:
                params = self._load(self.run.checkpoints[other]).params
            self._flat[other] = flatten_parameters(params)
        return self._flat[other]
