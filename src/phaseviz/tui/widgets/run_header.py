"""The top line: which runs, how many checkpoints, which steps, which device."""

from __future__ import annotations

from rich.text import Text

from phaseviz.tui.session import Session
from phaseviz.tui.widgets.caption import Caption


class RunHeader(Caption):
    """Run names, checkpoint count, step range, device and detector."""

    def update_from(self, session: Session, device: str) -> None:
        """Describe the session's runs as they are now."""
        names = ", ".join(session.labels)
        checkpoints = sum(len(run.checkpoints) for run in session.runs)
        first, last = session.timeline.full
        text = Text()
        text.append(" phaseviz ", style="bold reverse")
        text.append(f" {names}", style="bold")
        text.append(f" · {checkpoints} checkpoints · steps {first:,}–{last:,}")
        if session.timeline.zoomed:
            low, high = session.timeline.span
            text.append(f" (showing {low:,}–{high:,})", style="bold")
        if session.timeline.log:
            text.append(" · log step", style="bold")
        text.append(f" · {device} · detector {session.detector}")
        self.show(text)
