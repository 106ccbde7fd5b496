"""Overall progress of the computations running now."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

MAX_LABEL = 24
"""Longer lists of metric titles are shown as a count, leaving the bar room."""


class ProgressStrip(Horizontal):
    """A line with what is being computed and one bar for all of it."""

    DEFAULT_CSS = """
    ProgressStrip {
        height: 1;
    }
    ProgressStrip Label {
        width: auto;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        """The label and the bar."""
        yield Label(id="progress-label")
        yield ProgressBar(id="overall-progress", show_eta=False)

    def show(self, titles: list[str], done: int, total: int) -> None:
        """Show progress of ``done`` of ``total`` checkpoints, or hide when idle."""
        self.display = bool(titles)
        if not titles:
            return
        what = ", ".join(titles)
        if len(what) > MAX_LABEL:
            what = f"{len(titles)} metrics"
        self.query_one(Label).update(f"computing {what} · {done}/{total} checkpoints")
        self.query_one(ProgressBar).update(total=max(total, 1), progress=done)
