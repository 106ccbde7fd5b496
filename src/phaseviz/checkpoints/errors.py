"""Errors raised while finding and reading checkpoints.

Each error names the file it concerns and says what the user can do, so a
view can show ``str(error)`` as it is.
"""

from __future__ import annotations

from pathlib import Path


class PhasevizError(Exception):
    """Base of every error phaseviz reports to a user.

    Attributes:
        exit_code: The CLI exit status for this kind of failure.
    """

    exit_code = 1


class RunError(PhasevizError):
    """The run folder is missing, empty, or holds no readable checkpoint."""

    exit_code = 3


class FileProblem(PhasevizError):
    """A file of the user's cannot be used; the message starts with its path.

    Args:
        path: The file or folder concerned.
        reason: What went wrong.
        hint: What the user can do about it.
    """

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.hint = hint
        message = f"{self.path}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class CheckpointError(FileProblem):
    """A checkpoint file could not be read."""

    exit_code = 4


class UnsafeCheckpointError(CheckpointError):
    """Loading the checkpoint would run code stored in it."""


class ModelError(PhasevizError):
    """The user's model class cannot be found, built or loaded."""

    exit_code = 5
