"""The metric list, grouped, with the highlighted metric's formula below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from phaseviz.tui.session import Session
from phaseviz.tui.widgets.caption import Caption

if TYPE_CHECKING:
    from phaseviz.metrics import Metric

GROUP_PREFIX = "group:"


class MetricList(OptionList):
    """Every metric on offer under its group's heading, each checked or not."""

    class Toggled(Message):
        """The user picked a metric with enter or a click."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class Highlighted(Message):
        """The highlight moved to another metric."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def fill(self, session: Session) -> None:
        """List the session's metrics, keeping the highlight where it was."""
        current = self.highlighted_key
        self.clear_options()
        for group, metrics in session.grouped():
            self.add_option(
                Option(
                    Text(group.upper(), style="bold"),
                    id=GROUP_PREFIX + group,
                    disabled=True,
                )
            )
            self.add_options(
                Option(_prompt(m, m.key in session.selected), id=m.key) for m in metrics
            )
        self.highlight_key(current or self._first_metric())

    def mark(self, metric: Metric, selected: bool) -> None:
        """Show ``metric`` as selected or not."""
        self.replace_option_prompt(metric.key, _prompt(metric, selected))

    @property
    def highlighted_key(self) -> str | None:
        """The key of the highlighted metric."""
        option = self.highlighted_option
        return option.id if option is not None else None

    def highlight_key(self, key: str | None) -> None:
        """Move the highlight to ``key``."""
        if key is None:
            return
        try:
            self.highlighted = self.get_option_index(key)
        except OptionDoesNotExist:
            return  # a key no longer listed leaves the highlight where it is

    def _first_metric(self) -> str | None:
        for option in self.options:
            if not option.disabled:
                return option.id
        return None

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Toggled(event.option.id))

    @on(OptionList.OptionHighlighted)
    def _moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Highlighted(event.option.id))


class MetricInfo(Caption):
    """The highlighted metric's title, formula and one-line meaning."""

    def describe(self, metric: Metric | None) -> None:
        """Describe ``metric``, or nothing."""
        if metric is None:
            self.show("")
            return
        text = Text()
        text.append(metric.title, style="bold")
        text.append(f"  {metric.key}\n", style="dim")
        if metric.formula:
            text.append(f"{metric.formula}\n", style="italic")
        text.append(metric.description)
        self.show(text)


class Sidebar(Vertical):
    """The metric list above the highlighted metric's description."""

    def compose(self) -> ComposeResult:
        """The list and the description."""
        yield MetricList(id="metric-list")
        yield MetricInfo(id="metric-info")

    def fill(self, session: Session) -> None:
        """List the session's metrics and describe the highlighted one."""
        metric_list = self.query_one(MetricList)
        metric_list.fill(session)
        key = metric_list.highlighted_key
        self.query_one(MetricInfo).describe(session.catalogue.get(key or ""))


def _prompt(metric: Metric, selected: bool) -> Text:
    mark = "[x]" if selected else "[ ]"
    return Text.assemble((f"{mark} ", "bold" if selected else "dim"), metric.title)
