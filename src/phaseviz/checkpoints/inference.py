"""Working out a model class's constructor arguments from a checkpoint.

Arguments come first from the config stored in the checkpoint, matched by
name. A required argument still missing is inferred from the state dict's
shapes: its name says what kind of size it is (``vocab_size``, ``d_model``,
``num_layers``, ``num_classes``...), the shapes offer a few candidate values
for each kind, and the combinations are tried by building the model on the
meta device, which allocates nothing, until one has exactly the parameter
names and shapes of the checkpoint. Attention heads and dropout leave no
trace in the weights; their values are guesses and are logged as such.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import warnings
from collections.abc import Collection, Mapping
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from phaseviz.checkpoints.argument_kinds import (
    GUESSED_KINDS,
    candidates,
    kind_of,
    norm,
)
from phaseviz.checkpoints.errors import ModelError
from phaseviz.checkpoints.reading import LoadedCheckpoint
from phaseviz.checkpoints.shapes import read_shapes

logger = logging.getLogger(__name__)

MAX_TRIES = 512
CONFIG_PARAMETERS = frozenset({"config", "cfg", "hparams", "args", "hyper_parameters"})
# In-place initialisers, as torch.nn.init and Tensor methods name them.
_INIT_OPS = frozenset(
    {
        "normal_",
        "uniform_",
        "trunc_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "orthogonal_",
        "sparse_",
        "dirac_",
        "eye_",
        "constant_",
        "ones_",
        "zeros_",
        "zero_",
        "fill_",
        "random_",
        "exponential_",
        "bernoulli_",
        "cauchy_",
        "log_normal_",
        "geometric_",
    }
)


class _Config(dict[str, Any]):
    """A config dict whose keys also read as attributes (``config.d_model``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def constructor_arguments(
    model_class: type[nn.Module], loaded: LoadedCheckpoint
) -> dict[str, Any]:
    """The keyword arguments to build ``model_class`` for a checkpoint.

    Args:
        model_class: The user's model class.
        loaded: The checkpoint, with its config and state dict.

    Returns:
        Arguments by name; those with defaults and no config value are left
        to their defaults.

    Raises:
        ModelError: A required argument is neither in the config nor of a
            kind the shapes can tell.
    """
    parameters = _parameters(model_class)
    given, missing = _from_config(parameters, loaded.config)
    if not missing:
        return given

    facts = read_shapes(loaded.state_dict)
    options = {p.name: candidates(p, facts) for p in missing}
    unknown = [name for name, values in options.items() if not values]
    if unknown:
        raise ModelError(
            f"{model_class.__name__}: cannot work out the required argument(s) "
            f"{', '.join(unknown)} from the checkpoint. Store them in its config "
            "(config, model_config, hparams or hyper_parameters) or give them "
            "defaults in the model file."
        )

    target = {name: tuple(t.shape) for name, t in loaded.state_dict.items()}
    chosen = _search(model_class, given, options, target, loaded.prefix)
    _log_choice(model_class, given, chosen)
    return given | chosen


def _parameters(model_class: type[nn.Module]) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(model_class)
    except (TypeError, ValueError) as error:
        raise ModelError(
            f"{model_class.__name__}: its constructor cannot be inspected ({error})"
        ) from None
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p for p in signature.parameters.values() if p.kind in plain]


def _from_config(
    parameters: list[inspect.Parameter], config: Mapping[str, Any] | None
) -> tuple[dict[str, Any], list[inspect.Parameter]]:
    flat = _flat(config or {})
    by_norm = {norm(k): v for k, v in flat.items()}
    given: dict[str, Any] = {}
    missing = []
    for parameter in parameters:
        if parameter.name in flat:
            given[parameter.name] = flat[parameter.name]
        elif norm(parameter.name) in by_norm:
            given[parameter.name] = by_norm[norm(parameter.name)]
        elif parameter.name in CONFIG_PARAMETERS and config:
            given[parameter.name] = _Config(config)
        elif parameter.default is inspect.Parameter.empty:
            missing.append(parameter)
    return given, missing


def _flat(config: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level entries, then those of nested dicts (Lightning nests them)."""
    flat = {str(k): v for k, v in config.items()}
    for value in config.values():
        if isinstance(value, Mapping):
            for key, inner in value.items():
                flat.setdefault(str(key), inner)
    return flat


def _search(
    model_class: type[nn.Module],
    given: dict[str, Any],
    options: dict[str, list[Any]],
    target: dict[str, tuple[int, ...]],
    prefix: str,
) -> dict[str, Any]:
    names = list(options)
    combinations = itertools.islice(itertools.product(*options.values()), MAX_TRIES)
    first: dict[str, Any] | None = None
    for values in combinations:
        chosen = dict(zip(names, values, strict=True))
        first = first or chosen
        shapes = _meta_shapes(model_class, given | chosen)
        if shapes is not None and align_names(shapes, target, prefix) == shapes:
            return chosen

    logger.debug(
        "model %s: no tried arguments fit the checkpoint's shapes", model_class.__name__
    )
    return first or {}


def _meta_shapes(
    model_class: type[nn.Module], kwargs: dict[str, Any]
) -> dict[str, tuple[int, ...]] | None:
    """The state-dict shapes of the model built with ``kwargs``, or None."""
    try:
        with warnings.catch_warnings(), torch.device("meta"), _NoInitOnMeta():
            warnings.simplefilter("ignore")
            model = model_class(**kwargs)
        return {k: tuple(v.shape) for k, v in model.state_dict().items()}
    except Exception:  # a failed try only rules the values out
        return None


class _NoInitOnMeta(TorchFunctionMode):
    """Skips in-place initialisation of meta tensors while trying arguments.

    Random initialisation means nothing on the meta device, and torch runs
    some of it there through Python decompositions whose first use imports
    the compiler stack, which takes seconds.
    """

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        kwargs = kwargs or {}
        tensor = args[0] if args else kwargs.get("tensor")
        name = getattr(func, "__name__", "")
        if name in _INIT_OPS and isinstance(tensor, torch.Tensor) and tensor.is_meta:
            return tensor
        return func(*args, **kwargs)


def align_names(
    model_names: Collection[str], state: dict[str, Any], prefix: str
) -> dict[str, Any]:
    """Give ``state`` back the wrapper prefix the model's own names carry.

    Args:
        model_names: The model's state-dict names.
        state: The checkpoint's values, wrapper prefix stripped.
        prefix: The prefix that was stripped.

    Returns:
        ``state`` renamed where the model's names start with part of
        ``prefix`` (a model that itself wraps its layers in ``model``),
        else ``state`` as it is.
    """
    names = set(model_names)
    if set(state) == names or not prefix:
        return state
    parts = prefix.split(".")[:-1]
    for start in range(len(parts)):
        again = ".".join(parts[start:]) + "."
        renamed = {again + k: v for k, v in state.items()}
        if set(renamed) == names:
            return renamed
    return state


def _log_choice(
    model_class: type[nn.Module], given: dict[str, Any], chosen: dict[str, Any]
) -> None:
    name = model_class.__name__
    shown = ", ".join(f"{k}={v!r}" for k, v in chosen.items())
    logger.info(
        "model %s: arguments inferred from the checkpoint's shapes: %s", name, shown
    )
    for key, value in chosen.items():
        if kind_of(key) in GUESSED_KINDS:
            logger.warning(
                "model %s: %s=%r is a guess, the weights do not determine it; "
                "store it in the checkpoint's config to be exact",
                name,
                key,
                value,
            )
