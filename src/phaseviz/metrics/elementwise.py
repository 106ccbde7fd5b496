"""The sweep over the elements of P that gathers every per-tensor sum at once.

It takes two passes. The first reads each tensor as stored, for its
extremes alone: they fix the histogram's range and the centring of
constant tensors. The second reads each tensor in chunks upcast to float64
into reused buffers and takes every statistic from the chunk while it is in
cache. Results stay on the device as 0-d tensors and come back in one
transfer per statistic at the end, so a GPU never waits per tensor.

Central moments are summed about a centre K per tensor (the mean of its
first chunk, or its value if it is constant) together with Σ (w − K); the
moments about any other mean follow exactly from these (see Gathered).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from phaseviz.metrics.arithmetic import exact_sum, nan_max, nan_min
from phaseviz.metrics.histogram import Histogram
from phaseviz.metrics.placement import DeviceTensors
from phaseviz.metrics.plan import Needs

# Elements per chunk: on a CPU small enough that the several reads of one
# chunk hit the cache, on a GPU large enough that launches do not dominate.
CPU_CHUNK = 1 << 18
GPU_CHUNK = 1 << 26


@dataclass(frozen=True)
class Sums:
    """What the sweep gathered.

    Attributes:
        per_tensor: Statistic name → one value per tensor of P.
        entropy: Entropy of the histogram of all of w (NaN if not taken).
    """

    per_tensor: dict[str, list[float]]
    entropy: float = math.nan


class ElementSweep:
    """Gathers the statistics of ``needs`` for every tensor of P.

    Args:
        tensors: The tensors of P on the compute device.
        needs: What to gather.
        tensor_histograms: Also take each tensor's own histogram (for the
            per-layer entropy).
        references: Flattened trajectory references by role (``first``,
            ``previous``, ``final``), each as long as P.
    """

    def __init__(
        self,
        tensors: DeviceTensors,
        needs: Needs,
        tensor_histograms: bool,
        references: Mapping[str, Tensor],
    ) -> None:
        self.tensors = tensors
        self.needs = needs
        self.tensor_histograms = tensor_histograms and needs.histogram
        self.references = references
        self.device = tensors.device
        self.chunk = GPU_CHUNK if self.device.type == "cuda" else CPU_CHUNK
        self._parts: dict[str, list[tuple[int, Tensor]]] = {}
        self._known: dict[str, list[float]] = {}
        self._buffers: dict[str, Tensor] = {}

    def run(self) -> Sums:
        """Sweep every tensor of P."""
        extremes = self._survey() if self.needs.extremes else None
        overall = None
        if self.needs.histogram and extremes is not None:
            low = nan_min(low for low, _ in extremes)
            high = nan_max(high for _, high in extremes)
            overall = Histogram(low, high, self.device)

        offset = 0
        for index in range(len(self.tensors) if self.needs.chunked else 0):
            flat = self.tensors[index].reshape(-1)
            limits = extremes[index] if extremes is not None else None
            self._tensor(index, flat, offset, limits, overall)
            offset += flat.numel()

        entropy = math.nan
        if overall is not None:
            entropy = float(overall.entropy(sum(self.tensors.sizes)))
        return Sums(self._finish(), entropy)

    def _survey(self) -> list[tuple[float, float]]:
        """The min and max of each tensor, read where it is stored."""
        found = [
            torch.stack([part.to(torch.float64) for part in torch.aminmax(t)])
            for t in map(self.tensors.stored, range(len(self.tensors)))
        ]
        pairs = torch.stack(found).tolist() if found else []
        self._known["min"] = [low for low, _ in pairs]
        self._known["max"] = [high for _, high in pairs]
        return [(low, high) for low, high in pairs]

    def _tensor(
        self,
        index: int,
        flat: Tensor,
        offset: int,
        limits: tuple[float, float] | None,
        overall: Histogram | None,
    ) -> None:
        own = None
        if self.tensor_histograms and limits is not None:
            own = Histogram(*limits, self.device)
        centre: Tensor | float | None = None
        if limits is not None and limits[0] == limits[1]:
            centre = limits[0]

        for start in range(0, flat.numel(), self.chunk):
            x = self._upcast(flat[start : start + self.chunk])
            total = self._sum(index, x)
            if self.needs.central:
                if centre is None:
                    centre = (x.sum() if total is None else total) / x.numel()
                self._moments(index, x, centre)
            self._chunk(index, x, offset + start)
            for histogram in (overall, own):
                if histogram is not None:
                    histogram.add(x, self._buffer("a", x.numel()), self._bins(x))

        if self.needs.central and centre is not None:
            as_tensor = torch.as_tensor(centre, dtype=torch.float64, device=self.device)
            self._add("centre", index, as_tensor)
        if own is not None:
            self._add("entropy", index, own.entropy(flat.numel()))

    def _sum(self, index: int, x: Tensor) -> Tensor | None:
        if not self.needs.sums:
            return None
        total = x.sum()
        self._add("sum", index, total)
        return total

    def _chunk(self, index: int, x: Tensor, at: int) -> None:
        if self.needs.squares or self.needs.fourth:
            self._powers(index, x)
        if self.needs.absolute:
            self._magnitudes(index, x)
        for role, reference in self.references.items():
            self._reference(index, x, role, reference[at : at + x.numel()])

    def _powers(self, index: int, x: Tensor) -> None:
        if not self.needs.fourth:
            self._add("sumsq", index, torch.dot(x, x))
            return
        squares = torch.mul(x, x, out=self._buffer("a", x.numel()))
        self._add("sumsq", index, squares.sum())
        self._add("sum4", index, torch.dot(squares, squares))

    def _moments(self, index: int, x: Tensor, centre: Tensor | float) -> None:
        centred = torch.sub(x, centre, out=self._buffer("a", x.numel()))
        self._add("c1", index, centred.sum())
        if not self.needs.higher:
            self._add("c2", index, torch.dot(centred, centred))
            return
        squares = torch.mul(centred, centred, out=self._buffer("b", x.numel()))
        self._add("c2", index, squares.sum())
        self._add("c3", index, torch.dot(squares, centred))
        self._add("c4", index, torch.dot(squares, squares))

    def _magnitudes(self, index: int, x: Tensor) -> None:
        magnitude = torch.abs(x, out=self._buffer("a", x.numel()))
        self._add("abssum", index, magnitude.sum())
        below = self._buffer("mask", x.numel(), torch.bool)
        for threshold in self.needs.thresholds:
            torch.lt(magnitude, threshold, out=below)
            self._add(f"below:{threshold}", index, torch.count_nonzero(below))

    def _reference(self, index: int, x: Tensor, role: str, segment: Tensor) -> None:
        segment = segment.to(x.device, x.dtype)
        if role == "final":
            self._add("dot:final", index, torch.dot(x, segment))
            self._add("norm2:final", index, torch.dot(segment, segment))
            return
        difference = torch.sub(x, segment, out=self._buffer("a", x.numel()))
        self._add(f"distance2:{role}", index, torch.dot(difference, difference))

    def _upcast(self, chunk: Tensor) -> Tensor:
        if chunk.dtype == torch.float64 and chunk.device == self.device:
            return chunk
        return self._buffer("x", chunk.numel()).copy_(chunk)

    def _bins(self, x: Tensor) -> Tensor:
        return self._buffer("bins", x.numel(), torch.int64)

    def _buffer(
        self, name: str, size: int, dtype: torch.dtype = torch.float64
    ) -> Tensor:
        buffer = self._buffers.get(name)
        if buffer is None or buffer.numel() < size:
            largest = max(self.tensors.sizes, default=0)
            capacity = max(size, min(self.chunk, largest))
            buffer = torch.empty(capacity, dtype=dtype, device=self.device)
            self._buffers[name] = buffer
        return buffer[:size]

    def _add(self, statistic: str, index: int, value: Tensor) -> None:
        self._parts.setdefault(statistic, []).append((index, value))

    def _finish(self) -> dict[str, list[float]]:
        gathered = dict(self._known)
        for statistic, parts in self._parts.items():
            values = torch.stack([value for _, value in parts]).tolist()
            per_tensor: list[list[float]] = [[] for _ in range(len(self.tensors))]
            for (index, _), value in zip(parts, values, strict=True):
                per_tensor[index].append(value)
            gathered[statistic] = [exact_sum(v) for v in per_tensor]
        return gathered
