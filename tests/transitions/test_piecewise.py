import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phaseviz.transitions import detect_transitions


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def found(steps, values, **options):
    return [(t.index, t.kind) for t in detect_transitions(steps, values, **options)]


def test_a_jump_is_marked_at_the_first_checkpoint_after_it(rng):
    steps = np.arange(60)
    values = rng.normal(size=60) + 6.0 * (steps >= 30)

    (jump,) = detect_transitions(steps, values)

    assert (jump.index, jump.step, jump.kind) == (30, 30, "level")
    assert jump.before == pytest.approx(0.0, abs=1.0)
    assert jump.after == pytest.approx(6.0, abs=1.0)
    assert jump.score > 5


def test_a_knot_on_a_checkpoint_is_marked_at_that_checkpoint(rng):
    steps = np.arange(80)
    values = 0.4 * np.maximum(steps - 40, 0) + 0.01 * rng.normal(size=80)

    (bend,) = detect_transitions(steps, values)

    assert (bend.index, bend.kind) == (40, "slope")
    assert bend.slope_before == pytest.approx(0.0, abs=0.01)
    assert bend.slope_after == pytest.approx(0.4, abs=0.01)


def test_a_knot_between_checkpoints_is_marked_at_the_next_checkpoint(rng):
    steps = np.arange(80)
    values = 0.4 * np.maximum(steps - 40.5, 0) + 0.01 * rng.normal(size=80)

    assert found(steps, values) == [(41, "slope")]


def test_a_noisy_change_of_slope_is_found_within_one_checkpoint(rng):
    steps = np.arange(80)
    values = 0.4 * np.maximum(steps - 40, 0) + rng.normal(size=80)

    ((index, kind),) = found(steps, values)

    assert kind == "slope"
    assert abs(index - 40) <= 1


def test_a_jump_and_a_later_bend_are_both_found(rng):
    steps = np.arange(90)
    values = 8.0 * (steps >= 25) - 0.5 * np.maximum(steps - 60, 0)
    values = values + rng.normal(size=90)

    assert found(steps, values) == [(25, "level"), (60, "slope")]


def test_a_grokking_weight_norm_is_marked_where_its_decline_steepens(rng):
    steps = np.arange(0, 6000, 100)
    norm = 10 + 2e-4 * steps - 2e-3 * np.maximum(steps - 3500, 0)
    norm = norm + 0.02 * rng.normal(size=len(steps))

    (onset,) = detect_transitions(steps, norm)

    assert onset.kind == "slope"
    assert abs(onset.step - 3500) <= 100
    assert onset.slope_before == pytest.approx(2e-4, abs=1e-4)
    assert onset.slope_after == pytest.approx(-1.8e-3, abs=2e-4)


@pytest.mark.parametrize(
    "curve",
    [
        lambda s: np.exp(-s / 25),
        lambda s: np.sqrt(s + 1),
        lambda s: 1 - np.exp(-s / 10),
        lambda s: 0.3 * s,
    ],
    ids=["decay", "sqrt", "saturation", "line"],
)
def test_smooth_curves_have_no_transition(rng, curve):
    steps = np.arange(100)
    values = curve(steps)
    spread = np.ptp(values)

    assert found(steps, values) == []
    assert found(steps, values + 3e-3 * spread * rng.normal(size=100)) == []


def test_pure_noise_has_no_transition(rng):
    assert found(np.arange(200), rng.normal(size=200)) == []


def test_log_spaced_steps_are_fitted_along_log_step(rng):
    steps = np.unique(np.round(np.geomspace(10, 1e6, 60)))
    log_step = np.log(steps)
    noise = 0.05 * rng.normal(size=len(steps))

    assert found(steps, 2 * log_step + noise) == []
    kink = 2 * log_step - 3 * np.maximum(log_step - np.log(1e4), 0) + noise
    ((index, kind),) = found(steps, kink)
    assert kind == "slope"
    assert abs(steps[index] - 1e4) / 1e4 < 0.25


def test_uneven_steps_keep_the_jump_at_its_checkpoint(rng):
    steps = np.cumsum(rng.integers(1, 200, size=50))
    values = rng.normal(size=50) + 7.0 * (np.arange(50) >= 20)

    assert found(steps, values) == [(20, "level")]


def test_a_mean_weight_near_zero_with_tiny_noise_keeps_its_jump(rng):
    steps = np.arange(100)
    values = 1e-4 + 1e-7 * rng.normal(size=100) + 6e-7 * (steps >= 55)

    (jump,) = detect_transitions(steps, values)

    assert jump.index == 55
    assert jump.after - jump.before == pytest.approx(6e-7, rel=0.3)


def _two_changes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    steps = np.arange(0, 9000, 100)
    values = 8.0 * (steps >= 2500) - 0.005 * np.maximum(steps - 6000, 0)
    return steps, values + rng.normal(size=len(steps))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scale=st.floats(1e-6, 1e6) | st.floats(-1e6, -1e-6),
    offset=st.floats(-1e3, 1e3),
)
def test_scaling_and_shifting_the_values_changes_nothing(scale, offset):
    steps, values = _two_changes()
    base = detect_transitions(steps, values)

    moved = detect_transitions(steps, scale * values + offset * abs(scale))

    assert [(t.index, t.kind) for t in moved] == [(t.index, t.kind) for t in base]
    for old, new in zip(base, moved, strict=True):
        assert new.score == pytest.approx(old.score, rel=1e-6)
        assert new.before == pytest.approx(scale * old.before + offset * abs(scale))


def test_nan_values_are_left_out_and_indices_stay_those_of_the_input(rng):
    steps = np.arange(60)
    values = rng.normal(size=60) + 6.0 * (steps >= 30)
    values[[3, 29, 30, 41]] = math.nan

    assert found(steps, values) == [(31, "level")]


def test_a_series_that_is_all_nan_or_constant_has_no_transition():
    assert found(range(20), [math.nan] * 20) == []
    assert found(range(20), [3.5] * 20) == []
    assert found(range(20), [1e6 + 1e-9 * (i % 2) for i in range(20)]) == []


@pytest.mark.parametrize("length", [0, 1, 2, 5])
def test_series_too_short_for_two_regimes_have_no_transition(length):
    assert found(list(range(length)), [float(i % 2) for i in range(length)]) == []


def test_steps_in_any_order_give_the_same_transitions_at_the_input_positions(rng):
    steps = np.arange(60)
    values = rng.normal(size=60) + 6.0 * (steps >= 30)
    order = rng.permutation(60)

    (jump,) = detect_transitions(steps[order], values[order])

    assert jump.step == 30
    assert order[jump.index] == 30


def test_repeated_steps_are_averaged(rng):
    steps = np.arange(60)
    values = rng.normal(size=60) + 6.0 * (steps >= 30)
    doubled_steps = np.concatenate([steps, [45, 45]])
    doubled_values = np.concatenate([values, [values[45] - 1, values[45] + 1]])

    (jump,) = detect_transitions(doubled_steps, doubled_values)

    assert (jump.index, jump.step) == (30, 30)


def test_higher_sensitivity_finds_weaker_changes():
    counts = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        steps = np.arange(60)
        values = rng.normal(size=60) + 2.2 * (steps >= 30)
        counts.append(
            [len(found(steps, values, sensitivity=s)) for s in (0.5, 1, 2, 4)]
        )

    assert all(row == sorted(row) for row in counts)
    assert sum(row[0] for row in counts) < sum(row[-1] for row in counts)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sensitivity": 0}, "sensitivity"),
        ({"sensitivity": math.inf}, "sensitivity"),
        ({"min_size": 1}, "min_size"),
        ({"min_size": 2.5}, "min_size"),
        ({"x": "sqrt"}, "x axis"),
    ],
)
def test_options_out_of_range_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        detect_transitions(range(10), [float(i) for i in range(10)], **options)


def test_a_larger_min_size_keeps_regimes_longer(rng):
    steps = np.arange(40)
    values = rng.normal(size=40) + 8.0 * (steps >= 36)

    assert found(steps, values) == [(36, "level")]
    assert all(index <= 35 for index, _ in found(steps, values, min_size=5))


def test_a_single_checkpoint_far_off_its_neighbours_is_not_a_regime(rng):
    steps = np.arange(100)
    values = rng.normal(size=100) + 8.0 * (steps >= 60)
    values[30] -= 25

    assert found(steps, values) == [(60, "level")]


def test_a_burst_of_two_checkpoints_is_a_short_regime(rng):
    steps = np.arange(100)
    values = rng.normal(size=100)
    values[50:52] += 15

    indices = [index for index, _ in found(steps, values)]

    assert len(indices) == 2
    assert 48 <= indices[0] <= 50 < 51 <= indices[1] <= 53
