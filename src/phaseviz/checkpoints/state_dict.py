"""Finding the state dict, the step and the model config in an unpickled file.

Training scripts store the weights in many places: under ``state_dict``
(Lightning), ``model_state_dict``, ``model_state``, ``model`` or ``module``,
or as the whole file. Wrappers add a prefix to every key: Lightning's
``model.``, DDP's ``module.``, ``torch.compile``'s ``_orig_mod.``; phaseviz
strips such a prefix when every key of the checkpoint has it, so layer names
match the model.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from phaseviz.checkpoints.recorded import scalar_value

STATE_DICT_KEYS = ("state_dict", "model_state_dict", "model_state", "model", "module")
CONFIG_KEYS = ("config", "model_config", "hparams", "hyper_parameters")
WRAPPER_PREFIXES = ("model.", "module.", "_orig_mod.")
STEP_KEYS = ("global_step", "step")


@dataclass(frozen=True)
class FoundStateDict:
    """The state dict found in a checkpoint, names as stored.

    Attributes:
        tensors: Tensors by layer name; values that are not tensors dropped.
        key: The top-level key it was under, or None for the whole file.
    """

    tensors: dict[str, torch.Tensor]
    key: str | None


def find_state_dict(data: Any) -> FoundStateDict | None:
    """Find the state dict in an unpickled checkpoint.

    Args:
        data: What ``torch.load`` returned.

    Returns:
        The state dict, or None when the file holds no tensors where a state
        dict is kept.
    """
    if isinstance(data, nn.Module):
        return FoundStateDict(_tensors(data.state_dict()), None)
    if not isinstance(data, Mapping):
        return None

    for key in STATE_DICT_KEYS:
        value = data.get(key)
        if isinstance(value, nn.Module):
            value = value.state_dict()
        if isinstance(value, Mapping) and _has_tensors(value):
            return FoundStateDict(_tensors(value), key)

    if _has_tensors(data):
        return FoundStateDict(_tensors(data), None)
    return None


def _tensors(data: Mapping[Any, Any]) -> dict[str, torch.Tensor]:
    return {
        k: v
        for k, v in data.items()
        if isinstance(k, str) and isinstance(v, torch.Tensor)
    }


def _has_tensors(data: Mapping[Any, Any]) -> bool:
    return any(isinstance(v, torch.Tensor) for v in data.values())


def strip_wrapper_prefix(tensors: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Strip wrapper prefixes that every key carries, repeatedly.

    Args:
        tensors: Values by layer name.

    Returns:
        The renamed dict and the prefix stripped (empty when none).

    Example:
        >>> strip_wrapper_prefix({"module.model.fc.weight": 1})
        ({'fc.weight': 1}, 'module.model.')
    """
    prefix = wrapper_prefix(list(tensors))
    if not prefix:
        return tensors, ""
    return {k[len(prefix) :]: v for k, v in tensors.items()}, prefix


def wrapper_prefix(names: list[str]) -> str:
    """The run of wrapper prefixes that every name in ``names`` starts with."""
    prefix = ""
    while names:
        rest = [name[len(prefix) :] for name in names]
        step = next(
            (
                p
                for p in WRAPPER_PREFIXES
                if all(r.startswith(p) and len(r) > len(p) for r in rest)
            ),
            None,
        )
        if step is None:
            break
        prefix += step
    return prefix


def find_config(data: Any) -> dict[str, Any] | None:
    """The model config stored in a checkpoint dict, if any."""
    if not isinstance(data, Mapping):
        return None
    for key in CONFIG_KEYS:
        value = data.get(key)
        if isinstance(value, argparse.Namespace):
            value = vars(value)
        if isinstance(value, Mapping) and value:
            return {str(k): v for k, v in value.items()}
    return None


def data_step(data: Mapping[Any, Any]) -> tuple[int | None, int | None]:
    """The step and the epoch stored at the top of a checkpoint dict.

    Returns:
        ``(step, epoch)``; the step from ``global_step`` or ``step``. Either is
        None when absent or not a whole, non-negative number.
    """
    step = next(
        (_whole(data[k]) for k in STEP_KEYS if _whole(data.get(k)) is not None), None
    )
    return step, _whole(data.get("epoch"))


def _whole(value: Any) -> int | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    number = scalar_value(value)
    if number is None or number != number or number < 0 or not number.is_integer():
        return None
    return int(number)
