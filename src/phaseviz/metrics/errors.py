"""Errors about metrics a user asked for or wrote.

Both carry the CLI's usage exit status: the fix is in the command line or
in the user's own file, never in phaseviz.
"""

from __future__ import annotations

from phaseviz.checkpoints.errors import FileProblem, PhasevizError


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


class MetricFileError(FileProblem):
    """A custom metric file cannot be used."""

    exit_code = 6
