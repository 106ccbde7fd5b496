from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import typer
from demo_configs import TINY
from typer.testing import CliRunner

import phaseviz.demo
from phaseviz.cli.demo import CHARTED, register
from phaseviz.demo import accuracy_jump, is_complete

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """A stand-in for the phaseviz app."""

    register(app)
    return app


def recorded_test_acc(run_dir: Path) -> tuple[list[int], list[float]]:
    from phaseviz.checkpoints import discover_run

    run = discover_run(run_dir)
    return run.steps, [c.recorded["test_acc"] for c in run.checkpoints]


def test_no_tui_summarises_a_kept_run_without_training(app, quick_run: Path):
    before = {p: p.stat().st_mtime_ns for p in quick_run.glob("step_*.pt")}

    result = runner.invoke(
        app,
        ["demo", "--quick", "--out", str(quick_run), "--no-tui", "--device", "cpu"],
    )

    assert result.exit_code == 0, result.output
    assert "using the demo run" in result.stderr
    assert {p: p.stat().st_mtime_ns for p in quick_run.glob("step_*.pt")} == before
    jump = accuracy_jump(*recorded_test_acc(quick_run))
    assert jump is not None
    out = result.stdout
    assert f"Grokked   at step {jump.step} (step_{jump.step:06d}.pt)" in out
    assert "Memorised at step" in out
    l2_rows = [line for line in out.splitlines() if line.strip().startswith("l2 ")]
    assert any("at the jump" in line for line in l2_rows)
    assert "The weight norm (l2) changes course at step" in out
    assert f"phaseviz tui {quick_run}" in out


def test_demo_trains_under_a_progress_bar_when_no_run_is_kept(
    app, monkeypatch, tmp_path: Path
):
    monkeypatch.setattr(phaseviz.demo, "QUICK_DEMO", TINY)
    folder = tmp_path / "new"

    result = runner.invoke(
        app, ["demo", "--quick", "--out", str(folder), "--no-tui", "--device", "cpu"]
    )

    assert result.exit_code == 0, result.output
    assert is_complete(folder, TINY)
    assert "trained the demo run" in result.stderr
    # Forty steps cannot grok, and the summary says so rather than pretend.
    assert "No jump" in result.stdout


def test_demo_opens_the_app_on_l2_effective_rank_and_test_accuracy(
    app, monkeypatch, quick_run: Path
):
    opened = {}

    def fake_run_tui(run_dirs, *, metrics, options, **rest):
        opened.update(run_dirs=list(run_dirs), metrics=list(metrics), options=options)

    monkeypatch.setattr("phaseviz.tui.run_tui", fake_run_tui)
    monkeypatch.setattr("phaseviz.cli.demo.has_terminal", lambda: True)

    result = runner.invoke(
        app, ["demo", "--quick", "--out", str(quick_run), "--device", "cpu"]
    )

    assert result.exit_code == 0, result.output
    assert opened["run_dirs"] == [quick_run]
    assert opened["metrics"] == CHARTED == ["l2", "effective_rank", "recorded.test_acc"]
    assert opened["options"].device == "cpu"


def test_without_a_terminal_the_demo_prints_the_summary(
    app, monkeypatch, quick_run: Path
):
    def no_app(*args, **kwargs):
        raise AssertionError("the app needs a terminal")

    monkeypatch.setattr("phaseviz.tui.run_tui", no_app)

    result = runner.invoke(
        app, ["demo", "--quick", "--out", str(quick_run), "--device", "cpu"]
    )

    assert result.exit_code == 0, result.output
    assert "no terminal for the app" in result.stderr
    assert "Grokked" in result.stdout


def test_retrain_trains_a_kept_run_again(app, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(phaseviz.demo, "QUICK_DEMO", TINY)
    folder = tmp_path / "kept"
    args = ["demo", "--quick", "--out", str(folder), "--no-tui", "--device", "cpu"]
    assert runner.invoke(app, args).exit_code == 0

    result = runner.invoke(app, [*args, "--retrain"])

    assert result.exit_code == 0, result.output
    assert "trained the demo run" in result.stderr


def test_run_of_other_settings_in_the_folder_is_trained_again(
    app, monkeypatch, tmp_path: Path
):
    folder = tmp_path / "kept"
    monkeypatch.setattr(phaseviz.demo, "QUICK_DEMO", TINY)
    args = ["demo", "--quick", "--out", str(folder), "--no-tui", "--device", "cpu"]
    assert runner.invoke(app, args).exit_code == 0
    other = dataclasses.replace(TINY, seed=3)
    monkeypatch.setattr(phaseviz.demo, "QUICK_DEMO", other)

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "trained with other settings" in result.stderr
    assert is_complete(folder, other)


def test_interrupted_training_exits_130_and_says_it_will_train_again(
    app, monkeypatch, tmp_path: Path
):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(phaseviz.demo, "ensure_demo_run", interrupted)

    result = runner.invoke(
        app, ["demo", "--quick", "--out", str(tmp_path / "run"), "--no-tui"]
    )

    assert result.exit_code == 130
    assert "trains again" in result.stderr


def test_out_folder_of_other_files_is_a_usage_error(app, tmp_path: Path):
    (tmp_path / "results.csv").write_text("mine")

    result = runner.invoke(
        app, ["demo", "--quick", "--out", str(tmp_path), "--no-tui", "--device", "cpu"]
    )

    assert result.exit_code == 2
    assert "results.csv" in result.stderr
    assert (tmp_path / "results.csv").read_text() == "mine"


def test_the_metrics_the_app_opens_on_are_offered_by_the_demo_run(quick_run: Path):
    from phaseviz.checkpoints import discover_run
    from phaseviz.engine import available_metrics

    offered = {metric.key for metric in available_metrics(discover_run(quick_run))}

    assert set(CHARTED) <= offered
