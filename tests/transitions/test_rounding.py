from phaseviz.transitions import detect_transitions


def test_a_series_moving_only_by_rounding_has_no_transition():
    steps = list(range(40))
    values = [11.0851 + (1e-9 if i >= 20 else 0.0) + 1e-12 * (i % 3) for i in steps]
    assert detect_transitions(steps, values) == []


def test_a_small_real_jump_is_still_found():
    steps = list(range(40))
    values = [1.0 + (1e-3 if i >= 20 else 0.0) for i in steps]
    assert [t.index for t in detect_transitions(steps, values)] == [20]
