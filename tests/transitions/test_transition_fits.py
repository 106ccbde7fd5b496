"""The least-squares pieces checked against plain NumPy fits."""

import numpy as np
import pytest

from phaseviz.transitions import fits
from phaseviz.transitions.noise import isolated_spikes, noise_scale
from phaseviz.transitions.segments import SegmentCosts, partition


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def lstsq_sse(columns, w):
    design = np.stack(columns, axis=1)
    residual = w - design @ np.linalg.lstsq(design, w, rcond=None)[0]
    return float(residual @ residual)


@pytest.fixture
def span(rng):
    u = np.sort(rng.uniform(-1, 1, 40))
    w = rng.normal(size=40)
    return u, w - w.mean()


def test_segment_costs_match_constant_and_line_fits(span):
    u, w = span
    costs = SegmentCosts(u, w, penalty=2.0)

    const, line = costs.sse(np.array([0, 5]), 30)

    for start, got_const, got_line in zip([0, 5], const, line, strict=True):
        part_u, part_w = u[start:30], w[start:30]
        ones = np.ones_like(part_u)
        assert got_const == pytest.approx(lstsq_sse([ones], part_w))
        assert got_line == pytest.approx(lstsq_sse([ones, part_u], part_w))


def test_partition_finds_the_boundaries_of_a_noiseless_staircase():
    z = np.repeat([0.0, 5.0, -3.0], [10, 7, 9])
    x = np.linspace(-0.5, 0.5, len(z))

    assert partition(SegmentCosts(x, z, penalty=1.0), len(z), 3) == [0, 10, 17, 26]


def test_knot_sse_matches_a_fit_at_each_knot(span):
    u, w = span
    first, fraction = fits.knot_candidates(len(u), 3)
    tau = fits.knot_positions(u, first, fraction)

    got = fits.knot_sse(u, w, first, tau)
    rising, falling = fits.flat_knot_sse(u, w, first, tau)

    ones = np.ones_like(u)
    for k in range(0, len(tau), 17):
        assert got[k] == pytest.approx(
            lstsq_sse([ones, u, np.maximum(u - tau[k], 0)], w)
        )
        assert rising[k] == pytest.approx(
            lstsq_sse([ones, np.maximum(u - tau[k], 0)], w)
        )
        assert falling[k] == pytest.approx(
            lstsq_sse([ones, np.maximum(tau[k] - u, 0)], w)
        )


def test_knot_positions_lie_between_neighbouring_points(span):
    u, _ = span
    first, fraction = fits.knot_candidates(len(u), 3)
    tau = fits.knot_positions(u, first, fraction)

    assert np.all(tau <= u[first])
    assert np.all(tau[fraction < 1] > u[first[fraction < 1] - 1])


def test_ramp_sse_finds_the_best_pair_of_knots(span):
    u, w = span
    lefts, rights = np.arange(2, 20), np.arange(15, 37)

    sse, first, second = fits.ramp_sse(u, w, lefts, rights, gap=2)

    ones = np.ones_like(u)
    brute = min(
        (
            lstsq_sse([ones, u, np.maximum(u - u[s], 0), np.maximum(u - u[t], 0)], w),
            s,
            t,
        )
        for s in lefts
        for t in rights
        if t >= s + 2
    )
    assert (sse, first, second) == pytest.approx(brute)


def test_curve_sse_fits_an_exponential_decay_and_a_power_law_exactly():
    u = np.linspace(-1, 1, 50)
    v = (u + 1) / 2
    decay = 3 - 2 * np.exp(-4 * v)
    power = (v + 0.1) ** -0.5

    assert fits.curve_sse(u, decay - decay.mean()) == pytest.approx(0, abs=1e-18)
    assert fits.curve_sse(u, power - power.mean()) == pytest.approx(0, abs=1e-18)


def test_noise_scale_recovers_the_noise_on_uneven_steps(rng):
    x = np.cumsum(rng.exponential(size=2000))
    y = 5 * x + rng.normal(scale=0.3, size=2000)

    assert noise_scale(x, y) == pytest.approx(0.3, rel=0.1)


def test_noise_scale_is_not_inflated_by_jumps(rng):
    x = np.arange(400.0)
    y = rng.normal(size=400) + 50 * (x >= 100) - 80 * (x >= 300)

    assert noise_scale(x, y) == pytest.approx(1.0, rel=0.15)


def test_noise_scale_of_a_noiseless_broken_line_is_zero():
    x = np.arange(50.0)

    assert noise_scale(x, np.where(x < 25, 0.0, 2.0)) == 0
    assert noise_scale(x, 3 * x) == 0


def test_isolated_spikes_finds_lone_outliers_but_not_jumps_or_kinks(rng):
    x = np.sort(rng.uniform(0, 100, 200))
    y = rng.normal(size=200) + 20 * (x > 50) + 0.5 * np.maximum(x - 80, 0)
    y[[40, 120]] += [15, -12]

    spikes = isolated_spikes(x, y, 1.0)

    assert np.flatnonzero(spikes).tolist() == [40, 120]
