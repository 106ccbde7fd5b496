"""The footer line: the keys in force and what each does."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen

from phaseviz.tui.widgets.caption import Caption


class KeyBar(Caption):
    """The screen's shown bindings as ``key label`` pairs on one line.

    Bindings of one group (the two arrows) share a label. The line is text,
    so a change of focus redraws one line rather than a row of widgets.

    Args:
        order: Actions in the order to list them; others follow.
    """

    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, order: Sequence[str] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._order = {action: i for i, action in enumerate(order)}

    def on_mount(self) -> None:
        """Follow the screen's bindings as focus and views change."""
        self.screen.bindings_updated_signal.subscribe(self, self._changed)
        self._changed(self.screen)

    def _changed(self, screen: Screen[object]) -> None:
        shown = [
            binding
            for _, binding, enabled, _ in screen.active_bindings.values()
            if binding.show and enabled
        ]
        shown.sort(key=lambda b: self._order.get(b.action, len(self._order)))
        self.show(self._line(shown))

    def _line(self, bindings: list[Binding]) -> Text:
        # One entry per group (the arrows share "Step"), one key per action
        # (``+`` and ``=`` both zoom in).
        entries: dict[object, tuple[list[str], str]] = {}
        actions: set[str] = set()
        for binding in bindings:
            if binding.action in actions:
                continue
            actions.add(binding.action)
            group = binding.group
            label = group.description if group else binding.description
            keys, _ = entries.setdefault(group or binding.action, ([], label))
            keys.append(self.app.get_key_display(binding))

        text = Text()
        for keys, label in entries.values():
            if text:
                text.append("  ")
            text.append("".join(keys), style="bold")
            text.append(f" {label}")
        return text
