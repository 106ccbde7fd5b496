"""Reading a run's results cache the way a second process would."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

# value, per-layer values as stored (JSON text), error
Row = tuple[float | None, str | None, str | None]


def cache_file(run_dir: Path) -> Path:
    return run_dir / ".phaseviz" / "cache.sqlite"


def integrity(path: Path) -> str:
    """SQLite's own verdict on the file: ``ok`` when it is intact."""
    with sqlite3.connect(path, timeout=30) as db:
        verdicts = db.execute("PRAGMA integrity_check").fetchall()
    db.close()
    return "; ".join(str(v[0]) for v in verdicts)


def stored_rows(path: Path) -> dict[tuple[str, int, int, str], Row]:
    """Every stored value, by (checkpoint, size, mtime, metric identity)."""
    if not path.exists():
        return {}
    with sqlite3.connect(path, timeout=30) as db:
        # A process killed while creating the file leaves it without the table.
        tables = db.execute("SELECT name FROM sqlite_master").fetchall()
        found = (
            db.execute(
                "SELECT checkpoint, size, mtime_ns, metric, value, layers, error "
                "FROM value"
            ).fetchall()
            if ("value",) in tables
            else []
        )
    db.close()
    return {
        (c, s, m, metric): (v, layers, err) for c, s, m, metric, v, layers, err in found
    }


def differing(
    stored: dict[tuple[str, int, int, str], Row],
    reference: dict[tuple[str, int, int, str], Row],
) -> list[str]:
    """The stored rows that an uninterrupted run would not have written."""
    wrong = []
    for key, row in stored.items():
        expected = reference.get(key)
        if expected is None or not _same(row, expected):
            wrong.append(f"{key}: stored {row}, uninterrupted {expected}")
    return wrong


def _same(one: Row, other: Row) -> bool:
    return _number(one[0]) == _number(other[0]) and one[1:] == other[1:]


def _number(value: float | None) -> object:
    # NaN is stored as NULL; compare NaN with NaN as equal.
    return "nan" if value is None or math.isnan(value) else value
