"""Custom metric files that fail to import, hang at import, or hang when called.

User code runs with a time limit (``PHASEVIZ_METRIC_TIMEOUT``), here half a
second. A metric that overruns it is NaN with a message naming the
function, the file, the checkpoint and the limit, and is not called again
in that run; the other metrics go on. The hanging code waits for a release
file, which each test creates at the end so no thread outlives it.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phaseviz.cli import app
from phaseviz.metrics import MetricFileError, load_custom_metrics
from phaseviz.metrics.custom import DEFAULT_TIMEOUT, time_limit

from .conftest import Tally
from run_helpers import save_checkpoint

LIMIT = 0.5
CHECKPOINTS = 4
runner = CliRunner()

HANGING_CALL = """
import os
import time


def hangs_of_model(model):
    with open({calls!r}, "a") as log:
        log.write("called\\n")
    while not os.path.exists({release!r}):
        time.sleep(0.02)
    return 1.0


def total_of_model(model):
    return float(sum(p.double().sum() for p in model.parameters()))
"""
HANGING_IMPORT = """
import os
import time

while not os.path.exists({release!r}):
    time.sleep(0.02)


def never_of_model(model):
    return 1.0
"""
FAILING_IMPORT = """
raise ValueError("this file is broken on purpose")


def never_of_model(model):
    return 1.0
"""


@pytest.fixture
def release(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "release"
    yield path
    path.touch()


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PHASEVIZ_METRIC_TIMEOUT", str(LIMIT))
    folder = tmp_path / "run"
    folder.mkdir()
    for step in range(CHECKPOINTS):
        save_checkpoint(folder, step)
    return folder


def _table(text: str) -> dict[tuple[str, str], float]:
    rows = csv.DictReader(io.StringIO(text))
    return {(r["checkpoint"], r["metric"]): float(r["value"]) for r in rows}


def test_a_metric_that_hangs_is_nan_named_and_not_called_again(
    run_dir: Path, tmp_path: Path, release: Path, tally: Tally
):
    calls = tmp_path / "calls"
    metric_file = tmp_path / "hanging metrics.py"
    metric_file.write_text(HANGING_CALL.format(calls=str(calls), release=str(release)))
    arguments = ["compute", str(run_dir), "-m", "l2", "--device", "cpu"]
    arguments += ["--metrics-file", str(metric_file)]

    start = time.monotonic()
    result = runner.invoke(app, arguments)
    seconds = time.monotonic() - start
    tally.faults += 1

    assert result.exit_code == 0, result.output
    assert calls.read_text().count("called") == 1
    assert seconds < LIMIT + 10, "the later checkpoints waited for the hung metric"
    values = _table(result.stdout)
    names = [f"step_{step}.pt" for step in range(CHECKPOINTS)]
    assert all(math.isnan(values[(name, "hangs")]) for name in names)
    assert all(math.isfinite(values[(name, "total")]) for name in names)
    assert all(math.isfinite(values[(name, "l2")]) for name in names)
    message = result.stderr
    for part in ("hangs_of_model", str(metric_file), "step_0.pt", f"{LIMIT:g} s"):
        assert part in message, part
    assert "PHASEVIZ_METRIC_TIMEOUT" in message

    # A timeout is not cached: once the code is quick, the values come.
    release.touch()
    again = runner.invoke(app, arguments)
    assert all(_table(again.stdout)[(name, "hangs")] == 1.0 for name in names)


def test_a_file_that_hangs_at_import_is_refused_naming_it(
    run_dir: Path, tmp_path: Path, release: Path, tally: Tally
):
    metric_file = tmp_path / "slow_import.py"
    metric_file.write_text(HANGING_IMPORT.format(release=str(release)))

    start = time.monotonic()
    with pytest.raises(MetricFileError) as raised:
        load_custom_metrics(metric_file)
    assert time.monotonic() - start < LIMIT + 5
    tally.faults += 1
    assert str(metric_file) in str(raised.value)
    assert f"{LIMIT:g} s" in str(raised.value)

    result = runner.invoke(
        app,
        [
            "compute",
            str(run_dir),
            "--device",
            "cpu",
            "--metrics-file",
            str(metric_file),
        ],
    )
    tally.faults += 1
    assert result.exit_code == 6
    assert str(metric_file) in result.stderr


def test_a_file_that_raises_at_import_is_refused_naming_it(
    run_dir: Path, tmp_path: Path, tally: Tally
):
    metric_file = tmp_path / "broken.py"
    metric_file.write_text(FAILING_IMPORT)
    for command in ("compute", "transitions", "export"):
        arguments = [command, str(run_dir), "-m", "l2", "--device", "cpu"]
        arguments += ["--metrics-file", str(metric_file)]
        if command == "export":
            arguments += ["--out", str(tmp_path / "report")]
        result = runner.invoke(app, arguments)
        tally.inputs += 1
        assert result.exit_code == 6, (command, result.output)
        assert str(metric_file) in result.stderr
        assert "broken on purpose" in result.stderr


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("", DEFAULT_TIMEOUT),
        ("2.5", 2.5),
        ("0", None),
        ("none", None),
        ("inf", None),
        ("-3", DEFAULT_TIMEOUT),
        ("soon", DEFAULT_TIMEOUT),
    ],
)
def test_the_time_limit_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    setting: str,
    expected: float | None,
):
    monkeypatch.setenv("PHASEVIZ_METRIC_TIMEOUT", setting)
    with caplog.at_level(logging.WARNING, logger="phaseviz"):
        limit = time_limit()
    assert limit == expected
    assert ("PHASEVIZ_METRIC_TIMEOUT" in caplog.text) == (setting in ("soon", "-3"))
