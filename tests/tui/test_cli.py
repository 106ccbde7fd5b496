"""``phaseviz tui`` on the command line: options, saved runs, remapped keys."""

import json

import pytest
import typer
from typer.testing import CliRunner

from phaseviz.cli import tui as tui_command


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    tui_command.register(app)

    @app.command("other")
    def other() -> None:  # a second command keeps ``tui`` a subcommand
        pass

    return app


def test_help_lists_the_options(cli):
    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0
    for option in (
        "--watch",
        "--metrics",
        "--device",
        "--detector",
        "--keys",
        "--trust-checkpoints",
        "--metrics-file",
        "--model",
    ):
        assert option in result.output


def test_without_a_folder_or_saved_run_it_says_to_load_one(cli, tmp_path):
    result = CliRunner().invoke(cli, ["tui"])
    assert result.exit_code == 2
    assert "load-dir" in result.output


def test_without_a_folder_it_opens_the_saved_run(cli, run_dir, monkeypatch):
    (run_dir.parent / ".phaseviz_state.json").write_text(
        json.dumps(
            {
                "run_dir": str(run_dir),
                "model_path": None,
                "class_name": None,
                "trust": False,
                "version": 1,
            }
        )
    )
    opened = {}

    def fake_run_tui(run_dirs, **kwargs):
        opened.update(run_dirs=run_dirs, **kwargs)

    monkeypatch.setattr("phaseviz.tui.run_tui", fake_run_tui)
    result = CliRunner().invoke(cli, ["tui", "--keys", "quit=ctrl+q", "-m", "l2"])
    assert result.exit_code == 0, result.output
    assert opened["run_dirs"] == [run_dir]
    assert opened["metrics"] == ["l2"]
    assert opened["keymap"] == {"quit": "ctrl+q"}


def test_a_bad_keymap_is_a_usage_error(cli, run_dir):
    result = CliRunner().invoke(cli, ["tui", str(run_dir), "--keys", "quit"])
    assert result.exit_code == 2
    assert "ID=KEY" in result.output


def test_an_unknown_metric_or_detector_fails_before_the_app_starts(cli, run_dir):
    unknown = CliRunner().invoke(cli, ["tui", str(run_dir), "-m", "l3"])
    assert unknown.exit_code == 2 and "unknown metric 'l3'" in unknown.output
    detector = CliRunner().invoke(cli, ["tui", str(run_dir), "--detector", "magic"])
    assert detector.exit_code == 2 and "unknown detector" in detector.output


def test_a_broken_model_file_fails_before_the_app_starts(cli, run_dir, tmp_path):
    model = tmp_path / "model.py"
    model.write_text("import torch\nclass Net(torch.nn.Module:\n    pass\n")
    result = CliRunner().invoke(cli, ["tui", str(run_dir), "--model", str(model)])
    assert result.exit_code == 5
    assert "model.py" in result.output
