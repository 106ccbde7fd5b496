"""Which layers of one metric moved, and when."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from phaseviz.tui.palette import CURSOR_COLOR, rich_color, style
from phaseviz.tui.series import LayerChange, format_value, normalise, rank_layers
from phaseviz.tui.session import Session
from phaseviz.tui.widgets.caption import Caption
from phaseviz.tui.widgets.chart import CURSOR_MARKER, Line, MetricChart, Rule

LINES_SHOWN = 6
"""The most-moved layers drawn on the chart; the table lists them all."""


class LayerView(Vertical, can_focus=True):
    """Per-layer values of one metric: the most-moved layers, then a ranking."""

    ALLOW_MAXIMIZE = True

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.metric: str | None = None
        self.run_index = 0

    def compose(self) -> ComposeResult:
        """The chart, its legend and the ranking table."""
        yield MetricChart(id="layer-chart")
        yield Caption(classes="legend", id="layer-legend")
        table: DataTable[str] = DataTable(
            id="layer-table", cursor_type="row", zebra_stripes=True
        )
        table.add_columns("#", "layer", "total change", "biggest change", "at step")
        yield table

    def show(self, metric: str, run_index: int = 0) -> None:
        """Look at ``metric`` in run ``run_index`` from now on."""
        self.metric = metric
        self.run_index = run_index

    def update_from(self, session: Session) -> None:
        """Redraw for the current metric and run."""
        if self.metric is None:
            return
        results = session.results[self.run_index]
        series = {
            name: results.layer_series(self.metric, name)
            for name in results.layer_names(self.metric)
        }
        ranked = rank_layers(series)
        label = session.labels[self.run_index]
        self.border_title = f"per layer · {session.title(self.metric)} · run {label}"

        lines = []
        for position, change in enumerate(ranked[:LINES_SHOWN]):
            steps, values = series[change.layer]
            layer_style = style(position)
            lines.append(
                Line(steps, normalise(values), layer_style.color, layer_style.marker)
            )
        step = session.timeline.cursor_step
        rules = [] if step is None else [Rule(step, CURSOR_COLOR, CURSOR_MARKER)]
        self.query_one(MetricChart).draw(
            lines, rules, session.timeline.span, (0.0, 1.0), session.timeline.axis
        )
        self.query_one(Caption).show(self._legend(session, ranked, step))
        self._fill_table(ranked)

    def _legend(
        self, session: Session, ranked: list[LayerChange], step: int | None
    ) -> Text:
        metric = self.metric or ""
        if not ranked:
            return Text(
                f"No per-layer values of {session.title(metric)} yet: they arrive "
                "as its checkpoints are computed.",
                style="italic",
            )
        text = Text("each layer scaled to [0, 1]; the most-moved first:  ", style="dim")
        for position, change in enumerate(ranked[:LINES_SHOWN]):
            layer_style = style(position)
            value = session.layer_value_at(self.run_index, metric, change.layer, step)
            text.append(f"{layer_style.glyph} ", style=rich_color(layer_style.color))
            text.append(f"{change.layer} {format_value(value)}  ")
        return text

    def _fill_table(self, ranked: list[LayerChange]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for position, change in enumerate(ranked, start=1):
            moved = change.biggest_step is not None and change.biggest_change > 0
            when = f"{change.biggest_step:,}" if moved else "—"
            table.add_row(
                str(position),
                change.layer,
                f"{change.total_change:.1%}",
                f"{change.biggest_change:.1%}",
                when,
                key=change.layer,
            )
