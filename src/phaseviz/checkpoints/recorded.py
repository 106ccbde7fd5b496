"""Recorded scalars: the numbers a checkpoint stores beside its weights.

A step, an epoch, an evaluation loss or accuracy, a learning rate. Nested
dicts are flattened to dotted names (``metrics.test_acc``); optimizer,
scheduler, callback and loop states, and the stored model config, are not
recorded scalars and are left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

# Top-level entries of a checkpoint dict that hold training machinery or the
# model's configuration rather than values of this checkpoint.
NOT_RECORDED = frozenset(
    {
        "optimizer",
        "optimizers",
        "optimizer_states",
        "optimizer_state_dict",
        "optimizer_state",
        "optim",
        "scheduler",
        "schedulers",
        "lr_scheduler",
        "lr_schedulers",
        "scheduler_state_dict",
        "scaler",
        "grad_scaler",
        "callbacks",
        "loops",
        "rng_state",
        "rng_states",
        "hyper_parameters",
        "hparams",
        "config",
        "model_config",
        "datamodule_hyper_parameters",
        "args",
        "ema",
        "ema_state_dict",
    }
)
MAX_DEPTH = 4


def scalar_value(value: Any) -> float | None:
    """``value`` as a float if it is a real number; else None.

    Python numbers, NumPy scalars, 0-d arrays and 0-d tensors count; bools,
    complex numbers and infinities do not. NaN is kept: it is a value.
    """
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating) or (
        isinstance(value, np.ndarray)
        and value.shape == ()
        and value.dtype.kind in "iuf"
    ):
        number = float(value)
    elif isinstance(value, torch.Tensor) and value.dim() == 0:
        if value.dtype == torch.bool or value.is_complex():
            return None
        number = float(value.item())
    else:
        return None
    return None if math.isinf(number) else number


def recorded_scalars(
    data: Mapping[Any, Any], skip: frozenset[str] = frozenset()
) -> dict[str, float]:
    """The recorded scalars of a checkpoint dict.

    Args:
        data: The unpickled checkpoint.
        skip: Further top-level keys to leave out (the state dict's key).

    Returns:
        Each scalar by its name; nested names joined with dots.
    """
    found: dict[str, float] = {}
    left_out = NOT_RECORDED | skip
    top = {k: v for k, v in data.items() if isinstance(k, str) and k not in left_out}
    _collect(top, "", 0, found)
    return found


def _collect(
    data: Mapping[Any, Any], prefix: str, depth: int, found: dict[str, float]
) -> None:
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        name = prefix + key
        number = scalar_value(value)
        if number is not None:
            found[name] = number
        elif (
            isinstance(value, Mapping)
            and depth < MAX_DEPTH
            and not _holds_weights(value)
        ):
            _collect(value, name + ".", depth + 1, found)


def _holds_weights(data: Mapping[Any, Any]) -> bool:
    """Whether a nested dict is a state dict (tensors with dimensions)."""
    return any(isinstance(v, torch.Tensor) and v.dim() > 0 for v in data.values())


def metadata_scalars(metadata: Mapping[str, str]) -> dict[str, float]:
    """The recorded scalars of a safetensors ``__metadata__``.

    Values that parse as numbers are kept; a value that is a JSON object is
    flattened like a nested dict.
    """
    found: dict[str, float] = {}
    for key, text in metadata.items():
        number = _parse_number(text)
        if number is not None:
            found[key] = number
            continue
        document = _parse_object(text)
        if document is not None:
            _collect(document, key + ".", 1, found)
    return found


def _parse_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isinf(number) else number


def _parse_object(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None
