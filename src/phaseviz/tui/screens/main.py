"""The main screen: header, metric sidebar, the chart views, values, footer."""

from __future__ import annotations

from collections.abc import Collection

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.geometry import Size
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from phaseviz.tui.bindings import BINDINGS
from phaseviz.tui.computation import Job
from phaseviz.tui.session import Session
from phaseviz.tui.widgets.chart_grid import ChartGrid
from phaseviz.tui.widgets.chart_pane import ChartPane
from phaseviz.tui.widgets.key_bar import KeyBar
from phaseviz.tui.widgets.layer_view import LayerView
from phaseviz.tui.widgets.overlay_view import OverlayView
from phaseviz.tui.widgets.progress_strip import ProgressStrip
from phaseviz.tui.widgets.run_header import RunHeader
from phaseviz.tui.widgets.sidebar import MetricInfo, MetricList, Sidebar
from phaseviz.tui.widgets.values_table import ValuesTable

NARROW = 90
"""Below this many columns the sidebar narrows to leave the charts room."""
SHORT = 30
"""Below this many rows the values table is left out; pane legends remain."""
VIEWS = ("grid", "overlay", "layers")


class MainScreen(Screen[None]):
    """The screen the app lives on; it draws the session it is given.

    Args:
        session: The app's session, read on every draw.
    """

    # An expanded pane keeps the header and the keys around it.
    ALLOW_IN_MAXIMIZED_VIEW = "RunHeader, KeyBar"

    class Ready(Message):
        """The screen has its widgets and a pane per selected metric."""

    def __init__(self, session: Session) -> None:
        super().__init__(id="main-screen")
        self.session = session

    def compose(self) -> ComposeResult:
        """Header, sidebar, the views, the values at the cursor, progress, footer."""
        yield RunHeader(id="run-header")
        with Horizontal(id="body"):
            yield Sidebar(id="sidebar")
            with Vertical(id="main"):
                with ContentSwitcher(initial="grid", id="views"):
                    yield ChartGrid(id="grid")
                    yield OverlayView(id="overlay")
                    yield LayerView(id="layers")
                yield ValuesTable(id="values")
                yield ProgressStrip(id="progress")
        yield KeyBar([binding.action for binding in BINDINGS], id="keys")

    async def on_mount(self) -> None:
        """List the metrics and make a pane for each selected one."""
        self.sidebar.fill(self.session)
        await self.grid.show(self.session.selected)
        self.metric_list.focus()
        self.fit_to(self.size)
        self.post_message(self.Ready())

    @property
    def grid(self) -> ChartGrid:
        """The grid of chart panes."""
        return self.query_one(ChartGrid)

    @property
    def sidebar(self) -> Sidebar:
        """The sidebar."""
        return self.query_one(Sidebar)

    @property
    def metric_list(self) -> MetricList:
        """The sidebar's metric list."""
        return self.query_one(MetricList)

    @property
    def layer_view(self) -> LayerView:
        """The per-layer view."""
        return self.query_one(LayerView)

    @property
    def view(self) -> str:
        """The view in the main area: ``grid``, ``overlay`` or ``layers``."""
        return self.query_one(ContentSwitcher).current or "grid"

    def draw(self, jobs: Collection[Job], device: str) -> None:
        """Draw the header, the visible view, the values and the progress."""
        if not self.is_mounted:
            return
        session = self.session
        self.query_one(RunHeader).update_from(session, device)
        for pane in self.grid.panes:
            pane.update_from(session, any(pane.metric in job.metrics for job in jobs))
        self.query_one(ValuesTable).update_from(session)
        if self.view == "overlay":
            self.query_one(OverlayView).update_from(session)
        elif self.view == "layers":
            self.layer_view.update_from(session)
        self._draw_progress(jobs)

    def switch(self, view: str) -> None:
        """Show ``view`` in the main area, focused unless it is the grid."""
        self.minimize()
        self.query_one(ContentSwitcher).current = view
        if view != "grid":
            self.query_one(f"#{view}").focus()

    def expandable(self) -> Widget | None:
        """What enter fills the screen with: the focused pane or view.

        From the sidebar that is the highlighted metric's pane, else the first.
        """
        focused = self.focused
        if isinstance(focused, ChartPane | OverlayView | LayerView):
            return focused
        if self.view != "grid":
            return self.query_one(f"#{self.view}")

        highlighted = self.metric_list.highlighted_key
        pane = self.grid.pane(highlighted) if highlighted else None
        if pane is not None:
            return pane
        return self.grid.panes[0] if self.grid.panes else None

    def focused_metric(self) -> str | None:
        """The metric of the focused pane, else the highlighted or first selected."""
        if isinstance(self.focused, ChartPane):
            return self.focused.metric
        highlighted = self.metric_list.highlighted_key
        if highlighted in self.session.selected:
            return highlighted
        return self.session.selected[0] if self.session.selected else None

    def fit_to(self, size: Size) -> None:
        """Narrow the sidebar and leave out the values table on small terminals.

        Each pane's legend shows the value at the cursor too, so a short
        terminal gives the table's rows to the charts.
        """
        self.sidebar.set_class(size.width < NARROW, "narrow")
        self.query_one("#main").set_class(size.height < SHORT, "short")

    def on_resize(self, event: Resize) -> None:
        """Fit the layout to the new terminal size."""
        self.fit_to(event.size)

    @on(MetricList.Highlighted)
    def _highlighted(self, message: MetricList.Highlighted) -> None:
        self.query_one(MetricInfo).describe(self.session.catalogue.get(message.key))

    def _draw_progress(self, jobs: Collection[Job]) -> None:
        metrics = dict.fromkeys(m for job in jobs for m in job.metrics)
        done = sum(job.done for job in jobs)
        total = sum(
            job.total or len(self.session.runs[job.run_index].checkpoints)
            for job in jobs
        )
        titles = [self.session.title(m) for m in metrics]
        self.query_one(ProgressStrip).show(titles, done, total)
