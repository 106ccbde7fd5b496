import math

import pytest

from phaseviz.transitions.threshold import threshold_transitions


def test_marks_changes_above_twenty_percent_of_the_previous_value():
    found = threshold_transitions([0, 1, 2, 3, 4], [10.0, 11.0, 14.0, 14.0, 5.0])

    assert [t.index for t in found] == [2, 4]
    assert found[0].score == pytest.approx(3 / 11)
    assert (found[1].before, found[1].after) == (14.0, 5.0)
    assert all(t.kind == "relative" for t in found)


def test_a_change_of_exactly_the_threshold_is_not_a_transition():
    assert threshold_transitions([0, 1], [10.0, 12.0]) == []
    assert [t.index for t in threshold_transitions([0, 1], [10.0, 12.5])] == [1]


def test_the_relative_change_uses_the_magnitude_of_negative_values():
    found = threshold_transitions([0, 1, 2], [-10.0, -13.0, -13.5])

    assert [t.index for t in found] == [1]
    assert found[0].score == pytest.approx(0.3)


def test_leaving_zero_is_an_infinite_change_and_staying_at_zero_is_none():
    found = threshold_transitions([0, 1, 2, 3], [0.0, 0.0, 1e-9, 1e-9])

    assert [t.index for t in found] == [2]
    assert math.isinf(found[0].score)


def test_threshold_option_changes_the_rule():
    values = [1.0, 1.1, 1.3]

    assert [t.index for t in threshold_transitions([0, 1, 2], values)] == []
    found = threshold_transitions([0, 1, 2], values, threshold=0.05)
    assert [t.index for t in found] == [1, 2]


def test_nan_is_skipped_and_indices_stay_those_of_the_input():
    found = threshold_transitions([0, 1, 2, 3], [1.0, math.nan, 1.05, 2.0])

    assert [t.index for t in found] == [3]
    assert found[0].before == 1.05


def test_steps_out_of_order_are_compared_in_step_order():
    found = threshold_transitions([20, 0, 10], [5.0, 1.0, 1.0])

    assert [(t.step, t.index) for t in found] == [(20, 0)]


@pytest.mark.parametrize("threshold", [-0.1, math.nan, math.inf])
def test_a_threshold_that_is_not_a_finite_non_negative_number_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        threshold_transitions([0, 1], [1.0, 2.0], threshold=threshold)
