from __future__ import annotations

import pytest

from phaseviz.demo import accuracy_jump, checkpoint_name, checkpoint_steps


def test_jump_is_the_first_checkpoint_past_the_midpoint_of_the_rise():
    steps = [0, 10, 20, 30, 40, 50]
    jump = accuracy_jump(steps, [0.0, 0.0, 0.1, 0.45, 0.8, 1.0])

    assert jump is not None
    assert (jump.index, jump.step) == (4, 40)
    assert (jump.low, jump.high, jump.before, jump.after) == (0.0, 1.0, 0.45, 0.8)


def test_jump_is_measured_from_the_plateau_not_the_accuracy_at_start():
    # Accuracy can start above the memorisation plateau, and the jump comes
    # after the plateau: the first checkpoint is not the jump.
    jump = accuracy_jump([0, 1, 2, 3, 4], [0.6, 0.0, 0.0, 0.55, 1.0])

    assert jump is not None
    assert (jump.step, jump.low) == (3, 0.0)


def test_no_jump_when_accuracy_never_rises_by_half():
    assert accuracy_jump([0, 1, 2], [0.01, 0.2, 0.4]) is None
    assert accuracy_jump([], []) is None


def test_jump_needs_one_accuracy_per_step():
    with pytest.raises(ValueError, match="differ in length"):
        accuracy_jump([0, 1], [0.5])


def test_checkpoints_are_spread_evenly_in_log_step_after_step_zero():
    steps = checkpoint_steps(1000, 5)

    assert steps == [0, 10, 46, 215, 1000]
    ratios = [b / a for a, b in zip(steps[1:], steps[2:], strict=False)]
    assert max(ratios) / min(ratios) < 1.02
    assert checkpoint_name(120) == "step_000120.pt"


def test_early_checkpoints_that_round_to_one_step_are_pushed_apart():
    steps = checkpoint_steps(2500, 60)

    assert len(steps) == 60 and steps[-1] == 2500
    assert all(b > a for a, b in zip(steps, steps[1:], strict=False))


def test_more_checkpoints_than_steps_allow_is_refused():
    with pytest.raises(ValueError, match="cannot spread 5 checkpoints over 12"):
        checkpoint_steps(12, 5)
