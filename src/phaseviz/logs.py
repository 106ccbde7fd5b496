"""The phaseviz log file: ``logs/phase-viz.log``, rotated by line count.

Several phaseviz processes may write one log at once (a terminal app and a
``compute`` in another shell), so every write takes an exclusive lock on a
lock file beside the log, and rotation happens under the same lock.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

LOG_NAME = "phase-viz.log"
MAX_LINES = 10_000
KEEP_FILES = 20
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def log_dir() -> Path:
    """The log folder: ``$PHASEVIZ_LOG_DIR``, else ``logs/`` in the cwd."""
    return Path(os.environ.get("PHASEVIZ_LOG_DIR") or Path.cwd() / "logs")


class LineRotatingFileHandler(logging.Handler):
    """Appends records to a file and rotates it after ``max_lines`` lines.

    The current file is renamed to ``.1``, an older ``.1`` to ``.2`` and so
    on; the ``keep`` newest earlier files are kept. Safe across processes.

    Args:
        path: The log file.
        max_lines: Lines after which the file is rotated.
        keep: How many earlier files to keep.
    """

    def __init__(self, path: Path, max_lines: int = MAX_LINES, keep: int = KEEP_FILES):
        super().__init__()
        self.path = path
        self.max_lines = max_lines
        self.keep = keep
        self._lock_path = path.with_name(path.name + ".lock")
        self._known: tuple[int, int, int] | None = None  # inode, size, lines

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        """Drop a record that cannot be written.

        The default prints a traceback to stderr, which would draw over the
        terminal app; a log that cannot be written must never stop the work.
        """

    def emit(self, record: logging.LogRecord) -> None:
        """Write one record under the cross-process lock."""
        try:
            text = self.format(record) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self._lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._write(text)
        except Exception:
            self.handleError(record)

    def _write(self, text: str) -> None:
        lines = self._current_lines()
        if lines >= self.max_lines:
            self._rotate()
            lines = 0

        with open(self.path, "a", encoding="utf-8") as log:
            log.write(text)
        stat = self.path.stat()
        self._known = (stat.st_ino, stat.st_size, lines + text.count("\n"))

    def _current_lines(self) -> int:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return 0

        # Another process may have written or rotated since our last write;
        # only then is the file read again to count its lines.
        if self._known and self._known[:2] == (stat.st_ino, stat.st_size):
            return self._known[2]
        with open(self.path, "rb") as log:
            chunks = iter(lambda: log.read(1 << 16), b"")
            return sum(chunk.count(b"\n") for chunk in chunks)

    def _rotate(self) -> None:
        oldest = self.path.with_name(f"{self.path.name}.{self.keep}")
        oldest.unlink(missing_ok=True)
        for number in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                older.rename(self.path.with_name(f"{self.path.name}.{number + 1}"))
        self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        self._known = None


def _writable_log_dir() -> Path:
    """The log folder, or a user cache folder when it cannot be created."""
    wanted = log_dir()
    try:
        wanted.mkdir(parents=True, exist_ok=True)
        if os.access(wanted, os.W_OK):
            return wanted
    except OSError:
        pass
    fallback = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    fallback = fallback / "phaseviz" / "logs"
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def setup_logging(level: int = logging.INFO, console: bool = False) -> Path:
    """Send phaseviz's log records to the log file, once per process.

    Args:
        level: The lowest level written to the file.
        console: Also show warnings on stderr. Off while the terminal app
            runs, so nothing is printed behind it.

    Returns:
        The log file's path.
    """
    path = _writable_log_dir() / LOG_NAME
    logger = logging.getLogger("phaseviz")
    logger.setLevel(logging.DEBUG if os.environ.get("PHASEVIZ_DEBUG") else level)
    logger.propagate = False

    for handler in list(logger.handlers):
        if getattr(handler, "_phaseviz", False):
            logger.removeHandler(handler)

    file_handler = LineRotatingFileHandler(path)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler._phaseviz = True  # type: ignore[attr-defined]
    logger.addHandler(file_handler)

    if console:
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        stderr.setFormatter(logging.Formatter("phaseviz: %(levelname)s: %(message)s"))
        stderr._phaseviz = True  # type: ignore[attr-defined]
        logger.addHandler(stderr)
    return path
