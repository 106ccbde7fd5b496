"""Which tensors of a checkpoint the metrics see: P and its matrices M."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

NORM_STATISTICS = ("running_mean", "running_var")


def select_parameters(
    state_dict: Mapping[str, Tensor], model: nn.Module | None = None
) -> dict[str, Tensor]:
    """The parameters P of a checkpoint, by state-dict name, in its order.

    With a model, P is its trainable parameters (``requires_grad``), each
    tensor once, read from ``state_dict`` where it holds the name and from
    the model otherwise. Without one, P is every floating-point tensor of
    ``state_dict`` except buffers: ``running_mean``, ``running_var``, and
    tensors named ``*mask`` whose values are all 0, 1 or ±inf. A tensor
    stored under two names (tied weights) counts once, under its first name.

    Args:
        state_dict: The checkpoint's tensors.
        model: The user's model with the checkpoint loaded, if any.

    Returns:
        The selected tensors, detached, in state-dict order.

    Example:
        >>> sd = {"fc.weight": torch.ones(2, 2), "bn.running_mean": torch.zeros(2)}
        >>> list(select_parameters(sd))
        ['fc.weight']
    """
    if model is not None:
        return _trainable(state_dict, model)

    selected: dict[str, Tensor] = {}
    seen: set[tuple[object, ...]] = set()
    for name, tensor in state_dict.items():
        if not isinstance(tensor, Tensor) or is_buffer(name, tensor):
            continue
        identity = _storage_identity(tensor)
        if identity is not None and identity in seen:
            continue
        if identity is not None:
            seen.add(identity)
        selected[name] = tensor.detach()
    return selected


def is_buffer(name: str, tensor: Tensor) -> bool:
    """Whether a state-dict tensor is a buffer rather than a parameter."""
    if not tensor.is_floating_point():
        return True
    if name.rsplit(".", 1)[-1] in NORM_STATISTICS:
        return True
    return name.endswith("mask") and _holds_mask_values(tensor)


def matrix_shape(tensor: Tensor) -> tuple[int, int] | None:
    """The ``(rows, columns)`` of a tensor's matrix view, None if not in M.

    A tensor of two or more dimensions is viewed as
    ``W.reshape(W.shape[0], -1)``: rows are outputs, columns fan-in.
    """
    if tensor.ndim < 2 or tensor.numel() == 0:
        return None
    rows = tensor.shape[0]
    return rows, tensor.numel() // rows


def _trainable(state_dict: Mapping[str, Tensor], model: nn.Module) -> dict[str, Tensor]:
    selected: dict[str, Tensor] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        stored = state_dict.get(name)
        tensor = stored if isinstance(stored, Tensor) else parameter
        selected[name] = tensor.detach()
    return selected


def _holds_mask_values(tensor: Tensor) -> bool:
    values = tensor.detach()
    allowed = (values == 0) | (values == 1) | torch.isinf(values)
    return bool(allowed.all())


def _storage_identity(tensor: Tensor) -> tuple[object, ...] | None:
    if tensor.numel() == 0 or tensor.is_meta or tensor.layout != torch.strided:
        return None
    return (
        tensor.device,
        tensor.dtype,
        tensor.data_ptr(),
        tuple(tensor.shape),
        tensor.stride(),
    )
