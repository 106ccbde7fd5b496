"""Putting the parameters on the compute device once, where they fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

# Share of the free GPU memory the copied parameters may take; the rest is
# left for work buffers and the singular value decompositions.
RESIDENT_SHARE = 0.4


@runtime_checkable
class Releasing(Protocol):
    """Parameters that can give back the memory of a tensor once it is read.

    Memory-mapped checkpoints take resident memory as their pages are read;
    releasing a tensor drops its pages, and reading it again reads the file
    again. Releasing never changes a tensor's values.
    """

    def release(self, tensor: Tensor) -> None:
        """Give back the memory holding ``tensor``'s elements, where it can."""


class DeviceTensors:
    """The tensors of P as the compute device sees them, by position.

    On the CPU this is the tensors themselves. On a GPU every tensor is
    copied over once and kept while they all fit in part of the free
    memory; otherwise each is copied again whenever it is read, so a model
    larger than the GPU still computes.

    With ``release``, the host memory of a tensor is given back as soon as
    the next tensor is read (or, on a GPU, once it is copied over): the
    passes of a computation read P in order, so about one tensor at a time
    is resident however large the checkpoint.

    Args:
        tensors: The tensors of P, in state-dict order.
        device: The compute device.
        release: Gives back the host memory of one tensor.
    """

    def __init__(
        self,
        tensors: Sequence[Tensor],
        device: torch.device,
        release: Callable[[Tensor], None] | None = None,
    ) -> None:
        self.device = device
        self._tensors = list(tensors)
        self.sizes = [t.numel() for t in self._tensors]
        self._release = release
        self._open: int | None = None
        self._resident = self._fits()
        if self._resident:
            self._tensors = [self._copied(t) for t in self._tensors]

    def __len__(self) -> int:
        return len(self._tensors)

    def __getitem__(self, index: int) -> Tensor:
        return self._read(index).to(self.device, non_blocking=True)

    def stored(self, index: int) -> Tensor:
        """The tensor where it already is: no copy for a pass that can run there."""
        return self._read(index)

    def finish(self) -> None:
        """Give back the memory of the tensor read last."""
        if self._open is not None:
            self._give_back(self._tensors[self._open])
            self._open = None

    def _read(self, index: int) -> Tensor:
        if self._open is not None and self._open != index:
            self._give_back(self._tensors[self._open])
        self._open = index
        return self._tensors[index]

    def _copied(self, tensor: Tensor) -> Tensor:
        if tensor.device == self.device:
            return tensor
        # From pageable host memory the copy has read the source on return.
        copy = tensor.to(self.device, non_blocking=True)
        self._give_back(tensor)
        return copy

    def _give_back(self, tensor: Tensor) -> None:
        if self._release is not None and tensor.device.type == "cpu":
            self._release(tensor)

    def _fits(self) -> bool:
        if all(t.device == self.device for t in self._tensors):
            return True
        if self.device.type != "cuda":
            return False
        needed = sum(t.numel() * t.element_size() for t in self._tensors)
        free, _total = torch.cuda.mem_get_info(self.device)
        return needed <= RESIDENT_SHARE * free
