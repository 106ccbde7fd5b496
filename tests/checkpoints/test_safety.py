"""Checkpoints are never allowed to run code unless the user trusts them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from phaseviz.checkpoints import (
    Checkpoint,
    CheckpointError,
    UnsafeCheckpointError,
    load_checkpoint,
    load_state_dict,
)
from phaseviz.checkpoints.safety import torch_load


class WholeModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 2)


def _checkpoint(path, fmt="torch"):
    """A checkpoint record as discovery would make it, for a file it skipped."""
    stat = path.stat()
    return Checkpoint(
        path, path.name, fmt, (path,), 0, "order", stat.st_size, stat.st_mtime_ns
    )


@pytest.mark.parametrize(
    ("name", "fmt", "legacy"),
    [
        ("step_1.pt", "torch", False),
        ("epoch=0-step=1.ckpt", "lightning", False),
        ("pytorch_model.bin", "torch-bin", False),
        ("model.bin", "torch-bin", True),
    ],
)
def test_malicious_pickle_is_refused_and_does_not_run(
    ckpt_writer, tmp_path, name, fmt, legacy
):
    marker = tmp_path / "pwned"
    path = ckpt_writer.malicious(name, marker, legacy=legacy)

    with pytest.raises(UnsafeCheckpointError) as raised:
        load_state_dict(_checkpoint(path, fmt))

    assert not marker.exists()
    message = str(raised.value)
    assert name in message and "--trust-checkpoints" in message
    assert "posix.system" in message or "os.system" in message
    assert raised.value.exit_code == 4


def test_bare_pickle_is_refused_and_names_its_global(ckpt_writer, tmp_path):
    marker = tmp_path / "pwned"
    path = ckpt_writer.malicious_pickle("weights.bin", marker)

    with pytest.raises(UnsafeCheckpointError, match="--trust-checkpoints") as raised:
        load_checkpoint(_checkpoint(path, "torch-bin"))

    assert not marker.exists()
    assert "posix.system" in str(raised.value)


def test_trusted_load_runs_what_the_file_holds(ckpt_writer, tmp_path):
    """The payload above is real: with trust, unpickling runs it."""
    marker = tmp_path / "pwned"
    path = ckpt_writer.malicious("step_1.pt", marker)

    torch_load(path, trust=True)

    assert marker.exists()


def test_pickled_whole_model_needs_trust(ckpt_writer):
    model = WholeModel()
    path = ckpt_writer.torch("step_1.pt", model)

    with pytest.raises(UnsafeCheckpointError, match="WholeModel"):
        load_state_dict(_checkpoint(path))

    trusted = load_state_dict(_checkpoint(path), trust=True)
    assert torch.equal(trusted["fc.weight"], model.fc.weight)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_torchscript_archive_needs_trust(ckpt_writer):
    path = ckpt_writer.root / "step_1.pt"
    torch.jit.script(WholeModel()).save(str(path))

    with pytest.raises(UnsafeCheckpointError, match="TorchScript"):
        load_state_dict(_checkpoint(path))


def test_damaged_file_is_a_checkpoint_error_not_an_unsafe_one(ckpt_writer):
    path = ckpt_writer.root / "step_1.pt"
    path.write_bytes(b"\x80\x02\x8a\x0a" + bytes(range(200)))

    with pytest.raises(CheckpointError) as raised:
        load_state_dict(_checkpoint(path))

    assert not isinstance(raised.value, UnsafeCheckpointError)
    assert "step_1.pt" in str(raised.value)
