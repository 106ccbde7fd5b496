"""A line of text that redraws only when its content changes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Caption(Static):
    """A Static whose :meth:`show` skips the relayout when nothing changed.

    Values arrive up to ten times a second; most captions (a legend, the
    header) stay the same between them, and a needless update costs a
    layout pass of the whole screen.
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: Text | str | None = None

    def show(self, content: Text | str) -> None:
        """Display ``content`` unless it is what is displayed already."""
        if content == self._shown:
            return
        self._shown = content
        self.update(content)

    @property
    def text(self) -> str:
        """The plain text shown now."""
        shown = self._shown
        return shown.plain if isinstance(shown, Text) else (shown or "")
