"""Each binding of the app changes what it should."""

import threading

import pytest

from phaseviz.transitions import DETECTORS
from phaseviz.tui import app as app_module
from phaseviz.tui import computation
from phaseviz.tui.screens.help import HelpScreen
from phaseviz.tui.widgets.chart import MetricChart
from phaseviz.tui.widgets.chart_grid import ChartGrid
from phaseviz.tui.widgets.chart_pane import ChartPane
from phaseviz.tui.widgets.key_bar import KeyBar
from phaseviz.tui.widgets.layer_view import LayerView
from phaseviz.tui.widgets.sidebar import MetricList
from phaseviz.tui.widgets.values_table import ValuesTable

from tui_support import SIZE, STEPS, l2_norm, notifications, settle


async def test_space_toggles_the_highlighted_metric_and_computes_it(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one(MetricList).highlight_key("entropy")
        await pilot.press("space")
        assert app.session.selected == ["l2", "entropy"]
        assert str(app.query_one(MetricList).get_option("entropy").prompt)[:3] == "[x]"
        await settle(pilot)
        assert len(app.session.results[0].values["entropy"]) == len(STEPS)
        assert app.query_one(ChartGrid).pane("entropy") is not None

        await pilot.press("space")
        await pilot.pause()
        assert app.session.selected == ["l2"]
        assert app.query_one(ChartGrid).pane("entropy") is None


async def test_clicking_a_metric_charts_it(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        metric_list = app.query_one(MetricList)
        row = metric_list.get_option_index("entropy")
        await pilot.click(MetricList, offset=(4, row - metric_list.scroll_y))
        await settle(pilot)
        assert app.session.selected == ["l2", "entropy"]
        assert len(app.session.results[0].values["entropy"]) == len(STEPS)


async def test_space_during_a_computation_starts_one_for_just_that_metric(
    make_app, run_dir, monkeypatch
):
    gate = threading.Event()
    started = []

    def held(job, options, cancel, post):
        started.append(job.metrics)
        if "l2" in job.metrics:
            gate.wait(10)
        return computation.compute(job, options, cancel, post)

    monkeypatch.setattr(app_module, "compute", held)
    app = make_app([run_dir], metrics=["l2", "effective_rank"])
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(MetricList).highlight_key("variance")
        await pilot.press("space")
        await pilot.pause()
        assert app.session.selected == ["l2", "effective_rank", "variance"]
        assert started == [("l2", "effective_rank"), ("variance",)]
        assert [job.metrics for job in app.jobs.values()] == [("l2", "effective_rank")]
        gate.set()
        await settle(pilot)
        assert len(app.session.results[0].values["variance"]) == len(STEPS)
        assert len(app.session.results[0].values["l2"]) == len(STEPS)


async def test_empty_selection_says_what_to_press(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.query_one(MetricList).highlight_key("l2")
        await pilot.press("space")
        await pilot.pause()
        hint = app.query_one("#empty-hint")
        assert hint.display
        assert "press space" in str(hint.render())


async def test_enter_expands_the_focused_pane_and_escape_returns(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2", "entropy"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, ChartPane)
        focused = app.focused
        await pilot.press("enter")
        assert app.screen.maximized is focused
        await pilot.press("escape")
        assert app.screen.maximized is None


async def test_o_overlays_the_selected_metrics_scaled_to_one(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2", "recorded.test_acc"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "esc Back" not in app.query_one(KeyBar).text
        await pilot.press("o")
        assert app.query_one("#views").current == "overlay"
        assert "esc Back" in app.query_one(KeyBar).text
        chart = app.query_one("#overlay-chart", MetricChart)
        assert len(chart.lines) == 2
        for line in chart.lines:
            assert min(line.values) == 0.0 and max(line.values) == 1.0
        await pilot.press("escape")
        assert app.query_one("#views").current == "grid"


async def test_l_ranks_the_layers_of_the_focused_metric_by_change(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert isinstance(app.focused, ChartPane)
        await pilot.press("l")
        await pilot.pause()
        assert app.query_one("#views").current == "layers"
        view = app.query_one(LayerView)
        assert view.metric == "l2"
        table = view.query_one("#layer-table")
        ranking = [table.get_row_at(i) for i in range(table.row_count)]
        # fc2's weights quadruple at step 400; fc1 grows by 1% per 100 steps.
        assert ranking[0][1] == "fc2.weight" and ranking[0][4] == "400"
        assert [row[1] for row in ranking] == ["fc2.weight", "fc1.weight", "fc1.bias"]
        await pilot.press("l")
        assert app.query_one("#views").current == "grid"


async def test_l_on_a_metric_without_layers_says_which_have_them(make_app, run_dir):
    app = make_app([run_dir], metrics=["recorded.test_acc"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        assert app.query_one("#views").current == "grid"
        told = [n for n in notifications(app) if "no per-layer values" in n]
        assert told and "L2 Norm" in told[0]


async def test_arrows_move_the_cursor_and_show_the_values_there(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left", "left")
        step = STEPS[-3]
        assert app.session.timeline.cursor_step == step
        table = app.query_one(ValuesTable)
        assert float(table.value_text("l2")) == pytest.approx(l2_norm(step), rel=1e-3)
        assert f"step {step:,}" in str(table.border_title)
        legend = str(app.query_one(ChartPane).query_one(".legend").render())
        assert f"step {step:,}" in legend
        await pilot.press("right")
        assert app.session.timeline.cursor_step == STEPS[-2]


async def test_plus_minus_and_zero_zoom_around_the_cursor(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("left", "left", "left")  # step 400
        await pilot.press("plus")
        assert app.session.timeline.span == (225, 575)
        assert "showing 225–575" in str(app.query_one("#run-header").render())
        chart = app.query_one(ChartPane).query_one(MetricChart)
        assert chart.span == (225, 575)
        await pilot.press("minus")
        assert app.session.timeline.span == (STEPS[0], STEPS[-1])
        await pilot.press("plus", "0")
        assert not app.session.timeline.zoomed


async def test_t_cycles_the_transition_detector(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = list(DETECTORS)
        await pilot.press("t")
        assert app.session.detector == names[1 % len(names)]
        header = str(app.query_one("#run-header").render())
        assert f"detector {names[1 % len(names)]}" in header
        assert any(f"detector: {names[1]}" in n for n in notifications(app))
        for _ in names[1:]:
            await pilot.press("t")
        assert app.session.detector == names[0]


async def test_the_l2_jump_is_marked_as_a_transition(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        steps = [t.step for t in app.session.transitions(0, "l2")]
        assert 400 in steps
        rules = app.query_one(ChartPane).query_one(MetricChart).rules
        assert any(rule.step == 400 and rule.marker == "┆" for rule in rules)


async def test_question_mark_lists_every_binding(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {row[2] for row in app.screen._rows}
        ids = {binding.id for binding in app.BINDINGS}
        assert ids <= listed
        app.redraw()  # values arriving behind the help screen are still drawn
        assert not any("could not be drawn" in n for n in notifications(app))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits_and_cancels_computation(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
        assert app.cancel.is_set()
    assert app.return_code == 0


async def test_keys_can_be_remapped_by_binding_id(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2"], keymap={"overlay": "v"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        assert app.query_one("#views").current == "grid"
        await pilot.press("v")
        assert app.query_one("#views").current == "overlay"
        assert "v Overlay" in app.query_one(KeyBar).text
