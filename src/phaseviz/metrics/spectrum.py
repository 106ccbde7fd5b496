"""Singular values of every matrix of M, computed once and summarised.

Every spectral metric reads the same :class:`Spectrum` of a matrix, so a
computation takes one decomposition per matrix however many spectral
metrics it asks for. On the CPU each matrix is decomposed in float64; on a
GPU the matrices of one shape are stacked and decomposed by one batched
call in float32.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from phaseviz.metrics.placement import DeviceTensors

logger = logging.getLogger(__name__)

# Elements of one stacked batch on a GPU (float32: 4 bytes each).
GPU_BATCH_ELEMENTS = 1 << 29
_FIELDS = 6


@dataclass(frozen=True)
class Spectrum:
    """What the spectral metrics need of one matrix's singular values s.

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


def spectra(
    tensors: DeviceTensors,
    shapes: Mapping[int, tuple[int, int]],
    checkpoint: str = "",
    batched: bool | None = None,
) -> dict[int, Spectrum]:
    """The spectrum of each matrix, by its position in P.

    Args:
        tensors: The tensors of P on the compute device.
        shapes: Position in P → ``(rows, columns)`` of each matrix of M.
        checkpoint: The checkpoint's name, for log lines.
        batched: Stack matrices of one shape into one float32 call; by
            default only on a GPU (on a CPU it is no faster, and float64 is
            kept there).
    """
    if batched is None:
        batched = tensors.device.type == "cuda"
    if batched:
        rows = _batched(tensors, shapes, checkpoint)
    else:
        rows = {
            i: _summary(_one(tensors[i], shape, checkpoint))
            for i, shape in shapes.items()
        }
    if not rows:
        return {}

    order = list(rows)
    values = torch.cat([rows[i] for i in order]).reshape(-1, _FIELDS).tolist()
    return {
        index: Spectrum(min(shapes[index]), *summary)
        for index, summary in zip(order, values, strict=True)
    }


def _one(tensor: Tensor, shape: tuple[int, int], checkpoint: str) -> Tensor:
    matrix = tensor.reshape(shape).to(torch.float64)
    return _singular_values(matrix.unsqueeze(0), checkpoint)[0]


def _batched(
    tensors: DeviceTensors, shapes: Mapping[int, tuple[int, int]], checkpoint: str
) -> dict[int, Tensor]:
    groups: dict[tuple[int, int], list[int]] = {}
    for index, shape in shapes.items():
        groups.setdefault(shape, []).append(index)

    rows: dict[int, Tensor] = {}
    for shape, members in groups.items():
        per_batch = max(1, GPU_BATCH_ELEMENTS // (shape[0] * shape[1]))
        for start in range(0, len(members), per_batch):
            batch = members[start : start + per_batch]
            stacked = torch.stack(
                [tensors[i].reshape(shape).to(torch.float32) for i in batch]
            )
            summaries = _summary(_singular_values(stacked, checkpoint))
            rows.update(zip(batch, summaries, strict=True))
    return rows


def _singular_values(matrices: Tensor, checkpoint: str) -> Tensor:
    """The singular values of each matrix of a stack; NaN for non-finite ones."""
    finite = torch.isfinite(matrices).flatten(1).all(dim=1)
    safe = torch.where(finite[:, None, None], matrices, 0)
    if safe.shape[1] < safe.shape[2]:
        # Same singular values; LAPACK is several times faster on the tall
        # shape (a transposed view, nothing is copied).
        safe = safe.mT
    try:
        values = torch.linalg.svdvals(safe)
    except RuntimeError as error:
        logger.warning(
            "checkpoint %s: singular values of a %s matrix failed (%s); its "
            "spectral metrics are NaN",
            checkpoint or "?",
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
    return torch.where(finite[:, None], values, math.nan)


def _summary(values: Tensor) -> Tensor:
    """The :class:`Spectrum` fields of each row of s, as a ``(batch, 6)`` tensor."""
    values = values.to(torch.float64)
    if values.ndim == 1:
        values = values.unsqueeze(0)
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
