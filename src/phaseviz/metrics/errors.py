"""Errors about metrics a user asked for or wrote.

Both carry the CLI's usage exit status: the fix is in the command line or
in the user's own file, never in phaseviz.
"""

from __future__ import annotations

from pathlib import Path

from phaseviz.checkpoints.errors import PhasevizError


class UnknownMetricError(PhasevizError):
    """A metric key is not one phaseviz knows.

    Args:
        key: The key as given.
        suggestions: The closest known keys, best first.
    """

    exit_code = 2

    def __init__(self, key: str, suggestions: list[str]) -> None:
        self.key = key
        self.suggestions = list(suggestions)
        message = f"unknown metric {key!r}"
        if self.suggestions:
            message += f"; did you mean {', '.join(self.suggestions)}?"
        message += " (run 'phaseviz metrics' to list every key)"
        super().__init__(message)


class MetricFileError(PhasevizError):
    """A custom metric file cannot be used.

    Args:
        path: The file.
        reason: What is wrong with it.
        hint: What the user can do about it.
    """

    exit_code = 6

    def __init__(self, path: Path | str, reason: str, hint: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.hint = hint
        message = f"{self.path}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)
