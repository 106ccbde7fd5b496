"""Finding a run's checkpoints, ordering them by step, and reading them safely.

The records and errors are imported eagerly; the functions, which need
torch, are imported on first use, so importing an error class stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phaseviz.checkpoints.errors import (
    CheckpointError,
    ModelError,
    PhasevizError,
    RunError,
    UnsafeCheckpointError,
)
from phaseviz.checkpoints.run import Checkpoint, Run, SkippedFile, StepSource
from phaseviz.lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, globals())
