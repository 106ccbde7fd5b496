"""The log step axis of the report: chosen for log-spaced runs, toggled on the page."""

from __future__ import annotations

import pytest

from phaseviz.report import export_report
from phaseviz.report.content import collect_report, step_axis
from phaseviz.report.png import draw_metric

from reportdata import STEPS, build_results, jump

LOG_STEPS = [0] + [round(10 * 1.5**k) for k in range(12)]  # 0, 10, 15, ..., 865
POSITIVE_LOG_STEPS = LOG_STEPS[1:]


def log_run(steps=LOG_STEPS, name="logrun"):
    """A run saved evenly in log(step) whose l2 jumps at the eighth checkpoint."""
    return build_results(
        name, steps, {"l2": jump(7, 1.0, 5.0, len(steps))}, {"l2": "L2 Norm"}
    )


def even_run():
    return build_results("even", STEPS, {"l2": jump(6, 1.0, 5.0)}, {"l2": "L2 Norm"})


def test_log_spaced_runs_get_a_log_axis_and_the_step_zero_offset():
    assert step_axis([LOG_STEPS]) == (True, 10.0)
    assert step_axis([POSITIVE_LOG_STEPS]) == (True, 0.0)
    assert step_axis([STEPS]) == (False, 10.0)
    assert step_axis([LOG_STEPS, STEPS]) == (False, 10.0)
    assert step_axis([]) == (False, 0.0)


def test_collected_content_carries_the_axis_choice():
    assert collect_report([log_run()]).log_steps
    assert not collect_report([even_run()]).log_steps
    assert not collect_report([log_run(), even_run()]).log_steps


@pytest.mark.parametrize(
    ("steps", "scale"),
    [(POSITIVE_LOG_STEPS, "log"), (LOG_STEPS, "symlog"), (STEPS, "linear")],
)
def test_png_charts_use_a_log_scale_for_log_spaced_runs(steps, scale):
    from matplotlib.figure import Figure

    run = log_run(steps) if steps is not STEPS else even_run()
    content = collect_report([run])
    axes = Figure().add_subplot()
    draw_metric(axes, content, "l2")
    assert axes.get_xscale() == scale
    # Transition markers stay at their steps whatever the scale.
    marked = [line.get_xdata()[0] for line in axes.get_lines()[1:]]
    assert marked == [t.step for t in content.transitions_of("l2")]


AXES_STATE = """() => [...document.querySelectorAll('.card .chart')].map(d => {
  const xaxis = d._fullLayout.xaxis;
  const marks = d.data.find(t => t.mode === 'markers');
  return {
    type: xaxis.type,
    x: d.data[0].x,
    ticktext: xaxis.ticktext || null,
    shapes: d._fullLayout.shapes.map(s => s.x0),
    marks: marks ? marks.x : [],
    steps: marks ? marks.customdata.map(c => c[7]) : [],
  };
})"""


@pytest.mark.browser
def test_log_step_toggle_switches_every_chart(offline, tmp_path):
    files = export_report([log_run(), log_run(name="second")], tmp_path / "r")
    page = offline.context.new_page()
    page.goto(files.html.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20000)
    assert page.get_attribute("#axis-log", "aria-pressed") == "true"

    charts = page.evaluate(AXES_STATE)
    assert [c["type"] for c in charts] == ["log"]
    (chart,) = charts
    # Drawn at step + 10, labelled with the steps themselves.
    assert chart["x"] == [s + 10 for s in LOG_STEPS]
    assert chart["ticktext"][0] == "0" and "100" in chart["ticktext"]
    assert chart["steps"] and chart["marks"] == [s + 10 for s in chart["steps"]]
    assert chart["shapes"][: len(chart["marks"])] == pytest.approx(chart["marks"])

    page.click("#axis-log")
    page.wait_for_selector("body[data-ready=true][data-axis=linear]")
    assert page.get_attribute("#axis-log", "aria-pressed") == "false"
    (chart,) = page.evaluate(AXES_STATE)
    assert chart["type"] == "linear" and chart["x"] == LOG_STEPS
    assert chart["marks"] == chart["steps"]

    page.click("#view-overlay")
    page.click("#axis-log")
    page.wait_for_selector("body[data-ready=true][data-axis=log]")
    overlay = page.evaluate(
        "document.getElementById('overlay-chart')._fullLayout.xaxis.type"
    )
    assert overlay == "log"
    assert [c["type"] for c in page.evaluate(AXES_STATE)] == ["log"]


@pytest.mark.browser
def test_an_evenly_spaced_run_opens_on_a_linear_axis(offline, tmp_path):
    files = export_report([even_run()], tmp_path / "r")
    page = offline.context.new_page()
    page.goto(files.html.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20000)
    assert page.get_attribute("#axis-log", "aria-pressed") == "false"
    (chart,) = page.evaluate(AXES_STATE)
    assert chart["type"] == "linear" and chart["x"] == STEPS

    page.click("#axis-log")
    page.wait_for_selector("body[data-ready=true][data-axis=log]")
    (chart,) = page.evaluate(AXES_STATE)
    assert chart["type"] == "log"
    assert chart["marks"] == [s + 10 for s in chart["steps"]]
