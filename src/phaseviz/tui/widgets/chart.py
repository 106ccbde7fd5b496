"""A plotext chart of values against step, with vertical rules.

The x axis is the step or, on a log step axis, log10(step + c); the ticks
are labelled with steps either way.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from phaseviz.tui.series import (
    FLAT,
    format_tick,
    is_finite,
    nice_ticks,
    segments,
    within,
)
from phaseviz.tui.step_axis import StepAxis

logger = logging.getLogger(__name__)

Color = str | tuple[int, int, int]

CURSOR_MARKER = "│"
TRANSITION_MARKER = "┆"


@dataclass(frozen=True)
class Line:
    """One series to draw.

    Attributes:
        steps: The x values: training steps.
        values: The y values; NaN leaves a gap.
        color: A plotext colour name or RGB triple.
        marker: A plotext marker name (``braille``) or a single character,
            so lines stay apart where colour is not shown.
    """

    steps: Sequence[int]
    values: Sequence[float]
    color: Color
    marker: str = "braille"


@dataclass(frozen=True)
class Rule:
    """A vertical line across the chart at one step: a transition, the cursor."""

    step: int
    color: Color
    marker: str


class MetricChart(PlotextPlot):
    """Values against step, redrawn whenever :meth:`draw` is called."""

    DEFAULT_CSS = """
    MetricChart {
        width: 1fr;
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._lines: list[Line] = []
        self._rules: list[Rule] = []
        self._span: tuple[int, int] = (0, 0)
        self._y_range: tuple[float, float] | None = None
        self._axis = StepAxis()

    def draw(
        self,
        lines: Sequence[Line],
        rules: Sequence[Rule],
        span: tuple[int, int],
        y_range: tuple[float, float] | None = None,
        axis: StepAxis | None = None,
    ) -> None:
        """Show ``lines`` and ``rules`` between the steps of ``span``.

        Args:
            lines: The series.
            rules: Vertical lines; drawn under the series so values stay visible.
            span: The first and last step on the x axis.
            y_range: A fixed y axis, as for normalised values; else fitted.
            axis: Linear or log step; linear when None.
        """
        figure = (list(lines), list(rules), span, y_range, axis or StepAxis())
        if figure == (self._lines, self._rules, self._span, self._y_range, self._axis):
            return
        self._lines, self._rules, self._span, self._y_range, self._axis = figure
        self.refresh()

    @property
    def lines(self) -> list[Line]:
        """The series drawn now."""
        return self._lines

    @property
    def rules(self) -> list[Rule]:
        """The vertical lines drawn now."""
        return self._rules

    @property
    def span(self) -> tuple[int, int]:
        """The steps at the chart's left and right edge."""
        return self._span

    @property
    def axis(self) -> StepAxis:
        """How steps map to x coordinates now."""
        return self._axis

    def render(self) -> RenderResult:
        """Lay the figure out for the widget's current size, then render it."""
        try:
            self._build()
            return super().render()
        except Exception:
            # A chart that cannot be drawn must not take the app down with it.
            logger.exception("drawing a chart of %d lines failed", len(self._lines))
            return Text(
                "this chart could not be drawn; see the log file", style="italic"
            )

    def _build(self) -> None:
        plt = self.plt
        plt.clear_figure()
        axis = self._axis
        low, high = self._span
        visible = [within(line.steps, line.values, low, high) for line in self._lines]
        bottom, top = self._y_range or _fit([v for _, vs in visible for v in vs])

        for rule in self._rules:
            if low <= rule.step <= high:
                x = axis.x(rule.step)
                plt.plot([x, x], [bottom, top], marker=rule.marker, color=rule.color)
        for line, (steps, values) in zip(self._lines, visible, strict=True):
            for xs, ys in segments(steps, values):
                plt.plot(
                    [axis.x(s) for s in xs], ys, marker=line.marker, color=line.color
                )

        # A little room either side keeps a cursor on the first or last step
        # off the chart's frame.
        left, right = axis.x(low), axis.x(high)
        margin = (right - left) * 0.02 or 0.5
        plt.xlim(left - margin, right + margin)
        plt.ylim(bottom, top)
        plt.xticks(*axis.ticks(low, high, max(2, self.size.width // 12)))
        plt.yticks(*_y_ticks(bottom, top, rows=self.size.height - 1))
        # The pane's border frames the chart; plotext's own frame would take
        # two of the few rows a pane has.
        plt.frame(False)
        if not any(values for _, values in visible):
            plt.text(
                "no values yet",
                (left + right) / 2,
                (bottom + top) / 2,
                alignment="center",
            )


def _y_ticks(bottom: float, top: float, rows: int) -> tuple[list[float], list[str]]:
    """Round y ticks at least two rows apart, so no two labels share a row."""
    most = max(1, (rows + 1) // 2)
    ticks = nice_ticks(bottom, top, most)
    ticks = ticks[:: math.ceil(len(ticks) / most)]
    spacing = ticks[1] - ticks[0] if len(ticks) > 1 else top - bottom
    return ticks, [format_tick(t, spacing) for t in ticks]


def _fit(values: Sequence[float]) -> tuple[float, float]:
    """A y range around the finite values with a little room above and below."""
    finite = [v for v in values if is_finite(v)]
    if not finite:
        return 0.0, 1.0

    low, high = min(finite), max(finite)
    # Float noise on a constant metric should look flat, not fill the chart;
    # the range snaps to round numbers so the noise cannot move the axis.
    least = FLAT * max(abs(low), abs(high))
    if high - low < least:
        unit = 10 ** math.floor(math.log10(least))
        low = math.floor(low / unit) * unit
        high = max(math.ceil(high / unit) * unit, low + unit)
    pad = (high - low) * 0.05 or 0.5
    return low - pad, high + pad
