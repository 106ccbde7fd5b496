"""Reading one checkpoint into the parameters the metrics see.

The parameters are views of the memory-mapped files where the format
allows (safetensors, torch zip), wrapped so that the metrics can give back
each tensor's pages once read: see :mod:`phaseviz.engine.pages`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from torch import nn

from phaseviz.checkpoints import (
    Checkpoint,
    ModelSpec,
    build_model,
    load_checkpoint,
    load_model_class,
    load_state_dict,
)
from phaseviz.engine.pages import MappedParameters
from phaseviz.metrics import select_parameters

logger = logging.getLogger(__name__)


@dataclass
class LoadedParameters:
    """The parameters of one checkpoint, ready for the metrics.

    Attributes:
        params: P of the metric contract, by state-dict name; a
            :class:`MappedParameters`, whose tensors can release their pages.
        model: The user's model holding the weights, when a class was given.
        seconds: Time spent reading.
    """

    params: MappedParameters
    model: nn.Module | None
    seconds: float


class ParameterLoader:
    """Reads checkpoints, building the user's model when one is given.

    Args:
        model: The user's model class, or None to work from state dicts.
        trust: Unpickle arbitrary objects (``--trust-checkpoints``).

    Raises:
        ModelError: The model file or class cannot be used.
    """

    def __init__(self, model: ModelSpec | None, trust: bool) -> None:
        self.trust = trust
        self.model_class = load_model_class(model) if model else None

    def load(self, checkpoint: Checkpoint) -> LoadedParameters:
        """Read ``checkpoint``.

        Raises:
            CheckpointError: The file cannot be read (safely).
            ModelError: The weights do not fit the model class.
        """
        start = time.perf_counter()
        model = None
        if self.model_class is None:
            state_dict = load_state_dict(checkpoint, trust=self.trust)
        else:
            loaded = load_checkpoint(checkpoint, trust=self.trust)
            model = build_model(self.model_class, loaded)
            state_dict = loaded.state_dict

        params = MappedParameters(
            select_parameters(state_dict, model), checkpoint.files
        )
        seconds = time.perf_counter() - start
        logger.info(
            "loaded checkpoint %s (%d parameter tensors%s) in %.3f s",
            checkpoint.name,
            len(params),
            ", memory-mapped" if params.mapped else "",
            seconds,
        )
        return LoadedParameters(params, model, seconds)
