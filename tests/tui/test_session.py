"""The app's session: default selection, progress, and runs that grow."""

from phaseviz.checkpoints import discover_run
from phaseviz.engine import available_metrics
from phaseviz.metrics import BUILTIN, recorded_metric
from phaseviz.tui.session import Session, default_metrics

from tui_support import STEPS, write_run


def test_defaults_add_a_recorded_test_accuracy_over_other_accuracies():
    metrics = [
        *BUILTIN.values(),
        recorded_metric("train_acc"),
        recorded_metric("val_accuracy"),
        recorded_metric("test_acc"),
    ]
    assert default_metrics(metrics) == ["l2", "effective_rank", "recorded.test_acc"]
    assert default_metrics(list(BUILTIN.values())) == ["l2", "effective_rank"]
    fallback = [*BUILTIN.values(), recorded_metric("train_acc")]
    assert default_metrics(fallback)[-1] == "recorded.train_acc"


def test_progress_counts_unreadable_checkpoints_as_settled(run_dir):
    run = discover_run(run_dir)
    session = Session([run], available_metrics(run), ["l2"])
    session.record(0, "l2", 0, 1.0)
    session.unreadable.add((0, 1))
    assert session.progress("l2") == (2, len(STEPS))
    assert session.missing("l2") == [0]


def test_a_grown_run_keeps_the_values_of_unchanged_checkpoints(tmp_path):
    folder = write_run(tmp_path / "runA", steps=STEPS[:3])
    run = discover_run(folder)
    session = Session([run], available_metrics(run), ["l2"])
    for index in range(3):
        session.record(0, "l2", index, float(index), {"fc1.weight": 2.0 * index})

    write_run(folder, steps=[STEPS[3]])
    session.replace_run(0, discover_run(folder))
    assert session.results[0].values["l2"] == {0: 0.0, 1: 1.0, 2: 2.0}
    assert session.results[0].layers["l2"]["fc1.weight"][2] == 4.0
    assert session.missing("l2") == [0]
    assert session.timeline.steps == list(STEPS[:4])


def test_value_at_finds_the_checkpoint_of_a_step(run_dir):
    run = discover_run(run_dir)
    session = Session([run], available_metrics(run), ["l2"])
    session.record(0, "l2", 2, 5.5)
    assert session.value_at(0, "l2", STEPS[2]) == 5.5
    assert session.value_at(0, "l2", STEPS[3]) is None
    assert session.value_at(0, "l2", 12345) is None


def test_a_pane_asked_to_draw_before_it_is_mounted_waits(run_dir):
    from phaseviz.tui.widgets.chart_pane import ChartPane

    run = discover_run(run_dir)
    session = Session([run], available_metrics(run), ["l2"])
    pane = ChartPane("l2")
    pane.update_from(session, computing=True)  # no chart yet: nothing to draw
    assert not pane.is_mounted


def test_all_opens_every_built_in_metric(run_dir):
    from phaseviz.engine import ComputeOptions
    from phaseviz.tui.launch import open_session

    session = open_session([run_dir], ["all"], ComputeOptions(device="cpu"))
    assert session.selected == list(BUILTIN)


def test_runs_whose_folders_share_a_name_are_told_apart(tmp_path):
    folders = [
        write_run(tmp_path / lr / "checkpoints", steps=STEPS[:3])
        for lr in ("lr1e-3", "lr3e-4")
    ]
    runs = [discover_run(folder) for folder in folders]
    session = Session(runs, available_metrics(runs[0]), ["l2"])
    assert session.labels == ["lr1e-3/checkpoints", "lr3e-4/checkpoints"]
