"""Building the user's model and loading a checkpoint's weights into it.

Weights are loaded with ``strict=True``: a model whose layers do not match
the checkpoint is an error listing the differences, never a model left
partly at its random initial weights.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch import nn

from phaseviz.checkpoints.errors import ModelError
from phaseviz.checkpoints.inference import align_names, constructor_arguments
from phaseviz.checkpoints.reading import LoadedCheckpoint

logger = logging.getLogger(__name__)

SHOWN_NAMES = 10


def build_model(
    model_class: type[nn.Module], checkpoint_data: LoadedCheckpoint
) -> nn.Module:
    """Build ``model_class`` for a checkpoint and load its weights.

    Constructor arguments come from the config stored in the checkpoint,
    then, for required ones still missing, from the state dict's shapes (see
    :mod:`phaseviz.checkpoints.inference`).

    Args:
        model_class: From :func:`phaseviz.checkpoints.load_model_class`.
        checkpoint_data: From :func:`phaseviz.checkpoints.load_checkpoint`.

    Returns:
        The model in eval mode, holding the checkpoint's weights.

    Raises:
        ModelError: The arguments cannot be worked out, the constructor
            fails, or the weights do not fit the model.
    """
    kwargs = constructor_arguments(model_class, checkpoint_data)
    model = _construct(model_class, kwargs)
    model_state = model.state_dict()
    state = align_names(model_state, checkpoint_data.state_dict, checkpoint_data.prefix)

    problems = _differences(model_state, state)
    if problems:
        raise _mismatch(model_class, kwargs, problems)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise _mismatch(model_class, kwargs, [str(error)]) from None
    return model.eval()


def _construct(model_class: type[nn.Module], kwargs: dict[str, Any]) -> nn.Module:
    try:
        return model_class(**kwargs)
    except Exception as error:
        raise ModelError(
            f"{model_class.__name__}({_shown(kwargs)}) failed: "
            f"{type(error).__name__}: {error}. Store the constructor arguments in "
            "the checkpoint's config or give them defaults in the model file."
        ) from error


def _differences(
    model_state: dict[str, torch.Tensor], state: dict[str, torch.Tensor]
) -> list[str]:
    missing = [k for k in model_state if k not in state]
    unexpected = [k for k in state if k not in model_state]
    resized = [
        f"{k} (checkpoint {tuple(state[k].shape)}, model {tuple(v.shape)})"
        for k, v in model_state.items()
        if k in state and state[k].shape != v.shape
    ]
    problems = []
    for title, names in (
        ("missing from the checkpoint", missing),
        ("in the checkpoint but not the model (unexpected)", unexpected),
        ("of another shape", resized),
    ):
        if names:
            problems.append(f"{title}: {_listed(names)}")
    return problems


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_NAMES])
    more = len(names) - SHOWN_NAMES
    return shown + (f" and {more} more" if more > 0 else "")


def _mismatch(
    model_class: type[nn.Module], kwargs: dict[str, Any], problems: list[str]
) -> ModelError:
    details = "\n  ".join(problems)
    return ModelError(
        f"{model_class.__name__}({_shown(kwargs)}) does not fit the checkpoint's "
        f"weights:\n  {details}\nCheck the model file and class name, or store "
        "the constructor arguments in the checkpoint's config."
    )


def _shown(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, dict))
