from __future__ import annotations

import math
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from phaseviz.store import ResultStore, cache_path_for

CHECKPOINT = ("/runs/a/step_1.pt", 100, 123456789)


def test_values_layers_nan_and_errors_round_trip(tmp_path: Path):
    store = ResultStore(tmp_path / "cache.sqlite")
    store.put(
        CHECKPOINT,
        [
            ("l2@v1", 3.5, {"fc.weight": 1.25, "fc.bias": math.inf}, None),
            ("mean@v1", math.nan, None, None),
            ("custom:x@abc", math.nan, None, "x_of_model raised"),
        ],
    )

    got = store.get(CHECKPOINT, ["l2@v1", "mean@v1", "custom:x@abc", "missing@v1"])

    assert got["l2@v1"].value == 3.5
    assert got["l2@v1"].layers == {"fc.weight": 1.25, "fc.bias": math.inf}
    assert math.isnan(got["mean@v1"].value) and got["mean@v1"].layers is None
    assert got["custom:x@abc"].error == "x_of_model raised"
    assert "missing@v1" not in got


def test_a_changed_file_identity_misses(tmp_path: Path):
    store = ResultStore(tmp_path / "cache.sqlite")
    store.put(CHECKPOINT, [("l2@v1", 1.0, None, None)])
    touched = (CHECKPOINT[0], CHECKPOINT[1], CHECKPOINT[2] + 1)
    assert store.get(touched, ["l2@v1"]) == {}


def _writer(path: str, worker: int) -> None:
    store = ResultStore(Path(path))
    for n in range(50):
        checkpoint = (f"/run/{n}.pt", n, worker)
        store.put(
            checkpoint, [(f"m{k}@v1", float(n * k), None, None) for k in range(5)]
        )
    store.close()


def test_two_processes_writing_at_once_corrupt_nothing(tmp_path: Path):
    path = tmp_path / "cache.sqlite"
    ResultStore(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w)) for w in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0

    store = ResultStore(path)
    for w in (1, 2):
        for n in range(50):
            got = store.get((f"/run/{n}.pt", n, w), [f"m{k}@v1" for k in range(5)])
            assert [got[f"m{k}@v1"].value for k in range(5)] == [
                n * k for k in range(5)
            ]


def test_cache_lives_in_the_run_folder(tmp_path: Path):
    assert cache_path_for(tmp_path) == tmp_path / ".phaseviz" / "cache.sqlite"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only folders")
def test_read_only_run_folder_uses_the_user_cache(tmp_path: Path, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    run.chmod(stat.S_IRUSR | stat.S_IXUSR)
    monkeypatch.setenv("PHASEVIZ_CACHE_DIR", str(tmp_path / "user"))
    try:
        assert cache_path_for(run).is_relative_to(tmp_path / "user")
    finally:
        run.chmod(stat.S_IRWXU)
