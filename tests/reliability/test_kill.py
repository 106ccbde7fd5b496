"""``phaseviz compute`` killed with SIGKILL at random moments, and run twice at once.

After every kill the cache must open, pass SQLite's integrity check and hold
only values an uninterrupted run writes; a rerun must then finish with the
very output of an uninterrupted run. Kill moments are drawn from a seeded
generator, between the moment the process opens the cache and about when
an uninterrupted run would have finished.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phaseviz.cli import app

from .cachefile import cache_file, differing, integrity, stored_rows
from .conftest import Tally
from run_helpers import save_checkpoint

CHECKPOINTS = 12
METRICS = "l2,entropy,effective_rank,kurtosis"
# A custom metric that takes a moment, so a run is long enough to be killed
# in the middle, between many small transactions.
SLOW = """
import time


def slow_total_of_model(model):
    time.sleep(0.05)
    return float(sum(p.double().sum() for p in model.parameters()))
"""
SEED = 20240611
runner = CliRunner()


def _arguments(run_dir: Path, metric_file: Path) -> list[str]:
    return [
        "compute",
        str(run_dir),
        "-m",
        METRICS,
        "--metrics-file",
        str(metric_file),
        "--per-layer",
        "--device",
        "cpu",
    ]


def _command(run_dir: Path, metric_file: Path) -> list[str]:
    return [sys.executable, "-m", "phaseviz", *_arguments(run_dir, metric_file)]


class Reference:
    """What an uninterrupted run gives: its output, cached rows and duration."""

    def __init__(self, run_dir: Path, metric_file: Path) -> None:
        self.run_dir = run_dir
        self.metric_file = metric_file
        arguments = _arguments(run_dir, metric_file)

        fresh = runner.invoke(app, [*arguments, "--no-cache"])
        assert fresh.exit_code == 0, fresh.output
        self.output = fresh.stdout

        start = time.monotonic()
        cached = runner.invoke(app, arguments)
        self.seconds = time.monotonic() - start
        assert cached.exit_code == 0, cached.output
        assert cached.stdout == self.output
        self.rows = stored_rows(cache_file(run_dir))
        assert len(self.rows) == CHECKPOINTS * (len(METRICS.split(",")) + 1)
        reset_cache(run_dir)

    def check_cache(self, tally: Tally) -> int:
        """Check the cache as the last kill left it; the values it holds."""
        path = cache_file(self.run_dir)
        if not path.exists():
            return 0
        assert integrity(path) == "ok"
        rows = stored_rows(path)
        wrong = differing(rows, self.rows)
        tally.lost += len(wrong)
        assert not wrong, wrong[:3]
        return len(rows)


def reset_cache(run_dir: Path) -> None:
    shutil.rmtree(run_dir / ".phaseviz", ignore_errors=True)


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> list[Reference]:
    """Two copies of one run, so one compute can start while another runs."""
    found = []
    for lane in ("a", "b"):
        folder = tmp_path_factory.mktemp(f"lane-{lane}")
        run_dir = folder / "run"
        run_dir.mkdir()
        for step in range(CHECKPOINTS):
            save_checkpoint(run_dir, step * 10)
        metric_file = folder / "slow_metrics.py"
        metric_file.write_text(SLOW)
        found.append(Reference(run_dir, metric_file))
    return found


def _environment() -> dict[str, str]:
    # One thread keeps the children from fighting the tests for two cores.
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


class Lane:
    """One copy of the run, and the compute started on it, if any.

    A process is started on one lane while the other lane's is computing,
    so that starting Python and torch (seconds) overlaps the work; each
    lane's cache only ever sees one process at a time.
    """

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            _command(self.reference.run_dir, self.reference.metric_file),
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_at_random(self, rng: random.Random) -> bool:
        """Kill the compute at a random moment; whether it was still running."""
        assert self.process is not None
        process, self.process = self.process, None
        try:
            _wait_until_cache_open(process, cache_file(self.reference.run_dir))
            time.sleep(rng.uniform(0, 0.9 * self.reference.seconds))
            running = process.poll() is None
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=30)
        return running

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


def _wait_until_cache_open(process: subprocess.Popen[bytes], path: Path) -> None:
    """Wait until ``process`` holds the cache open (or has ended)."""
    deadline = time.monotonic() + 120
    descriptors = Path(f"/proc/{process.pid}/fd")
    while process.poll() is None:
        assert time.monotonic() < deadline, "compute never opened its cache"
        if descriptors.exists():
            if _holds(descriptors, path):
                return
        elif path.exists():
            return
        time.sleep(0.005)


def _holds(descriptors: Path, path: Path) -> bool:
    wanted = str(path)
    try:
        return any(os.readlink(fd) == wanted for fd in descriptors.iterdir())
    except OSError:
        return False


@pytest.mark.parametrize(
    "kills",
    [pytest.param(5, id="fast"), pytest.param(50, id="soak", marks=pytest.mark.soak)],
)
def test_sigkill_at_random_moments_never_loses_or_corrupts_a_value(
    references: list[Reference], tally: Tally, kills: int
):
    rng = random.Random(SEED + kills)
    lanes = [Lane(reference) for reference in references]
    for lane in lanes:
        reset_cache(lane.reference.run_dir)
        lane.start()
    landed = attempts = 0
    try:
        while landed < kills:
            for lane in lanes:
                if lane.process is None:
                    continue
                attempts += 1
                assert attempts <= 3 * kills, "compute kept finishing before the kill"
                landed += _kill_and_check(lane, rng, tally)
                if landed + sum(other.process is not None for other in lanes) < kills:
                    lane.start()
    finally:
        for lane in lanes:
            lane.stop()
    tally.note("kills that landed mid-run", landed)

    for reference in references:
        arguments = _arguments(reference.run_dir, reference.metric_file)
        rerun = runner.invoke(app, arguments)
        assert rerun.exit_code == 0, rerun.output
        rows = stored_rows(cache_file(reference.run_dir))
        missing = len(reference.rows) - len(rows)
        tally.lost += int(rerun.stdout != reference.output) + missing
        assert rerun.stdout == reference.output
        assert missing == 0 and not differing(rows, reference.rows)


def _kill_and_check(lane: Lane, rng: random.Random, tally: Tally) -> int:
    """Kill the lane's compute and check its cache; 1 if the kill landed."""
    reference = lane.reference
    if not lane.kill_at_random(rng):
        tally.note("runs that finished before their kill")
        reset_cache(reference.run_dir)
        return 0

    tally.faults += 1
    stored = reference.check_cache(tally)
    tally.note("values found intact after kills", stored)
    # Keep later kills landing mid-run: start over once most is stored.
    if stored > 0.7 * len(reference.rows):
        tally.note("cache resets between kills")
        reset_cache(reference.run_dir)
    return 1


def test_two_computes_on_one_run_at_once_both_finish_identically(
    references: list[Reference], tally: Tally
):
    reference = references[0]
    reset_cache(reference.run_dir)
    command = _command(reference.run_dir, reference.metric_file)
    processes = [
        subprocess.Popen(
            command,
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=180) for process in processes]
    tally.faults += 1
    tally.note("concurrent computes", 2)

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stderr
        tally.lost += int(stdout != reference.output)
        assert stdout == reference.output
    assert reference.check_cache(tally) == len(reference.rows)
