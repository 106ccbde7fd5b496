"""The log step axis: chosen for log-spaced runs, toggled by x, zoomed in log(step)."""

import math

import pytest

from phaseviz.tui.step_axis import StepAxis, log_spaced
from phaseviz.tui.timeline import Timeline
from phaseviz.tui.widgets.chart import CURSOR_MARKER, TRANSITION_MARKER, MetricChart
from phaseviz.tui.widgets.chart_grid import ChartGrid
from phaseviz.tui.widgets.run_header import RunHeader

from tui_support import SIZE, STEPS, settle, write_run

LOG_STEPS = tuple(round(10 * 2 ** (k / 2)) for k in range(15))  # 10, 14, ..., 1280


@pytest.fixture
def log_run(tmp_path):
    return write_run(tmp_path / "runLog", LOG_STEPS)


class Recorder:
    """The x coordinates and ticks a chart hands plotext while it renders."""

    def __init__(self, chart: MetricChart, monkeypatch: pytest.MonkeyPatch) -> None:
        self.plots: list[tuple[list[float], str]] = []
        self.xticks: tuple[list[float], list[str]] = ([], [])
        plt = chart.plt
        plot, xticks = plt.plot, plt.xticks

        def record_plot(xs, ys, **options):
            self.plots.append((list(xs), options.get("marker", "")))
            return plot(xs, ys, **options)

        def record_xticks(ticks, labels):
            self.xticks = (list(ticks), list(labels))
            return xticks(ticks, labels)

        monkeypatch.setattr(plt, "plot", record_plot)
        monkeypatch.setattr(plt, "xticks", record_xticks)
        chart.render()

    def rules(self, marker: str) -> list[float]:
        return [xs[0] for xs, m in self.plots if m == marker]

    def line(self) -> list[float]:
        return [x for xs, m in self.plots if m == "braille" for x in xs]


def header_text(app) -> str:
    return str(app.query_one(RunHeader).render())


def charts(app) -> list[MetricChart]:
    return list(app.query_one(ChartGrid).query(MetricChart))


async def test_a_log_spaced_run_opens_on_a_log_axis_with_step_labels(
    make_app, log_run, monkeypatch
):
    app = make_app([log_run], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        (chart,) = charts(app)
        assert chart.axis == StepAxis(log=True, offset=0.0)
        assert "log step" in header_text(app)

        drawn = Recorder(chart, monkeypatch)
        assert drawn.line() == pytest.approx([math.log10(s) for s in LOG_STEPS])
        assert drawn.rules(CURSOR_MARKER) == [pytest.approx(math.log10(1280))]
        positions, labels = drawn.xticks
        assert labels[0] == "10" and "100" in labels and "1k" in labels
        for position, label in zip(positions, labels, strict=True):
            step = float(label[:-1]) * 1000 if label.endswith("k") else float(label)
            assert position == pytest.approx(math.log10(step))


async def test_transitions_sit_at_their_steps_on_the_log_axis(
    make_app, log_run, monkeypatch
):
    app = make_app([log_run], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        found = [t.step for t in app.session.transitions(0, "l2")]
        assert found, "the l2 jump at step 400 should be a transition"
        drawn = Recorder(charts(app)[0], monkeypatch)
        assert drawn.rules(TRANSITION_MARKER) == pytest.approx(
            [math.log10(s) for s in found]
        )


async def test_an_evenly_spaced_run_stays_on_a_linear_axis(
    make_app, run_dir, monkeypatch
):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        (chart,) = charts(app)
        assert not chart.axis.log
        assert "log step" not in header_text(app)
        assert Recorder(chart, monkeypatch).line() == list(STEPS)


async def test_several_runs_are_on_a_log_axis_only_if_all_are_log_spaced(
    make_app, log_run, run_dir
):
    app = make_app([log_run, run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not charts(app)[0].axis.log


async def test_x_toggles_every_chart_between_linear_and_log(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2", "effective_rank"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert [c.axis.log for c in charts(app)] == [True, True]
        # The run starts at step 0, which the offset keeps on the axis.
        assert charts(app)[0].axis.offset == 100
        assert "log step" in header_text(app)

        await pilot.press("o")
        await pilot.pause()
        assert app.query_one("#overlay-chart", MetricChart).axis.log

        await pilot.press("x")
        await pilot.pause()
        assert not app.query_one("#overlay-chart", MetricChart).axis.log
        assert [c.axis.log for c in charts(app)] == [False, False]
        assert "log step" not in header_text(app)


async def test_zoom_on_the_log_axis_halves_the_range_in_log_step(make_app, log_run):
    app = make_app([log_run], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*["left"] * 6, "plus")  # cursor at step 160
        await pilot.pause()
        assert app.session.timeline.cursor_step == 160
        # Half of the 128-fold range, centred on 160 in log(step).
        expected = (round(160 / 128**0.25), round(160 * 128**0.25))
        assert app.session.timeline.span == expected
        assert charts(app)[0].span == expected
        await pilot.press("0")
        assert app.session.timeline.span == (10, 1280)


def test_log_zoom_keeps_early_checkpoints_in_view():
    timeline = Timeline([1, 2, 4, 8, 16, 32, 64, 128, 256], log=True)
    timeline.move(-7)  # step 2
    assert timeline.zoom_in()
    # On a linear axis half the range around step 2 would be 1..129.
    assert timeline.span == (1, 16)
    timeline.move(5)  # step 64: the window pans along, same width in log(step)
    assert timeline.span == (4, 64)
    timeline.zoom_out()
    assert timeline.span == (1, 256)


def test_step_axis_maps_step_zero_by_the_offset_and_back():
    axis = StepAxis(log=True, offset=10.0)
    assert axis.x(0) == pytest.approx(1.0)
    assert axis.step(axis.x(990)) == pytest.approx(990)
    positions, labels = axis.ticks(0, 3000, 8)
    assert labels[0] == "0" and positions[0] == pytest.approx(1.0)
    assert "1k" in labels


def test_log_spaced_follows_the_transitions_axis_choice():
    assert log_spaced([LOG_STEPS])
    assert not log_spaced([STEPS])
    assert not log_spaced([LOG_STEPS, STEPS])
    assert not log_spaced([])
