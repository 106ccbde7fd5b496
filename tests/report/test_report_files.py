from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from phaseviz.export import read_metrics_csv
from phaseviz.report import export_report
from phaseviz.report.content import collect_report

from reportdata import STEPS, build_results, jump, two_runs_results


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The report of the two runs, written once for the tests that read it."""
    out = tmp_path_factory.mktemp("out")
    return out, export_report(two_runs_results(), out)


def test_writes_the_page_tables_and_a_png_per_metric(written):
    out, files = written

    assert files.html == out / "report.html"
    assert [p.name for p in files.pngs] == ["l2.png", "entropy.png"]
    for png in files.pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 5000
    assert all(path.exists() for path in files.all)


def test_metrics_csv_holds_every_value_of_every_run(written, two_runs):
    _, files = written

    read = read_metrics_csv(files.metrics_csv)
    assert len(read) == 2 * 2 * len(STEPS)
    assert {v.run for v in read} == {"grok", "baseline"}
    assert read[0].value == two_runs[0].values["l2"][0]


def test_transitions_csv_lists_each_runs_jumps(written):
    _, files = written

    rows = list(csv.DictReader(files.transitions_csv.open()))
    found = {(r["run"], r["metric"], int(r["step"]), r["checkpoint"]) for r in rows}
    assert found == {
        ("grok", "l2", STEPS[6], f"ckpt_{STEPS[6]}.pt"),
        ("grok", "entropy", STEPS[6], f"ckpt_{STEPS[6]}.pt"),
        ("baseline", "l2", STEPS[3], f"ckpt_{STEPS[3]}.pt"),
        ("baseline", "entropy", STEPS[9], f"ckpt_{STEPS[9]}.pt"),
    }
    agreement = list(csv.DictReader(files.agreement_csv.open()))
    assert [(a["run"], a["rank"], a["step"]) for a in agreement] == [
        ("grok", "1", str(STEPS[6]))
    ]


def test_the_page_is_self_contained(written):
    html = written[1].html.read_text()

    head = html[: html.index("<script")]
    assert "http://" not in head and "https://" not in head
    assert '<script src="' not in html and "<link" not in html
    assert "Plotly" in html and len(html) > 1_000_000


def test_summary_names_steps_device_and_time(written):
    html = written[1].html.read_text()
    summary = html[html.index('id="summary"') : html.index('id="charts"')]

    assert "grok" in summary and "/runs/grok" in summary
    assert f"0 – {STEPS[-1]}" in summary and "1.2 s" in summary
    assert "unknown" in summary  # the checkpoints of the fixture are not on disk


def test_only_the_metrics_asked_for_in_their_order(two_runs):
    content = collect_report(two_runs, ["entropy", "l2", "missing"])
    assert content.metrics == ["entropy", "l2"]


def test_runs_of_the_same_name_are_told_apart():
    runs = [build_results("run", STEPS, {"l2": jump(6, 1, 2)}) for _ in range(3)]
    content = collect_report(runs)

    assert [r.name for r in content.runs] == ["run", "run#2", "run#3"]
    assert len({(r.color, r.dash) for r in content.runs}) == 3
    assert {t.run for t in content.transitions} == {"run", "run#2", "run#3"}


def test_nan_values_are_gaps_not_zeros(tmp_path: Path):
    values = jump(6, 1.0, 2.0)
    values[2] = math.nan
    files = export_report([build_results("r", STEPS, {"l2": values})], tmp_path)

    html = files.html.read_text()
    assert '"values":[1.0,1.0,null,' in html
