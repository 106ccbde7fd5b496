"""What the app shows once it has opened a run and computed the defaults."""

import pytest

from phaseviz.tui import app as app_module
from phaseviz.tui import computation
from phaseviz.tui.messages import ValuesArrived
from phaseviz.tui.widgets.chart_grid import ChartGrid
from phaseviz.tui.widgets.run_header import RunHeader
from phaseviz.tui.widgets.sidebar import MetricInfo, MetricList
from phaseviz.tui.widgets.values_table import ValuesTable

from tui_support import SIZE, STEPS, accuracy_at, l2_norm, settle


async def test_opening_a_run_charts_the_defaults_under_a_header(make_app, run_dir):
    app = make_app([run_dir])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.session.selected == ["l2", "effective_rank", "recorded.test_acc"]
        panes = [pane.metric for pane in app.query_one(ChartGrid).panes]
        assert panes == app.session.selected

        header = str(app.query_one(RunHeader).render())
        assert "runA" in header
        assert f"{len(STEPS)} checkpoints" in header
        assert f"steps {STEPS[0]:,}–{STEPS[-1]:,}" in header
        assert "cpu" in header


async def test_values_at_the_cursor_match_an_independent_computation(make_app, run_dir):
    app = make_app([run_dir])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(ValuesTable)
        last = STEPS[-1]
        assert float(table.value_text("l2")) == pytest.approx(l2_norm(last), rel=1e-3)
        shown = float(table.value_text("recorded.test_acc"))
        assert shown == pytest.approx(accuracy_at(last), rel=1e-3)
        assert f"step {last:,}" in str(table.border_title)


async def test_cached_values_appear_without_computing_again(
    make_app, run_dir, monkeypatch
):
    first = make_app([run_dir], metrics=["l2"])
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)

    posted = []

    def recording(job, options, cancel, post):
        def post_and_record(message):
            posted.append(message)
            return post(message)

        return computation.compute(job, options, cancel, post_and_record)

    monkeypatch.setattr(app_module, "compute", recording)
    second = make_app([run_dir], metrics=["l2"])
    async with second.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(second.session.results[0].values["l2"]) == len(STEPS)
    events = [e for m in posted if isinstance(m, ValuesArrived) for e in m.events]
    assert len(events) == len(STEPS)
    assert all(event.cached for event in events)


async def test_sidebar_groups_metrics_and_describes_the_highlighted_one(
    make_app, run_dir
):
    app = make_app([run_dir])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        metric_list = app.query_one(MetricList)
        ids = [option.id for option in metric_list.options]
        assert ids.index("group:norms") < ids.index("l2")
        assert ids.index("group:recorded") < ids.index("recorded.test_acc")
        assert str(metric_list.get_option("l2").prompt).startswith("[x]")
        assert str(metric_list.get_option("entropy").prompt).startswith("[ ]")

        metric_list.highlight_key("entropy")
        await pilot.pause()
        info = str(app.query_one(MetricInfo).render())
        metric = app.session.catalogue["entropy"]
        assert metric.title in info and metric.formula in info
        assert metric.description in info
