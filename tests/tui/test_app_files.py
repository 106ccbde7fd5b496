"""Exporting the report, loading custom metrics, watching a run folder."""

import threading

import torch
from textual.widgets import Input

from phaseviz.tui import app as app_module
from phaseviz.tui import computation
from phaseviz.tui.screens.path_input import PathInput
from phaseviz.tui.widgets.sidebar import MetricList

from tui_support import SIZE, STEPS, notifications, settle, state_dict


async def type_path(pilot, path) -> None:
    """Fill the path prompt (typing a long path key by key is slow) and submit."""
    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")


async def test_e_exports_the_report_and_lists_its_files(make_app, run_dir, tmp_path):
    app = make_app([run_dir], metrics=["l2", "recorded.test_acc"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        folders = list((tmp_path / "exports").glob("phaseviz-report-runA-*"))
        assert len(folders) == 1
        html = folders[0] / "report.html"
        csv = folders[0] / "metrics.csv"
        assert html.is_file() and csv.is_file()
        assert "recorded.test_acc" in csv.read_text()
        written = [n for n in notifications(app) if n.startswith("Report written")]
        assert written and str(html) in written[0] and str(csv) in written[0]


async def test_c_loads_a_custom_metrics_file_into_the_sidebar(
    make_app, run_dir, failing_metrics_file
):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, PathInput)
        await type_path(pilot, failing_metrics_file)
        await settle(pilot)
        assert not isinstance(app.screen, PathInput)
        ids = [option.id for option in app.query_one(MetricList).options]
        assert ids.index("group:custom") < ids.index("parameter_count")
        assert "always_fails" in ids
        assert failing_metrics_file in app.options.metric_files
        assert app.query_one(MetricList).highlighted_key in {
            "always_fails",
            "parameter_count",
        }

        app.query_one(MetricList).highlight_key("parameter_count")
        await pilot.press("space")
        await settle(pilot)
        assert set(app.session.results[0].values["parameter_count"].values()) == {48.0}


async def test_c_reports_a_missing_or_broken_file(make_app, run_dir, tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def oops_of_model(model:\n")
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await type_path(pilot, "nowhere.py")
        assert isinstance(app.screen, PathInput)
        assert "is not a file" in str(app.screen.query_one("#path-error").render())

        await type_path(pilot, broken)
        await settle(pilot)
        assert not isinstance(app.screen, PathInput)
        assert any("broken.py" in n and "not loaded" in n for n in notifications(app))
        assert "oops" not in app.session.catalogue

        await pilot.press("c", "escape")
        assert not isinstance(app.screen, PathInput)


async def test_watch_charts_checkpoints_that_appear_while_running(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"], watch=True, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        torch.save(
            {"model_state_dict": state_dict(800), "step": 800},
            run_dir / "ckpt_00800.pt",
        )
        for _ in range(100):
            await pilot.pause(0.05)
            if len(app.session.runs[0].checkpoints) > len(STEPS):
                break
        await settle(pilot)
        assert app.session.runs[0].steps[-1] == 800
        assert len(app.session.results[0].values["l2"]) == len(STEPS) + 1
        assert app.session.timeline.cursor_step == 800
        assert f"{len(STEPS) + 1} checkpoints" in str(
            app.query_one("#run-header").render()
        )
        assert any("1 new checkpoint" in n for n in notifications(app))


async def test_checkpoints_found_during_a_computation_are_computed_after_it(
    make_app, run_dir, monkeypatch
):
    gate = threading.Event()

    def held(job, options, cancel, post):
        gate.wait(10)
        return computation.compute(job, options, cancel, post)

    monkeypatch.setattr(app_module, "compute", held)
    app = make_app([run_dir], metrics=["l2"], watch=True, poll_seconds=0.1)
    async with app.run_test(size=SIZE) as pilot:
        torch.save(
            {"model_state_dict": state_dict(800), "step": 800},
            run_dir / "ckpt_00800.pt",
        )
        for _ in range(100):
            await pilot.pause(0.05)
            if len(app.session.runs[0].checkpoints) > len(STEPS):
                break
        assert [job.metrics for job in app.jobs.values()] == [("l2",)]
        gate.set()
        await settle(pilot)
        assert len(app.session.results[0].values["l2"]) == len(STEPS) + 1


def test_report_folders_never_overwrite_each_other(tmp_path):
    from phaseviz.tui.exporting import report_folder

    first = report_folder(tmp_path, ["lr1e-3/checkpoints", "runB"], now=0)
    assert first.name.startswith("phaseviz-report-lr1e-3_checkpoints+runB-")
    first.mkdir()
    second = report_folder(tmp_path, ["lr1e-3/checkpoints", "runB"], now=0)
    assert second != first and second.name.endswith("-2")
