"""Another checkpoint's parameters read as one flat vector, never flattened.

Trajectory metrics compare w, every element of P in state-dict order, with
the same vector of another checkpoint. :class:`FlatParameters` serves that
vector a window at a time straight from the other checkpoint's tensors
(memory-mapped, where the checkpoint allows), so a reference costs one
window of memory instead of 8 bytes a parameter: each window is copied
into one reused float64 buffer and, with a ``release``, the pages it was
read from are given back at once.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping

import torch
from torch import Tensor

from phaseviz.metrics.placement import Releasing


class FlatParameters:
    """P of a checkpoint as the flat vector w, read window by window.

    It answers what the trajectory metrics ask of a reference vector:
    ``numel()``, ``reshape(-1)`` and slicing with a contiguous window.

    Args:
        params: The checkpoint's P, by state-dict name, in its order.
        release: Gives back the memory of a tensor already read; taken from
            ``params`` when it can release its tensors itself.

    Example:
        >>> flat = FlatParameters({"a": torch.ones(2, 2), "b": torch.zeros(3)})
        >>> flat.numel(), flat[3:5].tolist()
        (7, [1.0, 0.0])
    """

    def __init__(
        self,
        params: Mapping[str, Tensor],
        release: Callable[[Tensor], None] | None = None,
    ) -> None:
        self._tensors = [t for t in params.values() if t.numel() > 0]
        self._starts: list[int] = []
        total = 0
        for tensor in self._tensors:
            self._starts.append(total)
            total += tensor.numel()
        self._size = total
        if release is None and isinstance(params, Releasing):
            release = params.release
        self._release = release
        self._open = 0
        self._opened: Tensor | None = None
        self._buffer = torch.empty(0, dtype=torch.float64)

    def numel(self) -> int:
        """N, the number of elements of P."""
        return self._size

    def reshape(self, *shape: int) -> FlatParameters:
        """The vector itself: it is flat already (only ``-1`` is accepted)."""
        if tuple(shape) not in ((-1,), ((-1,),)):
            raise ValueError(f"a flat parameter vector has no shape {shape}")
        return self

    def __getitem__(self, window: slice) -> Tensor:
        """The elements ``window.start`` to ``window.stop`` of w, in float64.

        The window is valid until the next one is read: every window is
        written into one buffer, reused, so reading a reference allocates
        nothing per window (allocating a window each time fragments the
        heap until it holds a float64 copy of the whole reference).
        """
        start, stop, step = window.indices(self._size)
        if step != 1:
            raise ValueError("a flat parameter vector is read in contiguous windows")
        out = self._window(stop - start) if stop > start else self._window(0)

        written = 0
        index = bisect.bisect_right(self._starts, start) - 1
        while start + written < stop:
            self._move_to(index)
            offset = start + written - self._starts[index]
            piece = self._flat(index)[offset : offset + stop - start - written]
            out[written : written + piece.numel()].copy_(piece)
            if self._release is not None:
                # Copied out, and never read again in this pass.
                self._release(piece)
            written += piece.numel()
            index += 1
        return out

    def close(self) -> None:
        """Give back the memory of the tensor read last."""
        if self._release is not None and self._tensors:
            self._release(self._tensors[self._open])

    def _move_to(self, index: int) -> None:
        if index == self._open:
            return
        if self._release is not None:
            self._release(self._tensors[self._open])
        self._open, self._opened = index, None

    def _window(self, size: int) -> Tensor:
        if self._buffer.numel() < size:
            self._buffer = torch.empty(size, dtype=torch.float64)
        return self._buffer[:size]

    def _flat(self, index: int) -> Tensor:
        # Kept while the window stays in this tensor: flattening one that is
        # not contiguous copies it, which must happen once, not per window.
        if self._opened is None or index != self._open:
            self._opened = self._tensors[index].reshape(-1)
        return self._opened
