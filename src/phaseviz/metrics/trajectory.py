"""The other checkpoints that trajectory metrics compare the weights with.

A reference is P of another checkpoint flattened into one vector, the
tensors concatenated in state-dict order. Each reference costs 8 bytes per
parameter on the CPU (float64) and 4 on a GPU (float32): a 124M-parameter
model needs about 1 GB per reference on the CPU, and a computation keeps at
most three (first, previous, final).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrajectoryReference:
    """Flattened P of the checkpoints a trajectory metric is measured against.

    Attributes:
        first: The run's first checkpoint (for ``distance_from_init``).
        previous: The checkpoint before this one (for ``step_distance``);
            None at the first checkpoint.
        final: The run's last checkpoint (for ``cosine_to_final``).
    """

    first: Tensor | None = None
    previous: Tensor | None = None
    final: Tensor | None = None


def flatten_parameters(
    params: Mapping[str, Tensor], device: torch.device | str = "cpu"
) -> Tensor:
    """P as one vector: every tensor flattened, concatenated in state-dict order.

    Args:
        params: The parameters, by state-dict name.
        device: Where the vector lives: float64 on the CPU, float32 on a GPU.

    Example:
        >>> flatten_parameters({"a": torch.ones(2, 2), "b": torch.zeros(1)}).tolist()
        [1.0, 1.0, 1.0, 1.0, 0.0]
    """
    device = torch.device(device)
    dtype = torch.float32 if device.type == "cuda" else torch.float64
    total = sum(tensor.numel() for tensor in params.values())
    flat = torch.empty(total, dtype=dtype, device=device)

    offset = 0
    for tensor in params.values():
        flat[offset : offset + tensor.numel()].copy_(tensor.reshape(-1))
        offset += tensor.numel()
    return flat


def usable_references(
    reference: TrajectoryReference | None,
    roles: tuple[str, ...],
    size: int,
    checkpoint: str = "",
) -> dict[str, Tensor]:
    """The references of ``roles`` that fit P of ``size`` elements.

    A missing reference gives no entry (its metric is NaN). One of another
    length means the architecture changed between the checkpoints; it is
    left out with a warning, so its metric is NaN rather than an error.
    """
    if reference is None:
        return {}
    usable: dict[str, Tensor] = {}
    for role in roles:
        vector = getattr(reference, role)
        if vector is None:
            continue
        if vector.numel() != size:
            logger.warning(
                "checkpoint %s: the %s checkpoint has %d parameters and this one "
                "%d; the architecture changed, so its trajectory metric is NaN",
                checkpoint or "?",
                role,
                vector.numel(),
                size,
            )
            continue
        usable[role] = vector.reshape(-1)
    return usable
