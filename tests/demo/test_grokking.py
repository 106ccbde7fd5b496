"""The quick demo run really groks, and the weight norm shows it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from phaseviz.checkpoints import discover_run
from phaseviz.demo import QUICK_DEMO, accuracy_jump, checkpoint_steps
from phaseviz.engine import ComputeOptions, compute_results
from phaseviz.transitions import detect_transitions


@pytest.fixture(scope="module")
def series(quick_run: Path) -> dict[str, list]:
    run = discover_run(quick_run)
    results = compute_results(
        run,
        ["l2", "recorded.test_acc", "recorded.train_acc"],
        ComputeOptions(device="cpu", cache=False, parallel=False),
    )
    steps, l2 = results.series("l2")
    return {
        "steps": steps,
        "l2": l2,
        "test_acc": results.series("recorded.test_acc")[1],
        "train_acc": results.series("recorded.train_acc")[1],
    }


def test_every_checkpoint_is_saved_with_its_step_and_accuracies(quick_run: Path):
    expected = checkpoint_steps(QUICK_DEMO.steps, QUICK_DEMO.checkpoints)
    run = discover_run(quick_run)

    assert run.steps == expected
    assert not run.skipped
    for checkpoint in run.checkpoints:
        data = torch.load(checkpoint.path, weights_only=True)
        assert data["step"] == checkpoint.step
        assert set(data["model_state_dict"]) == {
            "embed.weight",
            "hidden.weight",
            "hidden.bias",
            "out.weight",
            "out.bias",
        }
        for key in ("train_loss", "train_acc", "test_loss", "test_acc"):
            assert checkpoint.recorded[key] == pytest.approx(data[key])
        assert data["config"] == QUICK_DEMO.recipe.model_args()


def test_training_pairs_are_memorised_long_before_test_accuracy_jumps(series):
    steps, train, test = series["steps"], series["train_acc"], series["test_acc"]
    memorised = next(i for i, acc in enumerate(train) if acc >= 0.99)
    jump = accuracy_jump(steps, test)

    assert jump is not None
    assert test[-1] >= 0.95
    # A real delay: a fifth of the run or more with the training pairs
    # memorised and test accuracy still near chance.
    plateau = range(memorised, jump.index - 2)
    assert len(plateau) >= len(steps) // 5
    assert max(test[i] for i in plateau) < 0.1


def test_weight_norm_falls_as_test_accuracy_jumps(series):
    jump = accuracy_jump(series["steps"], series["test_acc"])
    assert jump is not None
    l2 = series["l2"]

    before, after = l2[max(jump.index - 3, 0)], l2[-1]
    assert after < 0.85 * before


def test_default_detector_finds_an_l2_transition_at_the_jump(series):
    steps = series["steps"]
    jump = accuracy_jump(steps, series["test_acc"])
    assert jump is not None

    found = detect_transitions(steps, series["l2"], "default")

    assert any(abs(t.index - jump.index) <= 1 for t in found), (
        f"jump at checkpoint {jump.index} (step {jump.step}); "
        f"l2 transitions at {[(t.index, t.step) for t in found]}"
    )
