"""The report page in headless Chromium with the network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from phaseviz.report import export_report
from phaseviz.report.cleanup import CleanupServer

from reportdata import STEPS, Offline, build_results, jump, two_runs_results

pytestmark = pytest.mark.browser

CHARTS_STATE = """() => [...document.querySelectorAll('.card .chart')].map(d => ({
  drawn: !!d._fullLayout && d.querySelectorAll('.main-svg').length > 0,
  names: d.data.map(t => t.name),
  x: d.data[0].x,
  shapes: d._fullLayout.shapes.length,
  xrange: d._fullLayout.xaxis.range,
}))"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return export_report(two_runs_results(), out, metrics=["l2", "entropy"])


@pytest.fixture(scope="module")
def shared(browser, report):
    """One loaded report for the tests below; loading plotly takes seconds."""
    context = Offline(browser)
    page = _load(context, report.html)
    yield context, page
    context.context.close()


@pytest.fixture
def page(shared):
    """The shared report page, back in its first state."""
    context, page = shared
    context.blocked.clear()
    page.keyboard.press("Escape")
    page.click("#view-individual")
    for box in page.locator("input.metric-toggle").all():
        box.check()
    return page


def _load(context: Offline, path: Path):
    page = context.context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20000)
    return page


def test_charts_render_offline_against_step(shared):
    context, page = shared

    charts = page.evaluate(CHARTS_STATE)
    assert [c["drawn"] for c in charts] == [True, True]
    assert charts[0]["x"] == STEPS
    assert charts[0]["xrange"][0] <= 0 and charts[0]["xrange"][1] >= 800
    assert "grok" in charts[0]["names"] and "baseline" in charts[0]["names"]
    # One dotted vertical marker per transition of each run.
    assert charts[0]["shapes"] == 2
    assert context.blocked == []


def test_hover_shows_the_value_and_checkpoint(page):
    page.evaluate("""() => {
      const div = document.querySelector('.card .chart');
      Plotly.Fx.hover(div, [{curveNumber: 0, pointNumber: 7}]);
    }""")
    label = page.evaluate(
        "document.querySelector('.card .chart .hoverlayer').textContent"
    )
    assert "ckpt_300.pt" in label and "step 300" in label


def test_toggle_switches_to_the_overlay_of_selected_metrics(page):
    page.click("#view-overlay")
    page.wait_for_function("document.getElementById('overlay-chart')._fullLayout")
    assert page.is_hidden("#individual") and page.is_visible("#overlay")
    ys = page.evaluate("""() => document.getElementById('overlay-chart').data
        .filter(t => t.mode !== 'markers').map(t => t.y)""")
    assert len(ys) == 4  # two metrics x two runs
    flat = [y for trace in ys for y in trace]
    assert min(flat) == 0 and max(flat) == 1

    page.uncheck("input.metric-toggle[data-index='1']")
    count = page.evaluate("document.getElementById('overlay-chart').data.length")
    assert count == 2
    page.click("#view-individual")
    assert page.is_visible("#individual") and page.is_hidden(
        "figure.card[data-index='1']"
    )


def test_clicking_a_chart_expands_it_and_escape_closes(page):
    page.click("#chart-1", position={"x": 200, "y": 150})
    page.wait_for_selector("#modal:not([hidden])")
    assert page.inner_text("#modal-title") == "Weight Entropy"
    assert page.evaluate("!!document.getElementById('modal-chart')._fullLayout")

    page.keyboard.press("Escape")
    page.wait_for_selector("#modal", state="hidden")
    assert page.evaluate("!document.getElementById('modal-chart')._fullLayout")


def test_csv_download_is_the_long_form_table(page, report):
    with page.expect_download() as download:
        page.click("#download-csv")
    saved = Path(download.value.path())
    assert download.value.suggested_filename == "metrics.csv"
    assert saved.read_text() == report.metrics_csv.read_text()


def test_png_download_of_a_chart(page):
    with page.expect_download() as download:
        page.click("figure.card[data-index='0'] button.png")
    assert download.value.suggested_filename == "phaseviz-l2.png"
    assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_user_strings_cannot_inject_markup(offline, tmp_path: Path):
    evil = "<img src=x onerror=window.__pwned=1>"
    key = "</script><script>window.__pwned=2</script>"
    results = build_results(evil, STEPS, {key: jump(6, 1.0, 4.0)}, {key: evil})
    files = export_report([results], tmp_path / "r")

    page = _load(offline, files.html)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    assert evil in page.inner_text("#summary")
    assert page.evaluate("document.querySelector('.card .chart').data[0].name") == (
        "&lt;img src=x onerror=window.__pwned=1&gt;"
    )


def test_served_page_draws_under_the_servers_policy(browser, report):
    with CleanupServer(report.html.read_text(), grace=0.05) as server:
        context = Offline(browser, allowed=(f"http://127.0.0.1:{server.port}/",))
        page = context.context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else 0)
        page.goto(server.url)
        page.wait_for_selector("body[data-ready=true]", timeout=20000)

        assert all(c["drawn"] for c in page.evaluate(CHARTS_STATE))
        assert errors == [] and context.blocked == []
        page.close()
        assert server.closed.wait(5)
        context.context.close()
