"""The run and checkpoint records that every other layer computes on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

StepSource = Literal["data", "name", "order"]


@dataclass(frozen=True)
class Checkpoint:
    """One saved state of the model, found in a run folder.

    Attributes:
        path: The file, or the folder for a Hugging Face ``checkpoint-N/``.
        name: The path relative to the run folder, as shown to users.
        format: One of ``torch``, ``lightning``, ``safetensors``,
            ``safetensors-sharded`` or ``torch-bin`` (``pytorch_model.bin``).
        files: The files whose tensors make up the checkpoint.
        step: The training step: the x axis everywhere in phaseviz.
        step_source: Where the step came from: the checkpoint's own data, the
            number in its name, or its place in natural file order.
        size: Bytes on disk, summed over ``files``.
        mtime_ns: The newest modification time of ``files``.
        recorded: Scalars the checkpoint stores beside its weights (an
            evaluation loss, an accuracy, ``log_history`` entries), by name.
    """

    path: Path
    name: str
    format: str
    files: tuple[Path, ...]
    step: int
    step_source: StepSource
    size: int
    mtime_ns: int
    recorded: Mapping[str, float] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[str, int, int]:
        """What the results cache keys this checkpoint by: path, size, mtime."""
        return (str(self.path.resolve()), self.size, self.mtime_ns)


@dataclass(frozen=True)
class SkippedFile:
    """A checkpoint file that was found but could not be read.

    Attributes:
        path: The file or folder.
        reason: What went wrong and what to do about it, for the user.
    """

    path: Path
    reason: str


@dataclass(frozen=True)
class Run:
    """A training run: a folder of checkpoints ordered by step.

    Attributes:
        path: The run folder.
        name: The folder's name, used to tell runs apart.
        checkpoints: The readable checkpoints, ordered by step.
        skipped: Checkpoint files that could not be read, with the reason.
    """

    path: Path
    name: str
    checkpoints: tuple[Checkpoint, ...]
    skipped: tuple[SkippedFile, ...] = ()

    @property
    def steps(self) -> list[int]:
        """The steps of the checkpoints, in order."""
        return [c.step for c in self.checkpoints]
