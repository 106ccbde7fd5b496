"""Every selected metric on one chart, each scaled to [0, 1]."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from phaseviz.tui.palette import CURSOR_COLOR, rich_color, style
from phaseviz.tui.series import format_value, normalise
from phaseviz.tui.session import Session
from phaseviz.tui.widgets.caption import Caption
from phaseviz.tui.widgets.chart import CURSOR_MARKER, Line, MetricChart, Rule


class OverlayView(Vertical, can_focus=True):
    """The selected metrics overlaid, so their changes can be lined up by step."""

    ALLOW_MAXIMIZE = True

    def compose(self) -> ComposeResult:
        """The chart and its legend."""
        yield MetricChart(id="overlay-chart")
        yield Caption(classes="legend", id="overlay-legend")

    def update_from(self, session: Session) -> None:
        """Redraw the overlay from the session."""
        self.border_title = "overlay · each metric scaled to [0, 1]"
        lines = []
        for position, metric in enumerate(session.selected):
            for run_index in range(len(session.runs)):
                steps, values = session.series(run_index, metric)
                marker = style(run_index if len(session.runs) > 1 else position).marker
                lines.append(
                    Line(steps, normalise(values), style(position).color, marker)
                )

        step = session.timeline.cursor_step
        rules = [] if step is None else [Rule(step, CURSOR_COLOR, CURSOR_MARKER)]
        self.query_one(MetricChart).draw(
            lines, rules, session.timeline.span, (0.0, 1.0), session.timeline.axis
        )
        self.query_one(Caption).show(self._legend(session))

    def _legend(self, session: Session) -> Text:
        step = session.timeline.cursor_step
        text = Text()
        if not session.selected:
            return Text("No metric selected: press space on one in the sidebar.")
        for position, metric in enumerate(session.selected):
            glyph = style(position).glyph if len(session.runs) == 1 else "━"
            text.append(f"{glyph} ", style=rich_color(style(position).color))
            values = [
                format_value(session.value_at(i, metric, step))
                for i in range(len(session.runs))
            ]
            text.append(f"{session.title(metric)} {' / '.join(values)}  ")
        if len(session.runs) > 1:
            for run_index, label in enumerate(session.labels):
                text.append(f"{style(run_index).glyph} {label}  ", style="dim")
        return text
