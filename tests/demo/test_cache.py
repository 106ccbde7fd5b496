from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
import torch
from demo_configs import TINY

from phaseviz.demo import (
    MARKER,
    DemoFolderError,
    default_run_dir,
    ensure_demo_run,
    is_complete,
    train_grokking_run,
)


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("step_*.pt"))}


def age(folder: Path) -> None:
    """Date every file back a day, so a rewrite shows in its mtime."""
    for path in folder.iterdir():
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - 86_400 * 10**9))


def test_complete_run_is_reused_without_training(tiny_run: Path):
    age(tiny_run)
    before = mtimes(tiny_run)

    run = ensure_demo_run(TINY, tiny_run)

    assert run.reused
    assert mtimes(tiny_run) == before


def test_run_without_marker_is_trained_again(tiny_run: Path):
    # A run killed mid-training: some checkpoints written, no demo.json.
    (tiny_run / MARKER).unlink()
    (tiny_run / "step_000040.pt").unlink()
    (tiny_run / "step_000040.pt.tmp").write_bytes(b"half a checkpoint")
    age(tiny_run)
    before = mtimes(tiny_run)
    assert not is_complete(tiny_run, TINY)

    run = ensure_demo_run(TINY, tiny_run)

    assert not run.reused
    assert is_complete(tiny_run, TINY)
    after = mtimes(tiny_run)
    assert list(after) == [
        "step_000000.pt",
        "step_000010.pt",
        "step_000020.pt",
        "step_000040.pt",
    ]
    assert all(after[name] != before[name] for name in before)
    assert not list(tiny_run.glob("*.tmp"))


def test_missing_checkpoint_makes_a_run_incomplete(tiny_run: Path):
    (tiny_run / "step_000020.pt").unlink()

    assert not is_complete(tiny_run, TINY)


def test_run_of_another_config_is_trained_again(tiny_run: Path):
    other = dataclasses.replace(TINY, seed=1)

    run = ensure_demo_run(other, tiny_run)

    assert not run.reused
    marker = json.loads((tiny_run / MARKER).read_text())
    assert marker["config"]["seed"] == 1
    assert not is_complete(tiny_run, TINY)


def test_retrain_trains_a_complete_run_again(tiny_run: Path):
    age(tiny_run)
    before = mtimes(tiny_run)

    run = ensure_demo_run(TINY, tiny_run, retrain=True)

    assert not run.reused
    assert all(mtimes(tiny_run)[name] != before[name] for name in before)


def test_training_stopped_midway_leaves_no_marker(tmp_path: Path):
    def stop_after_two(scores) -> None:
        if scores.step > 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_grokking_run(
            tmp_path,
            steps=TINY.steps,
            checkpoints=TINY.checkpoints,
            recipe=TINY.recipe,
            on_checkpoint=stop_after_two,
        )

    assert not (tmp_path / MARKER).exists()
    assert not is_complete(tmp_path, TINY)


def test_folder_holding_other_files_is_refused_and_left_alone(tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")

    with pytest.raises(DemoFolderError, match="notes.txt"):
        ensure_demo_run(TINY, tmp_path)

    assert notes.read_text() == "mine"
    assert not list(tmp_path.glob("step_*.pt"))


def test_same_seed_trains_the_same_weights(tmp_path: Path):
    first = ensure_demo_run(TINY, tmp_path / "a").path
    second = ensure_demo_run(TINY, tmp_path / "b").path

    for name in ("step_000000.pt", "step_000040.pt"):
        a = torch.load(first / name, weights_only=True)["model_state_dict"]
        b = torch.load(second / name, weights_only=True)["model_state_dict"]
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_run_lives_in_the_phaseviz_cache_folder(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PHASEVIZ_CACHE_DIR", str(tmp_path / "mine"))
    assert default_run_dir() == tmp_path / "mine" / "demo-run"

    monkeypatch.delenv("PHASEVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_run_dir() == tmp_path / "xdg" / "phaseviz" / "demo-run"


def test_default_folder_is_used_without_one(tmp_path: Path):
    run = ensure_demo_run(TINY)

    assert run.path == default_run_dir()
    assert is_complete(default_run_dir(), TINY)
