"""``phaseviz export``, ``load-dir`` and ``plot-metric`` on tiny real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from phaseviz.cli.app import app
from phaseviz.cli.report import register
from phaseviz.export import read_metrics_csv
from phaseviz.state import STATE_FILE, load_state

if not any(command.name == "export" for command in app.registered_commands):
    register(app)

runner = CliRunner()

MODEL = """
from torch import nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
"""
CUSTOM = """
def spread_of_model(model):
    return float(sum(p.detach().abs().sum() for p in model.parameters()))
"""


def _save_run(folder: Path, steps=(0, 100, 200)) -> Path:
    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(0)
    for k, step in enumerate(steps):
        state = {
            "fc1.weight": torch.randn(4, 3, generator=generator) * (1 + k),
            "fc1.bias": torch.zeros(4),
            "fc2.weight": torch.randn(2, 4, generator=generator),
            "fc2.bias": torch.zeros(2),
        }
        torch.save({"state_dict": state, "step": step}, folder / f"ckpt_{k}.pt")
    return folder


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return _save_run(tmp_path / "tiny")


@pytest.fixture
def loaded(run_dir: Path, tmp_path: Path, monkeypatch) -> Path:
    """A working folder where ``load-dir`` has saved the tiny run."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = runner.invoke(app, ["load-dir", "--dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    return work


def _plot(answers: str, out: Path, *extra: str):
    return runner.invoke(
        app,
        ["plot-metric", "--device", "cpu", "--no-browser", "--out", str(out), *extra],
        input=answers,
    )


def test_export_writes_the_report_and_prints_its_paths(run_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "export",
            str(run_dir),
            "--metrics",
            "l2,entropy",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    printed = result.stdout.split()
    assert str(out / "report.html") in printed and str(out / "metrics.csv") in printed
    values = read_metrics_csv(out / "metrics.csv")
    assert {(v.metric, v.step) for v in values} == {
        (m, s) for m in ("l2", "entropy") for s in (0, 100, 200)
    }
    assert (out / "charts" / "l2.png").exists()
    summary = (out / "report.html").read_text().split('id="summary"')[1][:3000]
    assert '<td class="num">26</td>' in summary  # 4*3 + 4 + 2*4 + 2 parameters


def test_export_several_runs_shares_the_charts(tmp_path: Path):
    first = _save_run(tmp_path / "a")
    second = _save_run(tmp_path / "b", steps=(0, 50, 300))
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "export",
            str(first),
            str(second),
            "-m",
            "l2",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    assert {v.run for v in read_metrics_csv(out / "metrics.csv")} == {"a", "b"}


def test_export_rejects_an_unknown_detector(run_dir: Path, tmp_path: Path):
    result = runner.invoke(
        app,
        ["export", str(run_dir), "--detector", "nope", "--out", str(tmp_path / "o")],
    )

    assert result.exit_code == 2
    assert "unknown detector 'nope'" in result.stderr
    assert not (tmp_path / "o").exists()


def test_export_reports_an_unknown_metric_with_its_exit_code(run_dir, tmp_path):
    result = runner.invoke(
        app,
        [
            "export",
            str(run_dir),
            "-m",
            "entrpy",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "o"),
        ],
    )

    assert result.exit_code == 2
    assert "entrpy" in result.stderr and "entropy" in result.stderr


def test_load_dir_checks_the_model_and_saves_the_state(run_dir, tmp_path, monkeypatch):
    model = tmp_path / "model.py"
    model.write_text(MODEL)
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(
        app,
        [
            "load-dir",
            "--dir",
            str(run_dir),
            "--model",
            str(model),
            "--class-name",
            "Tiny",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "3 checkpoints, steps 0–200" in result.stdout
    assert "formats: torch ×3" in result.stdout
    assert "loads ckpt_0.pt strictly" in result.stdout
    state = load_state(tmp_path)
    assert state.run_dir == str(run_dir.resolve())
    assert state.model_path == str(model.resolve()) and state.class_name == "Tiny"
    assert json.loads((tmp_path / STATE_FILE).read_text())["version"] == 1


def test_load_dir_refuses_a_model_that_does_not_fit(run_dir, tmp_path, monkeypatch):
    model = tmp_path / "model.py"
    model.write_text(MODEL.replace("nn.Linear(3, 4)", "nn.Linear(5, 4)"))
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(
        app, ["load-dir", "--dir", str(run_dir), "--model", str(model)]
    )

    assert result.exit_code == 5, result.output
    assert "fc1.weight" in result.stderr
    assert not (tmp_path / STATE_FILE).exists()


def test_load_dir_lists_skipped_files(run_dir, tmp_path, monkeypatch):
    (run_dir / "ckpt_9.pt").write_bytes(b"not a checkpoint")
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["load-dir", "--dir", str(run_dir)])

    assert result.exit_code == 0, result.output
    assert "skipped 1 files" in result.stdout and "ckpt_9.pt" in result.stdout


def test_plot_metric_needs_load_dir_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["plot-metric", "--metrics", "l2"])

    assert result.exit_code == 2
    assert "run phaseviz load-dir first" in result.stderr


def test_prompt_lists_adds_rejects_and_loads_custom_metrics(loaded: Path):
    custom = loaded / "custom.py"
    custom.write_text(CUSTOM)
    out = loaded / "report"

    result = _plot(f"metrics\nl2\nbogus\nentrpy\n{custom}\ndone\n", out)

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "L2 Norm" in text and "Weight Entropy" in text  # the list
    assert "Added l2 (L2 Norm)." in text
    assert "Unknown metric 'bogus'" in text
    assert "Unknown metric 'entrpy'; closest: entropy" in text
    assert "Added spread" in text
    metrics = {v.metric for v in read_metrics_csv(out / "metrics.csv")}
    assert metrics == {"l2", "spread"}


def test_prompt_exit_leaves_without_computing(loaded: Path):
    result = _plot("l2\nexit\n", loaded / "report")

    assert result.exit_code == 0, result.output
    assert "nothing computed" in result.stdout
    assert not (loaded / "report").exists()


def test_prompt_end_of_input_is_done_once_something_is_chosen(loaded: Path):
    result = _plot("done\nentropy\n", loaded / "report")

    assert result.exit_code == 0, result.output
    assert "Nothing chosen yet" in result.stdout
    assert {v.metric for v in read_metrics_csv(loaded / "report" / "metrics.csv")} == {
        "entropy"
    }


def test_prompt_end_of_input_with_nothing_chosen_exits(loaded: Path):
    result = _plot("", loaded / "report")

    assert result.exit_code == 0
    assert not (loaded / "report").exists()


def test_prompt_all_adds_every_builtin(loaded: Path):
    from phaseviz.metrics import BUILTIN

    result = _plot("all\nexit\n", loaded / "report")

    assert f"Added {len(BUILTIN)} metrics" in result.stdout


def test_plot_metric_serves_the_page_without_a_browser(loaded, monkeypatch):
    served: list[tuple[str, object]] = []

    def fake_serve(html: str, **options: object) -> str:
        served.append((html, options["open_browser"]))
        return "closed"

    monkeypatch.setattr("phaseviz.report.serve_report", fake_serve)
    result = runner.invoke(
        app, ["plot-metric", "--device", "cpu", "-m", "l2", "--no-browser"]
    )

    assert result.exit_code == 0, result.output
    [(html, open_browser)] = served
    assert open_browser is False
    assert '"key":"l2"' in html and "Plotly" in html


def test_export_into_an_unwritable_place_says_so(run_dir: Path, tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(
        app,
        [
            "export",
            str(run_dir),
            "-m",
            "l2",
            "--device",
            "cpu",
            "--out",
            str(blocker / "out"),
        ],
    )

    assert result.exit_code == 1
    assert "cannot write the report" in result.stderr
