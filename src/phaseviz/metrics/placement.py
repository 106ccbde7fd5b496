"""Putting the parameters on the compute device once, where they fit."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

# Share of the free GPU memory the copied parameters may take; the rest is
# left for work buffers and the singular value decompositions.
RESIDENT_SHARE = 0.4


class DeviceTensors:
    """The tensors of P as the compute device sees them, by position.

    On the CPU this is the tensors themselves. On a GPU every tensor is
    copied over once and kept while they all fit in part of the free
    memory; otherwise each is copied again whenever it is read, so a model
    larger than the GPU still computes.

    Args:
        tensors: The tensors of P, in state-dict order.
        device: The compute device.
    """

    def __init__(self, tensors: Sequence[Tensor], device: torch.device) -> None:
        self.device = device
        self._tensors = list(tensors)
        self.sizes = [t.numel() for t in self._tensors]
        self._resident = self._fits()
        if self._resident:
            self._tensors = [t.to(device, non_blocking=True) for t in self._tensors]

    def __len__(self) -> int:
        return len(self._tensors)

    def __getitem__(self, index: int) -> Tensor:
        return self._tensors[index].to(self.device, non_blocking=True)

    def stored(self, index: int) -> Tensor:
        """The tensor where it already is: no copy for a pass that can run there."""
        return self._tensors[index]

    def _fits(self) -> bool:
        if all(t.device == self.device for t in self._tensors):
            return True
        if self.device.type != "cuda":
            return False
        needed = sum(t.numel() * t.element_size() for t in self._tensors)
        free, _total = torch.cuda.mem_get_info(self.device)
        return needed <= RESIDENT_SHARE * free
