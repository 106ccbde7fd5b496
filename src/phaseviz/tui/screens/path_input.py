"""Asking for the path of a custom metrics file."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PathInput(ModalScreen[Path | None]):
    """A one-line prompt for a ``.py`` file; dismisses with the path or None.

    Args:
        prompt: What the file is for.
        start: The folder relative paths are taken from.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="path.cancel")]

    def __init__(self, prompt: str, start: Path) -> None:
        super().__init__(id="path-input")
        self._prompt = prompt
        self._start = start

    def compose(self) -> ComposeResult:
        """The prompt, the input and a line for what is wrong with the path."""
        with Vertical(id="path-box") as box:
            box.border_title = "custom metrics file"
            yield Label(self._prompt)
            yield Input(placeholder="metrics.py", id="path-field")
            yield Static(id="path-error")
            yield Label("enter loads it · escape cancels", classes="dim")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self._start / path
        problem = _problem(text, path)
        if problem:
            self.query_one("#path-error", Static).update(problem)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        """Close without a file."""
        self.dismiss(None)


def _problem(text: str, path: Path) -> str | None:
    if not text:
        return "Type the path of a .py file that defines *_of_model functions."
    if not path.is_file():
        return f"{path} is not a file."
    if path.suffix != ".py":
        return f"{path} is not a .py file."
    return None
