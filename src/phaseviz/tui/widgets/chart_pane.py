"""One metric's pane: its chart, legend, progress and errors."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar

from phaseviz.tui.palette import (
    CURSOR_COLOR,
    TRANSITION_COLOR,
    rich_color,
    style,
)
from phaseviz.tui.series import format_step, format_value
from phaseviz.tui.session import Session
from phaseviz.tui.widgets.caption import Caption
from phaseviz.tui.widgets.chart import (
    CURSOR_MARKER,
    TRANSITION_MARKER,
    Line,
    MetricChart,
    Rule,
)

MAX_TRANSITIONS_LISTED = 4


class ChartPane(Vertical, can_focus=True):
    """A focusable pane that charts one metric over every run.

    Args:
        metric: The metric's key.
    """

    ALLOW_MAXIMIZE = True

    class Ready(Message):
        """The pane is mounted and can be drawn."""

    def __init__(self, metric: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="chart-pane")
        self.metric = metric

    def compose(self) -> ComposeResult:
        """The progress bar, chart, legend and error line."""
        yield ProgressBar(show_eta=False, classes="pane-progress")
        yield MetricChart()
        yield Caption(classes="legend")
        yield Caption(classes="pane-error")

    def on_mount(self) -> None:
        """Ask for a redraw now that the chart and legend exist."""
        self.post_message(self.Ready())

    def update_from(self, session: Session, computing: bool) -> None:
        """Redraw from the session's values, transitions and cursor.

        A pane still being mounted is left alone; it is drawn on the next
        redraw, once its chart and legend exist.

        Args:
            session: The app's session.
            computing: True while a computation of this metric is running.
        """
        if not self.is_mounted:
            return
        self.border_title = session.title(self.metric)
        self._show_progress(session, computing)
        self.query_one(MetricChart).draw(
            chart_lines(session, self.metric),
            chart_rules(session, self.metric),
            session.timeline.span,
            axis=session.timeline.axis,
        )
        self.query_one(".legend", Caption).show(legend(session, self.metric))
        self._show_errors(session)

    def _show_progress(self, session: Session, computing: bool) -> None:
        done, total = session.progress(self.metric)
        bar = self.query_one(ProgressBar)
        bar.display = computing and done < total
        bar.update(total=max(total, 1), progress=done)

    def _show_errors(self, session: Session) -> None:
        errors = session.errors(self.metric)
        error_line = self.query_one(".pane-error", Caption)
        error_line.display = bool(errors)
        if errors:
            total = sum(len(run.checkpoints) for run in session.runs)
            error_line.show(
                Text(
                    f"failed at {len(errors)} of {total} checkpoints: {errors[0]}",
                    style="bold red",
                )
            )


def chart_lines(session: Session, metric: str) -> list[Line]:
    """One line per run, in the run's style."""
    lines = []
    for run_index in range(len(session.runs)):
        steps, values = session.series(run_index, metric)
        run_style = style(run_index)
        lines.append(Line(steps, values, run_style.color, run_style.marker))
    return lines


def chart_rules(session: Session, metric: str) -> list[Rule]:
    """The transitions of every run, then the cursor on top."""
    several = len(session.runs) > 1
    rules = [
        Rule(t.step, style(i).color if several else TRANSITION_COLOR, TRANSITION_MARKER)
        for i in range(len(session.runs))
        for t in session.transitions(i, metric)
    ]
    step = session.timeline.cursor_step
    if step is not None:
        rules.append(Rule(step, CURSOR_COLOR, CURSOR_MARKER))
    return rules


def legend(session: Session, metric: str) -> Text:
    """Each run's value at the cursor, its transitions, and the cursor's step."""
    step = session.timeline.cursor_step
    several = len(session.runs) > 1
    text = Text()
    for run_index, label in enumerate(session.labels):
        run_style = style(run_index)
        text.append(f"{run_style.glyph} ", style=rich_color(run_style.color))
        if several:
            text.append(f"{label} ")
        text.append(
            format_value(session.value_at(run_index, metric, step)), style="bold"
        )
        text.append("  ")

    for run_index, label in enumerate(session.labels):
        steps = [t.step for t in session.transitions(run_index, metric)]
        color = style(run_index).color if several else TRANSITION_COLOR
        text.append(f"{TRANSITION_MARKER} ", style=rich_color(color))
        text.append(f"{label} " if several else "")
        text.append(_transition_summary(steps, several) + "  ")
    if step is not None:
        text.append(f"{CURSOR_MARKER} step {step:,}", style="dim")
    return text


def _transition_summary(steps: list[int], short: bool) -> str:
    """The transitions' steps; ``short`` leaves out the words, for several runs."""
    if not steps:
        return "none" if short else "no transition"
    listed = ", ".join(format_step(s) for s in steps[:MAX_TRANSITIONS_LISTED])
    more = len(steps) - MAX_TRANSITIONS_LISTED
    listed += f" +{more}" if more > 0 else ""
    if short:
        return listed
    return f"{'transition' if len(steps) == 1 else 'transitions'} {listed}"
