from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phaseviz.cli import app

from run_helpers import save_checkpoint

runner = CliRunner()


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    for step in (0, 5, 10):
        save_checkpoint(folder, step)
    return folder


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_compute_prints_long_form_csv_in_step_order(run_dir: Path):
    result = runner.invoke(
        app, ["compute", str(run_dir), "--metrics", "l2,mean", "--device", "cpu"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "run,checkpoint,step,metric,value"
    table = rows(result.stdout)
    assert [(r["step"], r["metric"]) for r in table] == [
        ("0", "l2"),
        ("0", "mean"),
        ("5", "l2"),
        ("5", "mean"),
        ("10", "l2"),
        ("10", "mean"),
    ]
    assert all(r["run"] == "run" for r in table)


def test_per_layer_adds_a_layer_column(run_dir: Path):
    result = runner.invoke(
        app,
        ["compute", str(run_dir), "-m", "spectral", "--device", "cpu", "--per-layer"],
    )
    table = rows(result.stdout)
    assert result.stdout.splitlines()[0] == "run,checkpoint,step,metric,value,layer"
    layers = {r["layer"] for r in table if r["layer"]}
    assert layers == {"fc1.weight", "fc2.weight"}


def test_out_json_writes_json(run_dir: Path, tmp_path: Path):
    out = tmp_path / "values.json"
    result = runner.invoke(
        app, ["compute", str(run_dir), "-m", "l2", "--device", "cpu", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert [r["step"] for r in records] == [0, 5, 10]
    assert {"run", "checkpoint", "step", "metric", "value"} <= set(records[0])


def test_unknown_metric_exits_2_naming_the_closest_keys(run_dir: Path):
    result = runner.invoke(
        app, ["compute", str(run_dir), "-m", "efective_rank", "--device", "cpu"]
    )
    assert result.exit_code == 2
    assert "effective_rank" in result.stderr


def test_missing_run_folder_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["compute", str(tmp_path / "nope"), "--device", "cpu"])
    assert result.exit_code == 3
    assert "nope" in result.stderr


def test_metrics_json_lists_every_builtin_key():
    result = runner.invoke(app, ["metrics", "--json"])
    keys = {m["key"] for m in json.loads(result.stdout)}
    assert {"l2", "entropy", "effective_rank", "stable_rank", "cosine_to_final"} <= keys


SLOW = """
import time

def slow_of_model(model):
    time.sleep(0.4)
    return 1.0
"""


def _cached_checkpoints(run_dir: Path) -> int:
    path = run_dir / ".phaseviz" / "cache.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return db.execute(
                "SELECT COUNT(DISTINCT checkpoint) FROM value"
            ).fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_kill_9_leaves_a_consistent_cache_and_the_rerun_resumes(tmp_path: Path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    for step in range(8):
        save_checkpoint(run_dir, step)
    metric_file = tmp_path / "slow.py"
    metric_file.write_text(SLOW)
    command = [
        sys.executable,
        "-m",
        "phaseviz",
        "compute",
        str(run_dir),
        "-m",
        "l2,entropy",
        "--metrics-file",
        str(metric_file),
        "--device",
        "cpu",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while _cached_checkpoints(run_dir) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    stored = _cached_checkpoints(run_dir)
    assert 2 <= stored < 8

    resumed = subprocess.run(
        command, env=env, capture_output=True, text=True, check=True
    )
    fresh = subprocess.run(
        [*command, "--no-cache"], env=env, capture_output=True, text=True, check=True
    )
    assert resumed.stdout == fresh.stdout
    assert len(rows(resumed.stdout)) == 8 * 3
