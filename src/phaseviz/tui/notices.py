"""Notifications, each said once: a failing metric must not flood the screen."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel


class Notices:
    """Shows the app's notifications; :meth:`once` drops repeats by key.

    Args:
        app: The app whose notifications these are.
    """

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._said: set[Hashable] = set()

    def tell(
        self,
        text: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """Show a notification; its text is shown as written, never as markup."""
        if timeout is None:
            timeout = 12 if severity == "error" else 6
        self._app.notify(
            text, title=title, severity=severity, timeout=timeout, markup=False
        )

    def once(
        self, key: Hashable, text: str, severity: SeverityLevel = "information"
    ) -> None:
        """Show ``text`` unless a notification with ``key`` was shown before."""
        if key in self._said:
            return
        self._said.add(key)
        self.tell(text, severity=severity)
