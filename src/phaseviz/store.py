"""The results cache: computed values kept in SQLite beside the run.

A value is keyed by its checkpoint's identity (path, size, modification
time) and its metric's identity (key plus a version, or a custom metric's
source hash). Each checkpoint's values are written in one transaction, so
a run killed at any moment leaves only whole checkpoints behind and the
next run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CACHE_FOLDER = ".phaseviz"
CACHE_FILE = "cache.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS value (
    checkpoint TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value REAL,
    layers TEXT,
    error TEXT,
    PRIMARY KEY (checkpoint, size, mtime_ns, metric)
)
"""

CheckpointIdentity = tuple[str, int, int]


@dataclass(frozen=True)
class StoredValue:
    """A value read back from the cache.

    Attributes:
        value: The metric's value (NaN is kept as NaN).
        layers: Per-layer values, or None when they were not stored.
        error: Why the metric failed at this checkpoint, if it did.
    """

    value: float
    layers: dict[str, float] | None
    error: str | None = None


def user_cache_dir() -> Path:
    """The per-user cache folder: ``$PHASEVIZ_CACHE_DIR`` or the XDG one."""
    if os.environ.get("PHASEVIZ_CACHE_DIR"):
        return Path(os.environ["PHASEVIZ_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "phaseviz"


def cache_path_for(run_path: Path) -> Path:
    """Where the cache of a run lives.

    Inside the run folder when it is writable, so the cache travels with
    the run; otherwise in the user cache folder, named by the run's path.
    """
    local = run_path / CACHE_FOLDER
    try:
        local.mkdir(exist_ok=True)
        if os.access(local, os.W_OK):
            return local / CACHE_FILE
    except OSError:
        pass
    digest = hashlib.sha256(str(run_path.resolve()).encode()).hexdigest()[:16]
    elsewhere = user_cache_dir() / "runs" / f"{run_path.name}-{digest}" / CACHE_FILE
    logger.info(
        "run %s: its folder is not writable; results cache in %s", run_path, elsewhere
    )
    return elsewhere


class ResultStore:
    """A results cache in one SQLite file, shared safely between processes.

    Args:
        path: The SQLite file; its folder is created when missing.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False)

        # WAL lets a reader (the terminal app) and a writer (a compute in
        # another shell) work at once; a transaction is all-or-nothing even
        # when the process is killed mid-write.
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._db:
                self._db.execute(SCHEMA)
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise _named(path, error) from error

    @classmethod
    def for_run(cls, run_path: Path) -> ResultStore:
        """Open the cache of the run in ``run_path``."""
        return cls(cache_path_for(run_path))

    def get(
        self, checkpoint: CheckpointIdentity, metrics: Sequence[str]
    ) -> dict[str, StoredValue]:
        """The cached values of ``metrics`` (identities) at one checkpoint.

        A damaged file answers nothing, with a warning: the values are then
        computed again rather than the run stopped.
        """
        if not metrics:
            return {}
        marks = ",".join("?" * len(metrics))
        query = (
            "SELECT metric, value, layers, error FROM value WHERE checkpoint=?"
            " AND size=?"
            f" AND mtime_ns=? AND metric IN ({marks})"
        )
        try:
            with self._lock:
                rows = self._db.execute(query, (*checkpoint, *metrics)).fetchall()
        except sqlite3.DatabaseError as error:
            logger.warning("checkpoint %s: %s", checkpoint[0], _named(self.path, error))
            return {}
        return {row[0]: _stored(*row[1:]) for row in rows}

    def put(
        self,
        checkpoint: CheckpointIdentity,
        values: Iterable[tuple[str, float, dict[str, float] | None, str | None]],
    ) -> None:
        """Store every value of one checkpoint in a single transaction.

        Args:
            checkpoint: The checkpoint's identity.
            values: (metric identity, value, per-layer values or None, the
                error message where the metric failed or None).

        Raises:
            sqlite3.OperationalError: The disk is full or the file is not
                writable; nothing of this checkpoint is stored then.
            sqlite3.DatabaseError: The file is damaged.
        """
        rows = [
            (*checkpoint, metric, _real(value), _encode(layers), error)
            for metric, value, layers, error in values
        ]
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO value VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.DatabaseError as error:
            raise _named(self.path, error) from error

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _named(path: Path, error: sqlite3.DatabaseError) -> sqlite3.DatabaseError:
    """The error, saying what to do where the file itself is damaged.

    SQLite raises the base class only for a file that is not a database or
    whose pages are corrupt; a full disk or a lock is a subclass.
    """
    if type(error) is not sqlite3.DatabaseError:
        return error
    return sqlite3.DatabaseError(
        f"{path} is damaged ({error}); move it aside and phaseviz starts a new "
        "cache there"
    )


def _real(value: float) -> float | None:
    # SQLite stores NaN as NULL; NULL is read back as NaN.
    return None if math.isnan(value) else value


def _encode(layers: dict[str, float] | None) -> str | None:
    return None if layers is None else json.dumps(layers)


def _stored(value: float | None, layers: str | None, error: str | None) -> StoredValue:
    decoded = None if layers is None else json.loads(layers)
    return StoredValue(math.nan if value is None else float(value), decoded, error)
