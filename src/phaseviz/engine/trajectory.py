"""The other checkpoints that trajectory metrics are measured against."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from torch import Tensor

from phaseviz.checkpoints import Checkpoint, Run
from phaseviz.engine.identity import REFERENCE, reference_index
from phaseviz.engine.loading import LoadedParameters
from phaseviz.engine.pages import release_all
from phaseviz.metrics import TrajectoryReference
from phaseviz.metrics.references import FlatParameters


class References:
    """The parameters of the first, final and previous checkpoints.

    Only what the requested trajectory metrics need is read, each reference
    once; the previous checkpoint is kept from the step before, so walking
    a run reads every checkpoint once. A reference is the other
    checkpoint's tensors themselves (memory-mapped where the format
    allows), compared tensor by tensor: nothing is flattened or copied,
    and between checkpoints their pages are given back.

    A reference that cannot be read gives no vector (its metric is NaN)
    and a reason in :attr:`failures`; it is not tried again.

    Args:
        run: The run.
        load: Reads one checkpoint.

    Attributes:
        failures: Role (``first``, ``previous``, ``final``) → why that
            reference could not be read, for the checkpoint last asked.
    """

    def __init__(
        self, run: Run, load: Callable[[Checkpoint], LoadedParameters]
    ) -> None:
        self.run = run
        self.failures: dict[str, str] = {}
        self._load = load
        self._kept: dict[int, Mapping[str, Tensor]] = {}
        self._last: tuple[int, Mapping[str, Tensor]] | None = None
        self._broken: dict[int, str] = {}

    def keep(self, index: int, loaded: LoadedParameters) -> None:
        """Remember the checkpoint just read, the next one's previous."""
        self._last = (index, loaded.params)

    def around(
        self, index: int, loaded: LoadedParameters, keys: set[str]
    ) -> TrajectoryReference:
        """The references the trajectory metrics among ``keys`` need at ``index``."""
        wanted = {REFERENCE[key]: key for key in keys if key in REFERENCE}
        count = len(self.run.checkpoints)
        found: dict[str, Tensor | None] = {}
        self.failures = {}
        for role, key in wanted.items():
            other = reference_index(key, index, count)
            params = None if other is None else self._readable(other, index, loaded)
            if params is None:
                found[role] = None
                if other in self._broken:
                    self.failures[role] = self._broken[other]
                continue
            flat = FlatParameters(params)
            # The sweep only asks a reference for numel(), reshape(-1) and
            # windows w[a:b], which a FlatParameters answers like a tensor.
            found[role] = cast(Tensor, flat)
        return TrajectoryReference(
            first=found.get("first"),
            previous=found.get("previous"),
            final=found.get("final"),
        )

    def release(self) -> None:
        """Give back the pages of every reference read so far."""
        for params in self._kept.values():
            release_all(params)
        if self._last is not None:
            release_all(self._last[1])

    def _readable(
        self, other: int, index: int, loaded: LoadedParameters
    ) -> Mapping[str, Tensor] | None:
        if other in self._broken:
            return None
        try:
            return self._params_of(other, index, loaded)
        except Exception as error:  # noqa: BLE001 - the metric fails, not the run
            checkpoint = self.run.checkpoints[other]
            self._broken[other] = (
                f"the checkpoint it is measured against, {checkpoint.name}, cannot "
                f"be read: {error}"
            )
            return None

    def _params_of(
        self, other: int, index: int, loaded: LoadedParameters
    ) -> Mapping[str, Tensor]:
        if other in self._kept:
            return self._kept[other]
        if other == index:
            params: Mapping[str, Tensor] = loaded.params
        elif self._last is not None and self._last[0] == other:
            params = self._last[1]
        else:
            params = self._load(self.run.checkpoints[other]).params
        if other in (0, len(self.run.checkpoints) - 1):
            self._kept[other] = params
        return params
