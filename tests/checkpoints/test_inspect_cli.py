"""``phaseviz inspect``: the table, the JSON, and errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from phaseviz.cli.app import app
from phaseviz.cli.inspect import register


@pytest.fixture
def ckpt_cli():
    register(app)
    register(app)
    runner = CliRunner(env={"COLUMNS": "200"})
    return lambda *args: runner.invoke(app, ["inspect", *map(str, args)])


@pytest.fixture
def ckpt_run(ckpt_writer):
    ckpt_writer.lightning("epoch=0-step=100.ckpt", step=100, epoch=0)
    ckpt_writer.trainer_folder("checkpoint-200", 200)
    (ckpt_writer.root / "broken.pt").write_bytes(b"not a checkpoint")
    return ckpt_writer.root


def test_register_adds_the_command_once(ckpt_cli):
    names = [c.name for c in app.registered_commands]

    assert names.count("inspect") == 1


def test_table_lists_checkpoints_and_a_summary(ckpt_cli, ckpt_run):
    result = ckpt_cli(ckpt_run)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "epoch=0-step=100.ckpt" in out and "checkpoint-200" in out
    assert "lightning" in out and "safetensors" in out
    assert "26" in out  # 4*3 + 4 + 2*4 + 2 weights in the tiny MLP
    assert "eval_loss=0.75" in out
    assert "2 checkpoints, steps 100 to 200, 1 skipped" in out
    assert "broken.pt" in out


def test_json_lists_one_object_per_checkpoint(ckpt_cli, ckpt_run):
    result = ckpt_cli(ckpt_run, "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["checkpoint"] for r in rows] == [
        "epoch=0-step=100.ckpt",
        "checkpoint-200",
    ]
    first, second = rows
    assert first["step"] == 100 and first["step_source"] == "data"
    assert first["format"] == "lightning" and first["parameters"] == 26
    assert first["recorded"] == {"epoch": 0.0, "global_step": 100.0}
    assert first["size"] == (ckpt_run / "epoch=0-step=100.ckpt").stat().st_size
    assert second["format"] == "safetensors" and second["parameters"] == 26
    assert second["recorded"]["loss"] == 0.5
    assert "broken.pt" in result.stderr


def test_missing_folder_prints_the_error_and_exits_with_its_code(ckpt_cli, tmp_path):
    result = ckpt_cli(tmp_path / "nowhere")

    assert result.exit_code == 3
    assert "no such folder" in result.stderr
    assert result.stdout == ""


def test_unsafe_only_run_says_how_to_trust_it(ckpt_cli, ckpt_writer, tmp_path):
    marker = tmp_path / "pwned"
    ckpt_writer.malicious("step_1.pt", marker)

    result = ckpt_cli(ckpt_writer.root)

    assert result.exit_code == 3
    assert "--trust-checkpoints" in result.stderr
    assert not marker.exists()


def test_importing_the_command_does_not_import_torch():
    code = "import sys, phaseviz.cli.inspect; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert out.strip() == "False"
