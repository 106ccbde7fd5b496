from __future__ import annotations

import csv
import io
import math

from phaseviz.export import (
    AgreementRow,
    TransitionRow,
    detect_run_transitions,
    write_agreement_csv,
    write_transitions_csv,
)

STEPS = list(range(0, 400, 10))


def _jump(at: int, low: float = 1.0, high: float = 3.0) -> list[float]:
    return [low if i < at else high for i in range(len(STEPS))]


def test_transitions_csv_has_its_columns_and_exact_numbers():
    rows = [
        TransitionRow("a", "l2", 200, "step_200.pt", 12.5, 1.0, 0.1 + 0.2, "level"),
        TransitionRow("a,b", "entropy", 30, "x.pt", math.nan, 2.0, 1.0, "slope"),
    ]
    stream = io.StringIO()
    write_transitions_csv(rows, stream)

    lines = stream.getvalue().splitlines()
    assert lines[0] == "run,metric,step,checkpoint,score,before,after,kind"
    assert lines[1] == "a,l2,200,step_200.pt,12.5,1.0,0.30000000000000004,level"
    assert lines[2] == '"a,b",entropy,30,x.pt,nan,2.0,1.0,slope'


def test_agreement_csv_joins_the_metrics():
    stream = io.StringIO()
    write_agreement_csv(
        [AgreementRow("a", 1, 200, "s.pt", ("l2", "entropy"), 2.5)], stream
    )

    assert stream.getvalue().splitlines() == [
        "run,rank,step,checkpoint,metrics,score",
        "a,1,200,s.pt,l2;entropy,2.5",
    ]


def test_detects_each_metric_and_where_they_agree(make_results):
    results = make_results(
        "run",
        STEPS,
        {"l2": _jump(20), "entropy": _jump(20, 5.0, 2.0), "flat": [1.0] * len(STEPS)},
    )

    rows, agreements = detect_run_transitions(results)

    assert {(r.metric, r.step, r.checkpoint) for r in rows} == {
        ("l2", 200, "step_200.pt"),
        ("entropy", 200, "step_200.pt"),
    }
    l2 = next(r for r in rows if r.metric == "l2")
    assert l2.before < l2.after and l2.run == "run"
    assert len(agreements) == 1
    assert agreements[0].rank == 1 and agreements[0].step == 200
    assert set(agreements[0].metrics) == {"l2", "entropy"}


def test_failed_checkpoints_do_not_shift_the_checkpoint_named(make_results):
    values = _jump(20)
    values[3] = values[7] = math.nan
    results = make_results("run", STEPS, {"l2": values})

    rows, _ = detect_run_transitions(results, ["l2"])

    assert [(r.step, r.checkpoint) for r in rows] == [(200, "step_200.pt")]


def test_transitions_written_from_detection_read_back(make_results):
    results = make_results("run", STEPS, {"l2": _jump(20)})
    rows, _ = detect_run_transitions(results)
    stream = io.StringIO()
    write_transitions_csv(rows, stream)

    read = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert len(read) == 1
    assert float(read[0]["score"]) == rows[0].score
    assert read[0]["kind"] == rows[0].kind
