"""The compute workers: values arrive, errors show, the app stays responsive."""

import threading

from phaseviz.engine import ComputeOptions
from phaseviz.tui import app as app_module
from phaseviz.tui import computation
from phaseviz.tui.computation import Job, compute
from phaseviz.tui.messages import ComputeEnded, ComputeProgress, ValuesArrived
from phaseviz.tui.widgets.chart_grid import ChartGrid

from tui_support import SIZE, STEPS, notifications, settle


async def test_a_failing_custom_metric_shows_in_its_pane_and_once_as_a_notice(
    make_app, run_dir, failing_metrics_file
):
    app = make_app(
        [run_dir],
        metrics=["always_fails", "parameter_count"],
        metric_files=[failing_metrics_file],
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.query_one(ChartGrid).pane("always_fails")
        error = pane.query_one(".pane-error")
        assert error.display
        assert "failed at 8 of 8 checkpoints" in str(error.render())
        failures = [n for n in notifications(app) if "this metric always fails" in n]
        assert len(failures) == 1
        # The file's other metric is unaffected: 6·4 + 6 + 3·6 parameters.
        counts = app.session.results[0].values["parameter_count"]
        assert set(counts.values()) == {48.0}


async def test_a_corrupt_checkpoint_is_reported_and_the_rest_computed(
    make_app, tmp_path
):
    from tui_support import write_run

    run = write_run(tmp_path / "runC", corrupt=True)
    app = make_app([run], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("ckpt_00800.pt" in n for n in notifications(app))
        assert len(app.session.results[0].values["l2"]) == len(STEPS)


async def test_a_checkpoint_damaged_after_listing_is_skipped_with_a_notice(
    make_app, run_dir
):
    app = make_app([run_dir], metrics=["l2"])
    (run_dir / "ckpt_00300.pt").write_bytes(b"damaged")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("Skipped checkpoint ckpt_00300.pt" in n for n in notifications(app))
        values = app.session.results[0].values["l2"]
        assert len(values) == len(STEPS) - 1 and 3 not in values
        assert app.session.progress("l2") == (len(STEPS), len(STEPS))
        pane = app.query_one(ChartGrid).pane("l2")
        assert not pane.query_one(".pane-progress").display


async def test_an_engine_error_ends_the_computation_with_a_notice(make_app, run_dir):
    from phaseviz.tui.app import PhasevizApp
    from phaseviz.tui.launch import open_session

    options = ComputeOptions(device="no-such-device")
    app = PhasevizApp(open_session([run_dir], ["l2"], options), options)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("no-such-device" in n for n in notifications(app))
        assert not app.jobs


async def test_keys_work_while_computing_and_quit_cancels_it(
    make_app, run_dir, monkeypatch
):
    gate = threading.Event()
    cancelled = []

    def held(job, options, cancel, post):
        while not cancel.is_set() and not gate.wait(0.01):
            pass
        cancelled.append(cancel.is_set())
        return computation.compute(job, options, cancel, post)

    monkeypatch.setattr(app_module, "compute", held)
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        assert app.query_one("#views").current == "overlay"
        assert app.jobs
        await pilot.press("q")
        await app.workers.wait_for_complete()
    assert cancelled == [True]
    assert app.return_code == 0


def test_queued_progress_of_one_computation_collapses_into_the_latest():
    older, newer, other = (
        ComputeProgress(1, 1, 8),
        ComputeProgress(1, 2, 8),
        ComputeProgress(2, 1, 8),
    )
    assert older.can_replace(newer)
    assert not older.can_replace(other)
    assert not older.can_replace(ComputeEnded(1))


def test_cached_values_travel_in_batches(run_dir):
    from phaseviz.checkpoints import discover_run

    run = discover_run(run_dir)
    options = ComputeOptions(device="cpu", parallel=False)
    compute(Job(1, 0, run, ("l2",)), options, threading.Event(), lambda m: None)

    posted = []
    job = Job(2, 0, run, ("l2", "recorded.test_acc"))
    compute(job, options, threading.Event(), posted.append)
    batches = [m for m in posted if isinstance(m, ValuesArrived)]
    assert sum(len(m.events) for m in batches) == 2 * len(STEPS)
    assert len(batches) < len(STEPS)
    progress = [m for m in posted if isinstance(m, ComputeProgress)]
    assert progress[-1].done == progress[-1].total == len(STEPS)
    assert isinstance(posted[-1], ComputeEnded) and posted[-1].error is None
