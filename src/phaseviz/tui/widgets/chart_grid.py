"""The grid of chart panes, one per selected metric."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from phaseviz.tui.widgets.chart_pane import ChartPane

EMPTY = (
    "No metric selected.\n\n"
    "Move through the metrics on the left with ↑ and ↓ and press space to "
    "chart one; press ? for every key."
)
PANE_WIDTH = 34
"""A pane narrower than this leaves too little room for a chart's axis."""
PANE_HEIGHT = 7


def columns_for(width: int, panes: int) -> int:
    """How many panes fit side by side in ``width`` cells."""
    return max(1, min(panes, width // PANE_WIDTH, 3))


class ChartGrid(VerticalScroll, can_focus=False):
    """Chart panes in as many columns as the width allows, or what to press."""

    def compose(self) -> ComposeResult:
        """Start with the hint; panes are added by :meth:`show`."""
        yield Static(EMPTY, id="empty-hint")

    @property
    def panes(self) -> list[ChartPane]:
        """The panes, in order."""
        return list(self.query(ChartPane))

    def pane(self, metric: str) -> ChartPane | None:
        """The pane of ``metric``, if it is shown."""
        for pane in self.panes:
            if pane.metric == metric:
                return pane
        return None

    async def show(self, metrics: Sequence[str]) -> None:
        """Make the panes match ``metrics``, keeping those already there."""
        wanted = list(metrics)
        for pane in self.panes:
            if pane.metric not in wanted:
                await pane.remove()
        present = {pane.metric for pane in self.panes}
        new = [ChartPane(m) for m in wanted if m not in present]
        if new:
            await self.mount_all(new)

        self.query_one("#empty-hint").display = not wanted
        self._layout(self.size.width, self.size.height)

    def on_resize(self, event: Resize) -> None:
        """Pick the column count and pane height for the new size."""
        self._layout(event.size.width, event.size.height)

    def _layout(self, width: int, height: int) -> None:
        count = len(self.panes)
        columns = columns_for(width, count)
        rows = max(1, -(-count // columns))
        self.set_styles(
            f"grid-size: {columns}; grid-rows: {max(PANE_HEIGHT, height // rows)};"
        )
