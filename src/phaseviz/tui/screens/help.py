"""The help screen: every key of the app and what it does."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

ABOUT = (
    "phaseviz charts weight-geometry metrics of every checkpoint against the "
    "training step, and marks the transitions the detector finds. Mouse clicks "
    "work too: click a metric to toggle it, a pane to focus it."
)


class HelpScreen(ModalScreen[None]):
    """A table of the bindings in force, with the key each is mapped to now.

    Args:
        bindings: (keys, description, binding id) for each binding, in the
            order to list them.
    """

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(self, bindings: Sequence[tuple[str, str, str]]) -> None:
        super().__init__(id="help")
        self._rows = list(bindings)

    def compose(self) -> ComposeResult:
        """The table inside a scrollable box."""
        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("key", style="bold", no_wrap=True)
        table.add_column("does")
        table.add_column("id", style="dim", no_wrap=True)
        for keys, description, binding_id in self._rows:
            table.add_row(keys, description, binding_id)
        with VerticalScroll(id="help-box") as box:
            box.border_title = "phaseviz keys · escape closes"
            yield Static(Text(ABOUT, style="italic"), id="help-about")
            yield Static(table, id="help-table")
            yield Static(
                "Remap keys by id: phaseviz tui --keys toggle_metric=x,quit=ctrl+q",
                id="help-remap",
            )

    def action_dismiss(self) -> None:  # type: ignore[override]
        """Close the help screen."""
        self.dismiss(None)
