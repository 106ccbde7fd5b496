"""Every failure a user can meet: a message naming the file, a documented status.

Each command's help must carry the exit status table; each failure below
must end with the status the table gives for it, and its message must name
the file or folder concerned.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from phaseviz.cli import app
from phaseviz.cli.common import EXIT_CODES_HELP

from .conftest import Tally
from run_helpers import save_checkpoint

COMMANDS = ["inspect", "compute", "transitions", "export", "load-dir", "plot-metric"]
DOCUMENTED = {int(code) for code in re.findall(r"(\d+) [a-z]", EXIT_CODES_HELP)}
runner = CliRunner()

BROKEN_METRICS = "raise RuntimeError('this metric file is broken')\n"
MISFIT_MODEL = """
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.other = nn.Linear(9, 9)
"""


def _flat(text: str) -> str:
    """The text with Rich's box drawing and line wrapping taken out."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_documents_its_exit_statuses(command: str):
    shown = runner.invoke(app, [command, "--help"])
    assert shown.exit_code == 0
    assert _flat(EXIT_CODES_HELP) in _flat(shown.output)


class Place:
    """Folders and files that each failure points a command at."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.run = root / "run"
        self.run.mkdir()
        for step in (0, 10):
            save_checkpoint(self.run, step)
        self.missing = root / "no such run"
        self.file = root / "a file.txt"
        self.file.write_text("not a run")
        self.empty = root / "empty"
        self.empty.mkdir()
        self.unreadable = root / "damaged"
        self.unreadable.mkdir()
        self.damaged = self.unreadable / "step_5.pt"
        self.damaged.write_bytes(b"PK\x03\x04 cut short")
        self.metrics = root / "broken_metrics.py"
        self.metrics.write_text(BROKEN_METRICS)
        self.model = root / "misfit_model.py"
        self.model.write_text(MISFIT_MODEL)
        self.out_file = root / "report-is-a-file"
        self.out_file.write_text("in the way")


def _cases(p: Place) -> list[tuple[list[str], int, list[object]]]:
    """(arguments, status, what the message must name)."""
    cpu = ["--device", "cpu"]
    cases: list[tuple[list[str], int, list[object]]] = []
    for command in ("inspect", "compute", "transitions", "export"):
        extra = [] if command == "inspect" else cpu
        if command == "export":
            extra = [*extra, "--out", str(p.root / "report")]
        cases += [
            ([command, str(p.missing), *extra], 3, [p.missing]),
            ([command, str(p.file), *extra], 3, [p.file]),
            ([command, str(p.empty), *extra], 3, [p.empty]),
            ([command, str(p.unreadable), *extra], 3, [p.unreadable, p.damaged.name]),
        ]
        if command == "inspect":
            continue
        cases += [
            (
                [command, str(p.run), "-m", "efective_rank", *extra],
                2,
                ["effective_rank"],
            ),
            ([command, str(p.run), "--device", "abacus", *extra[2:]], 2, ["abacus"]),
            (
                [command, str(p.run), "--metrics-file", str(p.metrics), *extra],
                6,
                [p.metrics],
            ),
            (
                [command, str(p.run), "--metrics-file", str(p.missing), *extra],
                6,
                [p.missing],
            ),
            ([command, str(p.run), "--model", str(p.missing), *extra], 5, [p.missing]),
            ([command, str(p.run), "--model", str(p.model), *extra], 5, ["step_0.pt"]),
        ]
    for command in ("transitions", "export"):
        out = ["--out", str(p.root / "report")] if command == "export" else []
        cases.append(([command, str(p.run), "-d", "tarot", *cpu, *out], 2, ["tarot"]))
    cases += [
        (
            ["compute", str(p.run), "-m", "l2", *cpu, "-o", str(p.missing / "v.csv")],
            1,
            [p.missing / "v.csv"],
        ),
        (
            ["export", str(p.run), "-m", "l2", *cpu, "--out", str(p.out_file)],
            1,
            [p.out_file],
        ),
        (["load-dir", "--dir", str(p.missing)], 3, [p.missing]),
        (["load-dir", "--dir", str(p.file)], 3, [p.file]),
        (["load-dir", "--dir", str(p.unreadable)], 3, [p.damaged.name]),
        (["load-dir", "--dir", str(p.run), "--model", str(p.missing)], 5, [p.missing]),
        (["load-dir", "--dir", str(p.run), "--model", str(p.model)], 5, ["step_0.pt"]),
        (["plot-metric", *cpu, "-m", "l2", "--no-browser"], 2, ["load-dir"]),
    ]
    return cases


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Place:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Place(tmp_path)


def _check(arguments: list[str], status: int, named: list[object], tally: Tally):
    result = runner.invoke(app, arguments)
    tally.inputs += 1
    message = _flat(result.stderr)
    assert result.exit_code == status, (arguments, result.output)
    assert status in DOCUMENTED
    assert "Traceback" not in result.output, arguments
    for part in named:
        assert _flat(str(part)) in message, (arguments, part, message)


def test_each_failure_has_its_documented_status_and_names_the_file(
    place: Place, tally: Tally
):
    cases = _cases(place)
    for arguments, status, named in cases:
        _check(arguments, status, named, tally)
    tally.note("failure cases", len(cases))


def test_plot_metric_names_a_broken_or_stale_saved_run(place: Place, tally: Tally):
    state = Path.cwd() / ".phaseviz_state.json"
    state.write_text("{ not json")
    _check(["plot-metric", "-m", "l2", "--no-browser"], 2, [state], tally)

    loaded = runner.invoke(app, ["load-dir", "--dir", str(place.run)])
    assert loaded.exit_code == 0, loaded.output
    moved = place.root / "moved away"
    place.run.rename(moved)
    _check(["plot-metric", "-m", "l2", "--no-browser"], 3, [place.run], tally)

    moved.rename(place.run)
    _check(
        ["plot-metric", "-m", "l2", "-d", "tarot", "--no-browser"], 2, ["tarot"], tally
    )
    _check(
        ["plot-metric", "-m", "nope", "--no-browser", "--device", "cpu"],
        2,
        ["nope"],
        tally,
    )


def test_a_checkpoint_that_vanishes_after_discovery_is_status_4(
    place: Place, tally: Tally, monkeypatch: pytest.MonkeyPatch
):
    from phaseviz import checkpoints

    real = checkpoints.discover_run

    def discover_then_lose(path, **kwargs):
        run = real(path, **kwargs)
        run.checkpoints[0].path.unlink()
        return run

    model = place.root / "fitting_model.py"
    model.write_text(MISFIT_MODEL)
    monkeypatch.setattr(checkpoints, "discover_run", discover_then_lose)
    first = place.run / "step_0.pt"
    _check(
        ["load-dir", "--dir", str(place.run), "--model", str(model)], 4, [first], tally
    )


@pytest.mark.parametrize("command", ["inspect", "compute", "transitions", "export"])
def test_ctrl_c_ends_with_status_130(
    place: Place, tally: Tally, monkeypatch: pytest.MonkeyPatch, command: str
):
    from phaseviz import checkpoints

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoints, "discover_run", interrupted)
    arguments = [command, str(place.run)]
    if command != "inspect":
        arguments += ["--device", "cpu"]
    if command == "export":
        arguments += ["--out", str(place.root / "report")]
    result = runner.invoke(app, arguments)
    tally.inputs += 1
    assert result.exit_code == 130, result.output
    assert 130 in DOCUMENTED
    assert "interrupted" in result.stderr
