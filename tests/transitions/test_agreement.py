import math

import pytest

from phaseviz.transitions import IDENTICAL_METRICS, Transition, agreement

STEPS = [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]


def at(index: int, score: float = 1.0) -> Transition:
    return Transition(
        step=STEPS[index], index=index, score=score, before=0.0, after=1.0
    )


def test_transitions_within_the_tolerance_are_grouped():
    (found,) = agreement({"l2": [at(4)], "entropy": [at(5)]}, STEPS)

    assert found.metrics == ("entropy", "l2")
    assert found.index in (4, 5)
    assert found.step == STEPS[found.index]


def test_transitions_further_apart_than_the_tolerance_are_not_grouped():
    transitions = {"l2": [at(2)], "entropy": [at(5)]}

    assert agreement(transitions, STEPS) == []
    assert len(agreement(transitions, STEPS, tolerance=3)) == 1


def test_tolerance_zero_needs_the_same_checkpoint():
    assert agreement({"l2": [at(4)], "entropy": [at(5)]}, STEPS, tolerance=0) == []
    (found,) = agreement({"l2": [at(4)], "entropy": [at(4)]}, STEPS, tolerance=0)
    assert found.index == 4


def test_more_metrics_rank_before_stronger_ones():
    transitions = {
        "l2": [at(2, 1.0), at(7, 9.0)],
        "entropy": [at(2, 1.0), at(7, 9.0)],
        "variance": [at(2, 1.0)],
    }

    first, second = agreement(transitions, STEPS)

    assert (first.index, len(first.metrics)) == (2, 3)
    assert (second.index, len(second.metrics)) == (7, 2)
    assert first.score > second.score


def test_among_equal_counts_the_stronger_changes_rank_first():
    transitions = {
        "l2": [at(2, 1.0), at(7, 10.0)],
        "entropy": [at(2, 2.0), at(7, 20.0)],
    }

    first, second = agreement(transitions, STEPS)

    assert (first.index, second.index) == (7, 2)
    assert 2 < second.score < first.score <= 3


def test_scores_are_compared_within_each_metric_not_across():
    transitions = {
        "l2": [at(2, 1e6), at(7, 2e6)],
        "entropy": [at(2, 0.002), at(7, 0.001)],
    }

    first, second = agreement(transitions, STEPS)

    assert first.score == pytest.approx(2 + (1.0 + 0.5) / 2)
    assert second.score == pytest.approx(2 + (0.5 + 1.0) / 2)


def test_keys_of_one_quantity_count_once():
    transitions = {"l2": [at(4)], "weight_norm": [at(4)]}

    assert IDENTICAL_METRICS["weight_norm"] == "l2"
    assert agreement(transitions, STEPS) == []
    (found,) = agreement(transitions, STEPS, aliases={})
    assert found.metrics == ("l2", "weight_norm")


def test_aliases_still_list_every_key_that_changes():
    transitions = {"l2": [at(4)], "weight_norm": [at(4)], "entropy": [at(5)]}

    (found,) = agreement(transitions, STEPS)

    assert found.metrics == ("entropy", "l2", "weight_norm")
    assert 2 < found.score <= 3


def test_each_transition_joins_one_agreement_only():
    transitions = {"l2": [at(3), at(4)], "entropy": [at(4)], "variance": [at(5)]}

    found = agreement(transitions, STEPS)

    assert len(found) == 1
    assert found[0].index == 4
    assert set(found[0].metrics) == {"l2", "entropy", "variance"}


def test_transitions_are_placed_by_step_so_partial_series_line_up():
    partial = Transition(step=500, index=1, score=1.0, before=0.0, after=1.0)

    (found,) = agreement({"l2": [at(5)], "entropy": [partial]}, STEPS)

    assert found.index == 5


def test_an_infinite_threshold_score_counts_as_the_strongest():
    transitions = {"mean": [at(3, math.inf), at(6, 0.5)], "l2": [at(3), at(6)]}

    first, second = agreement(transitions, STEPS)

    assert first.index == 3
    assert math.isfinite(first.score)


def test_no_or_single_metric_transitions_give_no_agreement():
    assert agreement({}, STEPS) == []
    assert agreement({"l2": [at(3), at(4)], "entropy": []}, STEPS) == []


def test_negative_tolerance_is_refused():
    with pytest.raises(ValueError, match="tolerance"):
        agreement({"l2": [at(3)]}, STEPS, tolerance=-1)


def test_a_duplicate_key_does_not_pull_the_agreement_towards_itself():
    transitions = {
        "l2": [at(4)],
        "weight_norm": [at(4)],
        "entropy": [at(5)],
        "effective_rank": [at(5)],
    }

    (found,) = agreement(transitions, STEPS)

    assert found.index == 5
