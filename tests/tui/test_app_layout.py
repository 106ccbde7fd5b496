"""Several runs on one chart, and a layout that follows the terminal's size."""

from phaseviz.tui.widgets.chart import MetricChart
from phaseviz.tui.widgets.chart_grid import ChartGrid, columns_for
from phaseviz.tui.widgets.chart_pane import ChartPane
from phaseviz.tui.widgets.layer_view import LayerView
from phaseviz.tui.widgets.values_table import ValuesTable

from tui_support import SIZE, STEPS, settle, write_run


async def test_several_runs_share_each_pane_in_distinct_styles(make_app, tmp_path):
    run_a = write_run(tmp_path / "runA")
    run_b = write_run(tmp_path / "runB", steps=STEPS[:5])
    app = make_app([run_a, run_b], metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = app.query_one(ChartPane).query_one(MetricChart).lines
        assert [len(line.steps) for line in lines] == [len(STEPS), 5]
        # Told apart by character as well as colour, for terminals without colour.
        assert lines[0].marker != lines[1].marker
        assert lines[0].color != lines[1].color
        legend = str(app.query_one(ChartPane).query_one(".legend").render())
        assert "runA" in legend and "runB" in legend
        table = app.query_one(ValuesTable)
        assert table.value_text("l2", 0) != "—"
        assert table.value_text("l2", 1) == "—"  # runB has no checkpoint at 700


async def test_r_moves_the_layer_view_to_the_next_run(make_app, tmp_path):
    runs = [write_run(tmp_path / "runA"), write_run(tmp_path / "runB")]
    app = make_app(runs, metrics=["l2"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        view = app.query_one(LayerView)
        assert view.run_index == 0 and "runA" in str(view.border_title)
        await pilot.press("r")
        assert view.run_index == 1 and "runB" in str(view.border_title)


def test_columns_follow_the_width():
    assert columns_for(60, 3) == 1
    assert columns_for(100, 3) == 2
    assert columns_for(67, 3) == 1
    assert columns_for(200, 3) == 3
    assert columns_for(200, 1) == 1


async def test_the_grid_adapts_when_the_terminal_is_resized(make_app, run_dir):
    app = make_app([run_dir], metrics=["l2", "entropy", "variance"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        grid = app.query_one(ChartGrid)
        assert grid.styles.grid_size_columns == 1
        assert app.query_one("#sidebar").has_class("narrow")
        assert all(pane.region.width > 40 for pane in grid.panes)

        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert grid.styles.grid_size_columns == 3
        assert not app.query_one("#sidebar").has_class("narrow")
