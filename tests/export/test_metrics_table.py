from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from phaseviz.export import read_metrics_csv, write_metrics_csv, write_metrics_json
from phaseviz.results import Value

AWKWARD = [0.1 + 0.2, 1e-300, -2.5e17, math.nan, math.inf, 1 / 3]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_header_is_the_long_form_one(make_results, tmp_path: Path):
    path = tmp_path / "metrics.csv"
    write_metrics_csv([make_results("a", [0, 10], {"l2": [1.0, 2.0]})], path)

    lines = path.read_text().splitlines()
    assert lines[0] == "run,checkpoint,step,metric,value"
    assert lines[1] == "a,step_0.pt,0,l2,1.0"


def test_csv_round_trip_is_exact_and_keeps_nan(make_results, tmp_path: Path):
    steps = list(range(0, 60, 10))
    results = [
        make_results(
            "run, with comma", steps, {"l2": AWKWARD, "entropy": AWKWARD[::-1]}
        ),
        make_results('quote"d', steps[:2], {"l2": [5.0, math.nan]}),
    ]
    path = tmp_path / "metrics.csv"
    write_metrics_csv(results, path)

    expected = [v for r in results for v in r.records()]
    read = read_metrics_csv(path)
    assert len(read) == len(expected)
    for got, want in zip(read, expected, strict=True):
        assert (got.run, got.checkpoint, got.step, got.metric, got.layer) == (
            want.run,
            want.checkpoint,
            want.step,
            want.metric,
            None,
        )
        assert _same(got.value, want.value)
        assert got.value.hex() == want.value.hex() or math.isnan(got.value)


def test_nan_is_written_as_nan(make_results):
    stream = io.StringIO()
    write_metrics_csv([make_results("a", [0], {"l2": [math.nan]})], stream)

    assert stream.getvalue().splitlines()[1].endswith(",nan")


def test_per_layer_adds_a_layer_column_and_rows(make_results):
    results = make_results(
        "a",
        [0, 1],
        {"spectral": [3.0, 4.0]},
        layers={"spectral": {"fc1.weight": [1.5, 2.5], "fc2.weight": [3.0, 4.0]}},
    )
    stream = io.StringIO()
    write_metrics_csv([results], stream, per_layer=True)

    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == ["run", "checkpoint", "step", "metric", "value", "layer"]
    assert rows[1] == ["a", "step_0.pt", "0", "spectral", "3.0", ""]
    assert rows[2] == ["a", "step_0.pt", "0", "spectral", "1.5", "fc1.weight"]
    stream.seek(0)
    read = read_metrics_csv(stream)
    assert read[1] == Value("a", "step_0.pt", 0, "spectral", 1.5, "fc1.weight")
    assert read[0].layer is None
    assert len(read) == 6


def test_reading_another_table_names_its_header(tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")

    with pytest.raises(ValueError, match="other.csv.*a,b"):
        read_metrics_csv(path)


def test_json_has_null_for_nan_and_exact_values(make_results, tmp_path: Path):
    path = tmp_path / "metrics.json"
    write_metrics_json([make_results("a", list(range(6)), {"l2": AWKWARD})], path)

    rows = json.loads(path.read_text())
    assert [r["step"] for r in rows] == list(range(6))
    assert rows[0] == {
        "run": "a",
        "checkpoint": "step_0.pt",
        "step": 0,
        "metric": "l2",
        "value": 0.1 + 0.2,
    }
    assert rows[1]["value"] == 1e-300
    assert rows[3]["value"] is None
    assert rows[4]["value"] == "inf"


def test_json_per_layer_names_the_layer(make_results):
    results = make_results("a", [0], {"l2": [1.0]}, layers={"l2": {"w": [0.5]}})
    stream = io.StringIO()
    write_metrics_json([results], stream, per_layer=True)

    rows = json.loads(stream.getvalue())
    assert [(r["layer"], r["value"]) for r in rows] == [(None, 1.0), ("w", 0.5)]
