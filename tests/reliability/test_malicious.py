"""Checkpoints whose unpickling would run code: refused unless trusted.

Every payload, when loaded, creates a marker file. Each container format a
checkpoint can come in carries it; each command that reads checkpoints is
pointed at it. Without ``--trust-checkpoints`` the marker must never appear
and the message must name the flag; with it the marker appears, which shows
the payload is real.
"""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from phaseviz.cli import app

from .conftest import Tally
from run_helpers import save_checkpoint

runner = CliRunner()


class Payload:
    """Unpickling this writes ``marker``: a stand-in for an attack."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        code = f"open({str(self.marker)!r}, 'w').write('ran')"
        return (exec, (code,))


def _state() -> dict[str, torch.Tensor]:
    return {"fc.weight": torch.randn(3, 2, generator=torch.Generator().manual_seed(5))}


def _zip_pt(folder: Path, marker: Path) -> Path:
    path = folder / "step_50.pt"
    torch.save({"state_dict": _state(), "step": 50, "extra": Payload(marker)}, path)
    return path


def _legacy_pt(folder: Path, marker: Path) -> Path:
    path = folder / "step_50.pth"
    data = {"state_dict": _state(), "extra": Payload(marker)}
    torch.save(data, path, _use_new_zipfile_serialization=False)
    return path


def _lightning_ckpt(folder: Path, marker: Path) -> Path:
    path = folder / "epoch=1-step=50.ckpt"
    data = {
        "state_dict": {f"model.{k}": v for k, v in _state().items()},
        "pytorch-lightning_version": "2.4.0",
        "global_step": 50,
        "callbacks": {"Checkpoint": Payload(marker)},
    }
    torch.save(data, path)
    return path


def _plain_bin(folder: Path, marker: Path) -> Path:
    path = folder / "weights_50.bin"
    torch.save({**_state(), "meta": Payload(marker)}, path)
    return path


def _hugging_face_bin(folder: Path, marker: Path) -> Path:
    checkpoint = folder / "checkpoint-50"
    checkpoint.mkdir()
    torch.save({**_state(), "meta": Payload(marker)}, checkpoint / "pytorch_model.bin")
    return checkpoint


def _raw_pickle(folder: Path, marker: Path) -> Path:
    path = folder / "step_50.pt"
    path.write_bytes(pickle.dumps({"state_dict": _state(), "x": Payload(marker)}))
    return path


CONTAINERS: dict[str, Callable[[Path, Path], Path]] = {
    "zip .pt": _zip_pt,
    "legacy .pth": _legacy_pt,
    "lightning .ckpt": _lightning_ckpt,
    ".bin": _plain_bin,
    "checkpoint-N/pytorch_model.bin": _hugging_face_bin,
    "bare pickle .pt": _raw_pickle,
}


# Writing a whole report takes a second; two containers are enough for it
# beside a good checkpoint, every container is exported alone.
EXPORTED_BESIDE = ("zip .pt", "checkpoint-N/pytorch_model.bin")


def _commands(run_dir: Path, out: Path, export: bool) -> dict[str, list[str]]:
    compute = ["-m", "l2", "--device", "cpu", "--no-cache"]
    commands = {
        "inspect": ["inspect", str(run_dir)],
        "compute": ["compute", str(run_dir), *compute],
        "transitions": ["transitions", str(run_dir), *compute],
        "load-dir": ["load-dir", "--dir", str(run_dir)],
    }
    if export:
        commands["export"] = ["export", str(run_dir), *compute, "--out", str(out)]
    return commands


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("container", list(CONTAINERS))
def test_code_in_a_checkpoint_never_runs_without_trust(
    tmp_path: Path, tally: Tally, container: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "marker"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    save_checkpoint(run_dir, 0)
    evil = CONTAINERS[container](run_dir, marker)

    beside = _commands(run_dir, tmp_path / "report", container in EXPORTED_BESIDE)
    for command, arguments in beside.items():
        result = runner.invoke(app, arguments)
        tally.inputs += 1
        tally.lost += int(marker.exists())
        assert not marker.exists(), f"{command} ran the code in {evil.name}"
        assert result.exit_code == 0, (command, result.output)
        assert "--trust-checkpoints" in result.output, command
        assert evil.name in result.output, command

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.move(evil, alone / evil.name)
    for command, arguments in _commands(alone, tmp_path / "report", True).items():
        result = runner.invoke(app, arguments)
        tally.inputs += 1
        assert not marker.exists(), f"{command} ran the code in {evil.name}"
        assert result.exit_code == 3, (command, result.output)
        assert "--trust-checkpoints" in result.stderr, command

    # A bare pickle is no torch file, so even trusted it is then refused.
    runner.invoke(app, ["inspect", str(alone), "--trust-checkpoints"])
    assert marker.exists(), "the payload is harmless, so this test proves nothing"
    tally.note("payloads that ran once trusted")


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_torchscript_archives_are_refused_as_code(tmp_path: Path, tally: Tally):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    save_checkpoint(run_dir, 0)
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    torch.jit.save(scripted, str(run_dir / "step_9.pt"))

    result = runner.invoke(app, ["inspect", str(run_dir)])
    tally.inputs += 1
    assert result.exit_code == 0, result.output
    assert "TorchScript" in result.output
    assert "--trust-checkpoints" in result.output
