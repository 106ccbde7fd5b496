"""The exact value of every selected metric at the checkpoint cursor."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from phaseviz.tui.palette import rich_color, style
from phaseviz.tui.series import format_value
from phaseviz.tui.session import Session


class ValuesTable(DataTable[Text | str]):
    """A row per selected metric, a column per run, at the cursor's step."""

    DEFAULT_CSS = """
    ValuesTable {
        height: auto;
        max-height: 9;
    }
    ValuesTable.-empty {
        display: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id, cursor_type="none", zebra_stripes=True, show_cursor=False
        )
        self.can_focus = False
        self._shown: tuple[tuple[str, ...], tuple[tuple[str, ...], ...], int | None]
        self._shown = ((), (), None)

    def update_from(self, session: Session) -> None:
        """Show the values at the cursor's step, rebuilding only what changed."""
        step = session.timeline.cursor_step
        rows = tuple(
            (
                metric,
                session.title(metric),
                *(
                    format_value(session.value_at(i, metric, step))
                    for i in range(len(session.runs))
                ),
            )
            for metric in session.selected
        )
        names = tuple(session.labels)
        if (names, rows, step) == self._shown:
            return

        if names != self._shown[0]:
            self.clear(columns=True)
            self.add_column("metric", key="metric")
            for run_index, name in enumerate(names):
                run_style = style(run_index)
                header = Text(
                    f"{run_style.glyph} {name}", style=rich_color(run_style.color)
                )
                self.add_column(header, key=f"run-{run_index}")
        else:
            self.clear()
        for key, *cells in rows:
            self.add_row(*cells, key=key)

        self._shown = (names, rows, step)
        self.border_title = self._title(session, step)
        self.set_class(not session.selected, "-empty")

    def value_text(self, metric: str, run_index: int = 0) -> str:
        """The value shown for ``metric`` in run ``run_index``'s column."""
        return str(self.get_cell(metric, f"run-{run_index}"))

    def _title(self, session: Session, step: int | None) -> str:
        if step is None:
            return "values"
        names = {session.checkpoint_at(i, step) for i in range(len(session.runs))}
        names.discard(None)
        where = f" · {names.pop()}" if len(names) == 1 else ""
        return f"values at step {step:,}{where}"
