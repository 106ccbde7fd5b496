"""The temporary report page: shown, then deleted when it is closed.

``serve_report`` puts the page on a :class:`CleanupServer`, opens the
default browser where there is one and waits. The file is deleted when the
page is closed, Enter is pressed, the command ends, on Ctrl-C and on
SIGTERM. Over SSH, where no browser can open, the ``ssh -L`` command that
reaches the page is printed instead.
"""

from __future__ import annotations

import atexit
import getpass
import logging
import os
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from types import FrameType
from typing import Any, Literal

from phaseviz.report.cleanup import CleanupServer

logger = logging.getLogger(__name__)

ServeOutcome = Literal["closed", "enter", "timeout"]


def serve_report(
    html: str,
    *,
    open_browser: bool | None = None,
    wait_for_enter: bool = True,
    timeout: float | None = None,
    port: int = 0,
    echo: Callable[[str], None] | None = None,
) -> ServeOutcome:
    """Show ``html`` in a browser from a temporary page that cleans up after itself.

    Returns once the page is closed, Enter is pressed, or ``timeout``
    passes; the file is deleted then, and also on Ctrl-C, SIGTERM and at
    interpreter exit.

    Args:
        html: The page to show.
        open_browser: Open the default browser; None decides from the
            session (no browser over SSH or without a display).
        wait_for_enter: Also finish when a line is read from stdin.
        timeout: Give up after this many seconds; None waits for the page.
        port: The port on 127.0.0.1; 0 picks a free one.
        echo: Where the instructions for the user go; stderr by default.

    Returns:
        What ended the wait: ``closed``, ``enter`` or ``timeout``.
    """
    say = echo or _to_stderr
    server = CleanupServer(html, port=port)
    atexit.register(server.cleanup)
    previous = _catch_sigterm()
    try:
        server.start()
        wanted = has_browser() if open_browser is None else open_browser
        opened = wanted and _open(server.url)
        for line in _instructions(server, opened, wait_for_enter):
            say(line)
        return _wait(server, wait_for_enter, timeout)
    finally:
        server.cleanup()
        _restore_sigterm(previous)
        atexit.unregister(server.cleanup)


def has_browser() -> bool:
    """Whether this session can show a browser window to its user.

    Not over SSH, not on Linux without an X or Wayland display, and not
    where Python knows no browser.
    """
    env = os.environ
    if any(env.get(name) for name in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY")):
        return False
    on_desktop_os = sys.platform in ("darwin", "win32")
    if not on_desktop_os and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def ssh_tunnel_command(port: int) -> str:
    """The command that forwards ``port`` of this machine to the user's own."""
    return f"ssh -L {port}:127.0.0.1:{port} {getpass.getuser()}@{socket.gethostname()}"


def _open(url: str) -> bool:
    try:
        return webbrowser.open(url)
    except webbrowser.Error as error:
        logger.warning("could not open a browser: %s", error)
        return False


def _instructions(server: CleanupServer, opened: bool, enter: bool) -> list[str]:
    finish = "Close the page" + (", or press Enter here," if enter else "")
    if opened:
        return [
            f"Report open in your browser: {server.url}",
            f"{finish} to finish; {server.path} is deleted then.",
        ]
    return [
        "No browser here (SSH session or no display). From your own machine run:",
        f"  {ssh_tunnel_command(server.port)}",
        f"then open {server.url}",
        f"The page is served from {server.path}.",
        f"{finish} to finish; the file is deleted then.",
    ]


def _wait(
    server: CleanupServer, wait_for_enter: bool, timeout: float | None
) -> ServeOutcome:
    enter = threading.Event()
    if wait_for_enter:
        threading.Thread(
            target=_read_enter, args=(enter,), daemon=True, name="phaseviz-report-enter"
        ).start()

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if server.closed.wait(0.1):
            return "closed"
        if enter.is_set():
            return "enter"
        if deadline is not None and time.monotonic() >= deadline:
            return "timeout"


def _read_enter(enter: threading.Event) -> None:
    stream = sys.stdin
    if stream is None or stream.closed:
        return
    try:
        line = stream.readline()
    except (OSError, ValueError):
        return
    # An empty string is end of input, not Enter: keep waiting for the page.
    if line:
        enter.set()


def _catch_sigterm() -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _on_sigterm)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwinds the wait so that the finally block deletes the file.
    raise SystemExit(128 + signum)


def _to_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
