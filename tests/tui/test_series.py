"""The chart arithmetic: scaling, gaps, ticks, formats and layer change."""

import math

import pytest

from phaseviz.tui.series import (
    format_step,
    format_tick,
    format_value,
    layer_change,
    nice_ticks,
    normalise,
    rank_layers,
    segments,
    within,
)


def test_normalise_maps_min_to_zero_and_max_to_one_keeping_nan():
    scaled = normalise([2.0, 4.0, math.nan, 3.0])
    assert scaled[0] == 0.0 and scaled[1] == 1.0 and scaled[3] == 0.5
    assert math.isnan(scaled[2])


def test_normalise_puts_a_constant_series_in_the_middle():
    assert normalise([7.0, 7.0]) == [0.5, 0.5]
    assert normalise([3.16085519, 3.16085521]) == [0.5, 0.5]


def test_segments_split_at_non_finite_values():
    pieces = segments([0, 1, 2, 3, 4], [1.0, math.nan, 2.0, 3.0, math.inf])
    assert pieces == [([0], [1.0]), ([2, 3], [2.0, 3.0])]


def test_within_keeps_one_point_either_side_of_the_range():
    assert within([0, 10, 20, 30, 40], [0, 1, 2, 3, 4], 15, 25) == (
        [10, 20, 30],
        [1, 2, 3],
    )
    assert within([0, 10], [0, 1], 50, 60) == ([], [])


@pytest.mark.parametrize(
    ("low", "high", "count", "expected"),
    [
        (0, 1000, 6, [0, 200, 400, 600, 800, 1000]),
        (150, 480, 5, [200, 300, 400]),
        (0.17, 0.86, 3, [0.25, 0.5, 0.75]),
        (3.1607950, 3.1609050, 3, [3.1608, 3.16085, 3.1609]),
    ],
)
def test_nice_ticks_are_at_most_count_round_numbers(low, high, count, expected):
    assert nice_ticks(low, high, count) == expected


def test_format_step_shortens_large_steps():
    assert format_step(950) == "950"
    assert format_step(1500) == "1.5k"
    assert format_step(2000) == "2k"
    assert format_step(20000) == "20k"
    assert format_step(1_200_000) == "1.2M"


def test_format_tick_shows_the_decimals_the_spacing_needs():
    assert format_tick(3.1612, 0.0001) == "3.1612"
    assert format_tick(200.0, 50.0) == "200"
    assert format_tick(0.25, 0.05) == "0.25"
    assert format_tick(0.75, 0.25) == "0.75"
    assert format_tick(3.160825, 0.0000025) == "3.160825"
    assert format_tick(2.5e-7, 1e-8) == "2.5e-07"
    assert format_tick(250_000, 50_000) == "250000"


def test_format_value_uses_scientific_form_far_from_one():
    assert format_value(12.3456) == "12.35"
    assert format_value(1.5e-5) == "1.500e-05"
    assert format_value(None) == "—"
    assert format_value(math.nan) == "NaN"


def test_layer_change_is_relative_to_the_first_value_and_finds_the_biggest_step():
    change = layer_change("fc.weight", [0, 10, 20], [2.0, 3.0, 1.0])
    assert change.total_change == pytest.approx((1.0 + 2.0) / 2.0)
    assert change.biggest_step == 20
    assert change.biggest_change == pytest.approx(1.0)


def test_rank_layers_orders_the_most_moved_first():
    ranked = rank_layers(
        {
            "still": ([0, 1, 2], [1.0, 1.0, 1.01]),
            "moved": ([0, 1, 2], [1.0, 2.0, 4.0]),
        }
    )
    assert [c.layer for c in ranked] == ["moved", "still"]
