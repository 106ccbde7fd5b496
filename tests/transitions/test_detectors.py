import pytest

from phaseviz.transitions import DETECTORS, detect_transitions, detector_names


def test_the_registry_names_the_default_and_threshold_detectors():
    assert detector_names()[0] == "default"
    assert set(detector_names()) == {"default", "threshold"}
    assert set(DETECTORS) == set(detector_names())


def test_an_unknown_detector_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown detector 'pelt'.*default.*threshold"):
        detect_transitions([0, 1, 2], [1.0, 2.0, 3.0], "pelt")


def test_an_option_the_detector_lacks_is_refused_with_its_options():
    with pytest.raises(TypeError, match="'sensitivity'.*threshold"):
        detect_transitions([0, 1], [1.0, 2.0], "threshold", sensitivity=2.0)


def test_options_reach_the_chosen_detector():
    steps, values = [0, 1, 2], [1.0, 1.1, 1.3]

    assert detect_transitions(steps, values, "threshold") == []
    found = detect_transitions(steps, values, "threshold", threshold=0.05)
    assert [t.index for t in found] == [1, 2]


def test_steps_and_values_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        detect_transitions([0, 1, 2], [1.0, 2.0])
