"""Finding a run's checkpoints, ordering them by step, and reading them safely.

The records and errors are imported eagerly; the functions, which need
torch, are imported on first use, so importing an error class stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from phaseviz.checkpoints.errors import (
    CheckpointError,
    ModelError,
    PhasevizError,
    RunError,
    UnsafeCheckpointError,
)
from phaseviz.checkpoints.run import Checkpoint, Run, SkippedFile, StepSource

if TYPE_CHECKING:
    from phaseviz.checkpoints.build import build_model
    from phaseviz.checkpoints.discover import discover_run
    from phaseviz.checkpoints.model_class import ModelSpec, load_model_class
    from phaseviz.checkpoints.reading import (
        LoadedCheckpoint,
        count_parameters,
        iter_tensors,
        load_checkpoint,
        load_state_dict,
    )

_LAZY = {
    "discover_run": "phaseviz.checkpoints.discover",
    "LoadedCheckpoint": "phaseviz.checkpoints.reading",
    "count_parameters": "phaseviz.checkpoints.reading",
    "iter_tensors": "phaseviz.checkpoints.reading",
    "load_checkpoint": "phaseviz.checkpoints.reading",
    "load_state_dict": "phaseviz.checkpoints.reading",
    "ModelSpec": "phaseviz.checkpoints.model_class",
    "load_model_class": "phaseviz.checkpoints.model_class",
    "build_model": "phaseviz.checkpoints.build",
}

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "LoadedCheckpoint",
    "ModelError",
    "ModelSpec",
    "PhasevizError",
    "Run",
    "RunError",
    "SkippedFile",
    "StepSource",
    "UnsafeCheckpointError",
    "build_model",
    "count_parameters",
    "discover_run",
    "iter_tensors",
    "load_checkpoint",
    "load_model_class",
    "load_state_dict",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
