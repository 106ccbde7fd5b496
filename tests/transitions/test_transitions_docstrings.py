import doctest

import pytest

from phaseviz.transitions import detectors, piecewise, threshold


@pytest.mark.parametrize("module", [detectors, piecewise, threshold])
def test_docstring_examples_run(module):
    result = doctest.testmod(module)

    assert result.attempted > 0
    assert result.failed == 0
