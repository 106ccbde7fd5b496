"""Singular values of every matrix of M, computed once and summarised.

Every spectral metric reads the same :class:`Spectrum` of a matrix, so a
computation takes one decomposition per matrix however many spectral
metrics it asks for. On the CPU each matrix is decomposed in float64; on a
GPU the matrices of one shape are stacked and decomposed by one batched
call in float32, in batches sized to the free memory and halved whenever
one still does not fit.

``method="fast"`` swaps the decomposition for the estimates of
:mod:`phaseviz.metrics.approximate`: s_max alone when only ``top`` is
needed (by Lanczos, or for large tall matrices on a CPU from the Gram
matrix), otherwise the eigenvalues of the Gram matrix, with an exact
decomposition for the matrices too ill-conditioned for it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import torch
from torch import Tensor

from phaseviz.metrics.approximate import (
    gram_singular_values,
    largest_singular_values,
)
from phaseviz.metrics.placement import DeviceTensors

logger = logging.getLogger(__name__)

# Elements of one stacked batch on a GPU, whatever the free memory.
GPU_BATCH_ELEMENTS = 1 << 29
# Share of the free GPU memory one batch, with its work buffers, may take.
BATCH_MEMORY_SHARE = 0.25
# Bytes of work per byte of a stacked batch: the stack, its copy with
# non-finite matrices zeroed, and the solver's workspace.
_WORK_COPIES = 3
# Shapes whose s_max a CPU takes faster from the Gram matrix than by Lanczos.
GRAM_ASPECT = 8
GRAM_ELEMENTS = 1 << 21
_FIELDS = 6

_method: ContextVar[str] = ContextVar("phaseviz_spectral_method", default="exact")


@dataclass(frozen=True)
class Spectrum:
    """What the spectral metrics need of one matrix's singular values s.

    A spectrum estimated for s_max alone has NaN in every field but
    ``rank``, ``largest`` and ``squares``.

    Attributes:
        rank: r = min(rows, columns), the number of singular values.
        largest: s_max.
        smallest: s_min.
        total: Σ s.
        entropy: −Σ qᵢ ln qᵢ with q = s / Σ s (NaN for a zero matrix).
        squares: Σ s² (= ‖W‖_F²).
        fourth: Σ s⁴ (= ‖WWᵀ‖_F²).
    """

    rank: int
    largest: float
    smallest: float
    total: float
    entropy: float
    squares: float
    fourth: float

    @property
    def is_zero(self) -> bool:
        """Whether every singular value, so every element, is zero."""
        return self.largest == 0.0


@contextmanager
def spectral_method(method: str) -> Iterator[None]:
    """Make ``method`` the default of :func:`current_method` in this context.

    It reaches :func:`phaseviz.metrics.compute_metrics` through callers that
    do not pass the method on themselves.
    """
    token = _method.set(method)
    try:
        yield
    finally:
        _method.reset(token)


def current_method() -> str:
    """The spectral method set by :func:`spectral_method`, ``exact`` if none."""
    return _method.get()


def spectra(
    tensors: DeviceTensors,
    shapes: Mapping[int, tuple[int, int]],
    checkpoint: str = "",
    batched: bool | None = None,
    method: str = "exact",
    top: bool = False,
) -> dict[int, Spectrum]:
    """The spectrum of each matrix, by its position in P.

    Args:
        tensors: The tensors of P on the compute device.
        shapes: Position in P → ``(rows, columns)`` of each matrix of M.
        checkpoint: The checkpoint's name, for log lines.
        batched: Stack matrices of one shape into one float32 call; by
            default only on a GPU (on a CPU it is no faster, and float64 is
            kept there).
        method: ``exact`` or ``fast``.
        top: With ``fast``, estimate s_max and ‖W‖_F² alone.
    """
    if batched is None:
        batched = tensors.device.type == "cuda"
    solver = _Solver(tensors, checkpoint, batched, method, top and method == "fast")
    rows: dict[int, Tensor] = {}
    for shape, batch in _batches(shapes, tensors.device, batched, solver.itemsize):
        rows.update(solver.solve(shape, batch))
    if not rows:
        return {}

    order = list(rows)
    values = torch.cat([rows[i] for i in order]).reshape(-1, _FIELDS).tolist()
    return {
        index: Spectrum(min(shapes[index]), *summary)
        for index, summary in zip(order, values, strict=True)
    }


def batch_size(shape: tuple[int, int], device: torch.device, itemsize: int) -> int:
    """How many matrices of ``shape`` one stacked call takes on ``device``.

    At most ``GPU_BATCH_ELEMENTS`` elements, and on a GPU at most what fits
    in ``BATCH_MEMORY_SHARE`` of the memory free now, work buffers included.
    """
    elements = shape[0] * shape[1]
    count = max(1, GPU_BATCH_ELEMENTS // elements)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        fits = int(BATCH_MEMORY_SHARE * free) // (elements * itemsize * _WORK_COPIES)
        count = max(1, min(count, fits))
    return count


def _batches(
    shapes: Mapping[int, tuple[int, int]],
    device: torch.device,
    batched: bool,
    itemsize: int,
) -> Iterator[tuple[tuple[int, int], list[int]]]:
    if not batched:
        for index, shape in shapes.items():
            yield shape, [index]
        return

    groups: dict[tuple[int, int], list[int]] = {}
    for index, shape in shapes.items():
        groups.setdefault(shape, []).append(index)
    for shape, members in groups.items():
        per_batch = batch_size(shape, device, itemsize)
        for start in range(0, len(members), per_batch):
            yield shape, members[start : start + per_batch]


class _Solver:
    """Turns batches of matrices into rows of :class:`Spectrum` fields."""

    def __init__(
        self,
        tensors: DeviceTensors,
        checkpoint: str,
        batched: bool,
        method: str,
        top: bool,
    ) -> None:
        self.tensors = tensors
        self.checkpoint = checkpoint or "?"
        self.method = method
        self.top = top
        gram = method == "fast" and not top
        self.dtype = torch.float32 if batched and not gram else torch.float64
        self.itemsize = 8 if gram else torch.finfo(self.dtype).bits // 8

    def solve(self, shape: tuple[int, int], batch: list[int]) -> dict[int, Tensor]:
        """The summary row of each matrix of ``batch``; halves it on OOM."""
        try:
            stack = self._stack(shape, batch)
            return dict(zip(batch, self._summaries(stack), strict=True))
        except torch.OutOfMemoryError:
            if len(batch) == 1:
                raise
        # Out of the except block, so the failed batch's memory is freed.
        half = len(batch) // 2
        logger.warning(
            "checkpoint %s: %d matrices of shape %s do not fit in memory at once; "
            "trying %d at a time",
            self.checkpoint,
            len(batch),
            shape,
            half,
        )
        return {**self.solve(shape, batch[:half]), **self.solve(shape, batch[half:])}

    def _stack(self, shape: tuple[int, int], batch: list[int]) -> Tensor:
        if len(batch) == 1:
            # A view where the dtype already fits: a large matrix is not
            # copied only to be stacked alone.
            return self.tensors[batch[0]].reshape(shape).to(self.dtype).unsqueeze(0)
        return torch.stack(
            [self.tensors[i].reshape(shape).to(self.dtype) for i in batch]
        )

    def _summaries(self, stack: Tensor) -> Tensor:
        finite = _finite(stack)
        safe = stack
        if not bool(finite.all()):
            safe = torch.where(finite[:, None, None], stack, 0)
        if self.method == "exact":
            rows = _summary(self._exact(safe))
        elif self.top:
            rows = self._largest(safe)
        else:
            rows = _summary(self._gram(safe))
        return torch.where(finite[:, None], rows, math.nan)

    def _exact(self, matrices: Tensor) -> Tensor:
        if matrices.shape[1] < matrices.shape[2]:
            # Same singular values; LAPACK is several times faster on the
            # tall shape (a transposed view, nothing is copied).
            matrices = matrices.mT
        try:
            return torch.linalg.svdvals(matrices)
        except torch.OutOfMemoryError:
            raise
        except RuntimeError as error:
            return self._failed(matrices, error)

    def _largest(self, matrices: Tensor) -> Tensor:
        try:
            if _gram_reads_faster(matrices):
                largest = gram_singular_values(matrices)[0][:, 0]
            else:
                largest = largest_singular_values(matrices).to(torch.float64)
        except torch.OutOfMemoryError:
            raise
        except RuntimeError as error:
            largest = self._failed(matrices, error)[:, 0].to(torch.float64)
        squares = torch.linalg.vector_norm(matrices, dim=(1, 2), dtype=torch.float64)
        nan = torch.full_like(largest, math.nan)
        return torch.stack([largest, nan, nan, nan, squares**2, nan], dim=1)

    def _gram(self, matrices: Tensor) -> Tensor:
        try:
            values, resolved = gram_singular_values(matrices)
        except torch.OutOfMemoryError:
            raise
        except RuntimeError as error:
            return self._failed(matrices, error)
        if bool(resolved.all()):
            return values

        unresolved = (~resolved).nonzero().flatten()
        logger.info(
            "checkpoint %s: %d of %d matrices of shape %s are too ill-conditioned "
            "for the fast spectrum; decomposing them exactly",
            self.checkpoint,
            len(unresolved),
            len(resolved),
            tuple(matrices.shape[1:]),
        )
        values[unresolved] = self._exact(matrices[unresolved]).to(values.dtype)
        return values

    def _failed(self, matrices: Tensor, error: RuntimeError) -> Tensor:
        logger.warning(
            "checkpoint %s: singular values of a %s matrix failed (%s); its "
            "spectral metrics are NaN",
            self.checkpoint,
            tuple(matrices.shape[1:]),
            error,
        )
        rank = min(matrices.shape[1:])
        return torch.full(
            (matrices.shape[0], rank),
            math.nan,
            dtype=matrices.dtype,
            device=matrices.device,
        )


def _finite(stack: Tensor) -> Tensor:
    """Whether each matrix of a stack holds only finite numbers.

    A matrix's sum is finite exactly when its elements are, unless finite
    elements add up past the float range: those few are checked element by
    element. ``isfinite`` on the whole stack would take temporaries several
    times its size.
    """
    finite = torch.isfinite(stack.sum(dim=(1, 2)))
    for index in (~finite).nonzero().flatten().tolist():
        finite[index] = bool(torch.isfinite(stack[index]).all())
    return finite


def _gram_reads_faster(matrices: Tensor) -> bool:
    """Whether s_max of these matrices is cheaper from their Gram matrix.

    On a CPU, Lanczos reads a large matrix from memory twice a step, while
    the Gram matrix of a tall one is a single compute-bound product and its
    eigenvalues are cheap: beyond ``GRAM_ASPECT`` rows per column and
    ``GRAM_ELEMENTS`` elements the Gram matrix wins (measured: 3x for a
    50257 × 768 embedding). s_max from the Gram matrix is as accurate as
    Lanczos whatever the condition number. On a GPU, Lanczos always is.
    """
    rows, columns = matrices.shape[1:]
    return (
        matrices.device.type == "cpu"
        and max(rows, columns) >= GRAM_ASPECT * min(rows, columns)
        and rows * columns >= GRAM_ELEMENTS
    )


def _summary(values: Tensor) -> Tensor:
    """The :class:`Spectrum` fields of each row of s, as a ``(batch, 6)`` tensor."""
    values = values.to(torch.float64)
    total = values.sum(dim=1)
    shares = values / total[:, None]
    squares = values * values
    return torch.stack(
        [
            values[:, 0],
            values[:, -1],
            total,
            -torch.xlogy(shares, shares).sum(dim=1),
            squares.sum(dim=1),
            (squares * squares).sum(dim=1),
        ],
        dim=1,
    )
