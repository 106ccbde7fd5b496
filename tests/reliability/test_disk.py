"""A full disk and a read-only run folder: a clear message, nothing lost.

Each fault comes two ways: patched into the process (runs anywhere), and
for real on a tiny tmpfs or a read-only bind mount (needs root and mount
permission; skipped otherwise).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phaseviz.checkpoints import discover_run
from phaseviz.cli import app
from phaseviz.engine import ComputeOptions, ValueComputed, compute_run
from phaseviz.store import ResultStore, cache_path_for

from .cachefile import cache_file, differing, integrity, stored_rows
from .conftest import Tally
from .mounts import fill, read_only_view, tiny_tmpfs
from run_helpers import save_checkpoint

METRICS = "l2,entropy,effective_rank"
CHECKPOINTS = 8
runner = CliRunner()


def _make_run(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for step in range(CHECKPOINTS):
        save_checkpoint(folder, step)
    return folder


def _compute(run_dir: Path, *extra: str):
    return runner.invoke(
        app, ["compute", str(run_dir), "-m", METRICS, "--device", "cpu", *extra]
    )


def _reference(run_dir: Path) -> tuple[str, dict]:
    """The output of an uninterrupted run, and the rows it caches; cache removed."""
    done = _compute(run_dir)
    assert done.exit_code == 0, done.output
    rows = stored_rows(cache_file(run_dir))
    shutil.rmtree(run_dir / ".phaseviz")
    return done.stdout, rows


def _check_kept(run_dir: Path, reference: dict, tally: Tally) -> int:
    """The cache is intact and holds only right values; how many."""
    path = cache_file(run_dir)
    if not path.exists():
        return 0
    assert integrity(path) == "ok"
    rows = stored_rows(path)
    wrong = differing(rows, reference)
    tally.lost += len(wrong)
    assert not wrong
    return len(rows)


@pytest.mark.parametrize("fail_after", [0, 1, 3, 5])
def test_disk_full_on_write_keeps_every_stored_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally, fail_after: int
):
    run_dir = _make_run(tmp_path / "run")
    output, reference = _reference(run_dir)
    real_put = ResultStore.put
    puts = []

    def put_until_full(self, checkpoint, values):
        if len(puts) >= fail_after:
            raise sqlite3.OperationalError("database or disk is full")
        puts.append(checkpoint)
        real_put(self, checkpoint, values)

    monkeypatch.setattr(ResultStore, "put", put_until_full)
    full = _compute(run_dir)
    tally.faults += 1

    assert full.exit_code == 0, full.output
    assert full.stdout == output, "values computed after the failure were lost"
    assert "database or disk is full" in full.stderr
    assert str(cache_file(run_dir)) in full.stderr
    assert "values already stored are kept" in full.stderr
    per_checkpoint = len(METRICS.split(","))
    assert _check_kept(run_dir, reference, tally) == fail_after * per_checkpoint

    monkeypatch.undo()
    again = _compute(run_dir)
    assert again.stdout == output
    assert _check_kept(run_dir, reference, tally) == len(reference)


def _keep_only_first(run_dir: Path, count: int, reference: dict) -> dict:
    """Leave the cache holding the first ``count`` checkpoints only; their rows."""
    first = {str(p.resolve()) for p in sorted(run_dir.glob("*.pt"))[:count]}
    with sqlite3.connect(cache_file(run_dir)) as db:
        for name in {key[0] for key in reference} - first:
            db.execute("DELETE FROM value WHERE checkpoint=?", (name,))
    db.close()
    return {key: row for key, row in reference.items() if key[0] in first}


@pytest.mark.parametrize("leave_kb", [0, 48, 80])
def test_a_really_full_tmpfs_gives_a_message_and_loses_nothing(
    tmp_path: Path, tally: Tally, leave_kb: int
):
    with tiny_tmpfs(tmp_path / "small", 2048) as mounted:
        run_dir = _make_run(mounted / "run")
        output, reference = _reference(run_dir)
        _compute(run_dir)
        earlier = _keep_only_first(run_dir, CHECKPOINTS // 2, reference)

        filler = fill(mounted, leave_kb * 1024)
        full = _compute(run_dir)
        tally.faults += 1
        assert full.exit_code == 0, full.output
        assert full.stdout == output

        # SQLite cannot even open a WAL database on a full disk (its shared
        # memory file needs room), so look once there is space again.
        filler.unlink()
        kept = stored_rows(cache_file(run_dir))
        lost = len(set(earlier) - set(kept))
        tally.lost += lost
        assert lost == 0, "values stored before the disk filled are gone"
        if _check_kept(run_dir, reference, tally) < len(reference):
            assert "results cache" in full.stderr and str(run_dir) in full.stderr
            tally.note("full-disk runs that could not cache everything")

        again = _compute(run_dir)
        assert again.stdout == output
        assert _check_kept(run_dir, reference, tally) == len(reference)


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _all_cached(run_dir: Path) -> bool:
    run = discover_run(run_dir)
    options = ComputeOptions(device="cpu", per_layer=False)
    events = compute_run(run, METRICS, options)
    values = [e for e in events if isinstance(e, ValueComputed)]
    return len(values) == CHECKPOINTS * 3 and all(e.cached for e in values)


def test_read_only_run_folder_caches_in_the_user_folder(
    tmp_path: Path, tally: Tally, _isolated_user_folders: Path
):
    source = _make_run(tmp_path / "writable" / "run")
    output, _ = _reference(source)
    _compute(source)  # the run's own cache, which must stay untouched
    before = _tree_digest(source)

    with read_only_view(source, tmp_path / "read-only" / "run") as run_dir:
        computed = _compute(run_dir)
        tally.faults += 1
        assert computed.exit_code == 0, computed.output
        assert computed.stdout == output
        assert _all_cached(run_dir), "the second run did not use the user cache"
        cache = cache_path_for(run_dir)

    assert cache.is_relative_to(_isolated_user_folders / "cache")
    assert len(stored_rows(cache)) == CHECKPOINTS * 3
    assert _tree_digest(source) == before, "the read-only run folder changed"


def _refuse_writes_to_cache_folders(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a run folder the user may not write to looks like to phaseviz."""
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if Path(path).name == ".phaseviz" and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_unwritable_run_folder_falls_back_to_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally
):
    run_dir = _make_run(tmp_path / "run")
    output, _ = _reference(run_dir)
    _refuse_writes_to_cache_folders(monkeypatch)

    computed = _compute(run_dir)
    tally.faults += 1
    assert computed.exit_code == 0, computed.output
    assert computed.stdout == output
    assert not cache_file(run_dir).exists()
    assert _all_cached(run_dir)


def test_no_writable_cache_anywhere_computes_without_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally
):
    run_dir = _make_run(tmp_path / "run")
    output, _ = _reference(run_dir)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the user cache folder should be")
    monkeypatch.setenv("PHASEVIZ_CACHE_DIR", str(blocker / "cache"))
    _refuse_writes_to_cache_folders(monkeypatch)

    computed = _compute(run_dir)
    tally.faults += 1
    assert computed.exit_code == 0, computed.output
    assert computed.stdout == output
    assert "computing without it" in computed.stderr
    assert str(blocker) in computed.stderr


def test_a_damaged_cache_file_is_named_and_left_alone(tmp_path: Path, tally: Tally):
    run_dir = _make_run(tmp_path / "run")
    output, _ = _reference(run_dir)
    damaged = cache_file(run_dir)
    damaged.parent.mkdir()
    damaged.write_bytes(bytes(range(256)) * 20)
    before = damaged.read_bytes()

    computed = _compute(run_dir)
    tally.faults += 1
    assert computed.exit_code == 0, computed.output
    assert computed.stdout == output
    assert f"{damaged} is damaged" in computed.stderr
    assert "move it aside" in computed.stderr
    assert damaged.read_bytes() == before


def test_damaged_pages_inside_the_cache_never_stop_a_run(tmp_path: Path, tally: Tally):
    run_dir = _make_run(tmp_path / "run")
    for step in range(CHECKPOINTS, 40):
        save_checkpoint(run_dir, step)
    output, _ = _reference(run_dir)
    assert _compute(run_dir, "--per-layer").exit_code == 0
    damaged = cache_file(run_dir)
    pages = bytearray(damaged.read_bytes())
    for start in range(2 * 4096, len(pages), 4096):
        pages[start + 100 : start + 400] = bytes(300)
    damaged.write_bytes(bytes(pages))

    computed = _compute(run_dir)
    tally.faults += 1
    assert computed.exit_code == 0, computed.output
    # Rows may come in another order where a checkpoint's values are only
    # partly readable; every value must be there and right.
    assert sorted(computed.stdout.splitlines()) == sorted(output.splitlines())
    assert f"{damaged} is damaged" in computed.stderr
