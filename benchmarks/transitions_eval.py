"""How well each transition detector finds planted transitions.

Generates a fixed suite of synthetic metric series with known transitions
(jumps, changes of slope, both, grokking-like declines) and series with
none (noise around a constant, a line or a smooth curve), at several
signal-to-noise levels, lengths from 10 to 500, even, random and log
spacing, and a random scale and offset per series (some near zero with
tiny noise, like a mean weight). Prints precision, recall and F1 at a
tolerance of one checkpoint for every detector, false alarms per series
without a transition, and a breakdown for the default detector.

Run: .venv/bin/python benchmarks/transitions_eval.py [--quick] [--seed N]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from phaseviz.transitions import DETECTORS, detect_transitions

TOLERANCE = 1
# A looser tolerance, printed beside the main one, to show how much of the
# shortfall is placing a change rather than finding it.
LOOSE_TOLERANCE = 3
LENGTHS = (10, 15, 20, 30, 50, 80, 120, 200, 350, 500)
SPACINGS = ("even", "random", "log")
# Size of a planted change in noise standard deviations σ, by difficulty.
# A jump's height:
JUMP_SIZES = {"clear": (8.0, 15.0), "moderate": (5.0, 8.0), "hard": (3.0, 5.0)}
# A change of slope is sized twice, and the larger slope change is planted:
# by the gap the new trend opens over the shorter neighbouring regime, which
# decides whether it can be seen at all,
BEND_SIZES = {"clear": (20.0, 40.0), "moderate": (10.0, 20.0), "hard": (6.0, 10.0)}
# and by the change of slope per checkpoint, which decides whether it can be
# placed within one checkpoint: a bend of 0.1 σ per checkpoint over a
# regime of 300 checkpoints is plain to see but cannot be pinned to one.
BEND_RATES = {"clear": 1.0, "moderate": 0.5, "hard": 0.25}


@dataclass
class Case:
    """One synthetic series and the checkpoints where its regimes begin."""

    family: str
    band: str
    spacing: str
    steps: np.ndarray
    values: np.ndarray
    truth: list[int]
    shape: str = ""
    noise: float = 0.0


@dataclass
class Tally:
    """Matches of one detector on a group of cases."""

    true: int = 0
    found: int = 0
    matched: int = 0
    matched_loosely: int = 0
    quiet_series: int = 0
    false_alarms: int = 0
    seconds: float = 0.0

    def add(self, truth: list[int], found: list[int]) -> None:
        """Count one series' planted and found transitions."""
        self.true += len(truth)
        self.found += len(found)
        self.matched += _matches(truth, found, TOLERANCE)
        self.matched_loosely += _matches(truth, found, LOOSE_TOLERANCE)
        if not truth:
            self.quiet_series += 1
            self.false_alarms += len(found)

    @property
    def precision(self) -> float:
        """The share of found transitions that match a planted one."""
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        """The share of planted transitions that were found."""
        return self.matched / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        """The harmonic mean of precision and recall."""
        return _f1(self.matched, self.found, self.true)

    @property
    def loose_f1(self) -> float:
        """F1 with matches counted within LOOSE_TOLERANCE checkpoints."""
        return _f1(self.matched_loosely, self.found, self.true)


def _f1(matched: int, found: int, true: int) -> float:
    precision = matched / found if found else 1.0
    recall = matched / true if true else 1.0
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0


def _matches(truth: list[int], found: list[int], tolerance: int) -> int:
    """One-to-one matches within ``tolerance`` checkpoints, nearest first."""
    pairs = sorted(
        (abs(t - f), i, j)
        for i, t in enumerate(truth)
        for j, f in enumerate(found)
        if abs(t - f) <= tolerance
    )
    used_truth, used_found, count = set(), set(), 0
    for _, i, j in pairs:
        if i not in used_truth and j not in used_found:
            used_truth.add(i)
            used_found.add(j)
            count += 1
    return count


def make_steps(rng: np.random.Generator, n: int, spacing: str) -> np.ndarray:
    if spacing == "even":
        return np.arange(n) * int(rng.choice([1, 10, 100, 500]))
    if spacing == "random":
        gaps = rng.exponential(100.0, size=n - 1).round() + 1
        return np.concatenate([[0], np.cumsum(gaps)])
    return np.round(np.geomspace(1000, 1e7, n))


def fit_axis(steps: np.ndarray, spacing: str) -> np.ndarray:
    """The axis along which regimes are planted: log step for log runs."""
    axis = np.log(steps) if spacing == "log" else steps.astype(float)
    return (axis - axis[0]) / (axis[-1] - axis[0])


def change_points(rng: np.random.Generator, n: int, count: int) -> list[int]:
    """``count`` regime starts, every regime at least max(4, n / 8) long."""
    shortest = max(4, n // 8)
    for _ in range(1000):
        points = sorted(
            rng.choice(
                np.arange(shortest, n - shortest + 1), count, replace=False
            ).tolist()
        )
        gaps = np.diff([0, *points, n])
        if np.all(gaps >= shortest):
            return points
    return []


def piecewise(
    rng: np.random.Generator,
    x: np.ndarray,
    points: list[int],
    kinds: list[str],
    band: str,
) -> np.ndarray:
    """A broken line with a jump or a bend at each point, noise σ = 1.

    A jump at point p lies between checkpoints p − 1 and p. A bend's knot
    lies anywhere in (x[p − 1], x[p]], so p is the first checkpoint on the
    new slope.
    """
    n = len(x)
    bounds = [0, *points, n]
    slope = rng.normal(0, 3) if rng.random() < 0.5 else 0.0
    values = slope * x
    for k, (point, kind) in enumerate(zip(points, kinds, strict=True)):
        if kind == "level":
            low, high = JUMP_SIZES[band]
            values = values + rng.choice([-1, 1]) * rng.uniform(low, high) * (
                np.arange(n) >= point
            )
            continue
        shorter = min(x[point] - x[bounds[k]], x[bounds[k + 2] - 1] - x[point])
        knot = rng.uniform(x[point - 1], x[point])
        bend = rng.choice([-1, 1]) * bend_size(rng, band, shorter, n)
        values = values + bend * np.maximum(x - knot, 0.0)
    return values + rng.normal(size=n)


def bend_size(rng: np.random.Generator, band: str, shorter: float, n: int) -> float:
    """A change of slope (per unit of the axis) of the difficulty ``band``."""
    low, high = BEND_SIZES[band]
    return max(rng.uniform(low, high) / max(shorter, 1e-9), BEND_RATES[band] * (n - 1))


def grokking(
    rng: np.random.Generator, x: np.ndarray, n: int, band: str
) -> tuple[np.ndarray, list[int]]:
    """A weight norm that creeps, then falls steeply, maybe then levels off."""
    onset = change_points(rng, n, 1)[0]
    knot = rng.uniform(x[onset - 1], x[onset])
    creep = rng.uniform(-1, 1)
    # The fall opens three times a bend's gap by the end of the run.
    fall = bend_size(rng, band, (x[-1] - x[onset]) / 3, n)
    values = creep * x - fall * np.maximum(x - knot, 0)
    truth = [onset]

    floor_at = onset + (n - onset) // 2
    if rng.random() < 0.5 and n - floor_at >= max(4, n // 8) and floor_at - onset >= 4:
        floor_x = rng.uniform(x[floor_at - 1], x[floor_at])
        values = np.maximum(values, creep * floor_x - fall * (floor_x - knot))
        truth.append(floor_at)
    return values + rng.normal(size=n), truth


def smooth(rng: np.random.Generator, x: np.ndarray) -> tuple[np.ndarray, str]:
    """A curve without transitions: exponential, power law, log or line."""
    shape = str(rng.choice(["flat", "line", "decay", "saturate", "power", "log"]))
    rate = rng.uniform(1, 5)
    curve = {
        "flat": np.zeros_like(x),
        "line": x,
        "decay": np.exp(-rate * x),
        "saturate": 1 - np.exp(-rate * x),
        "power": (x + 0.05) ** rng.uniform(-1, -0.3),
        "log": np.log(x + 0.02),
    }[shape]
    spread = np.ptp(curve) or 1.0
    # From nearly noiseless to noise a tenth of the curve's range.
    noise = 10 ** rng.uniform(-4, -1)
    return curve / (spread * noise) + rng.normal(size=len(x)), shape


def make_case(rng: np.random.Generator, family: str) -> Case:
    n = int(rng.choice(LENGTHS))
    spacing = str(rng.choice(SPACINGS))
    band = str(rng.choice(list(JUMP_SIZES)))
    steps = make_steps(rng, n, spacing)
    x = fit_axis(steps, spacing)

    shape = family
    if family == "none":
        (values, shape), truth, band = smooth(rng, x), [], "-"
    elif family == "grokking":
        values, truth = grokking(rng, x, n, band)
    else:
        most = 1 if n < 20 else 2 if n < 50 else 3
        truth = change_points(rng, n, int(rng.integers(1, most + 1)))
        kinds = [
            family if family != "mixed" else str(rng.choice(["level", "slope"]))
            for _ in truth
        ]
        values = piecewise(rng, x, truth, kinds, band)

    values, noise = _rescale(rng, values)
    return Case(family, band, spacing, steps, values, truth, shape, noise)


def _rescale(rng: np.random.Generator, values: np.ndarray) -> tuple[np.ndarray, float]:
    """A random a·v + b: any magnitude, sometimes near zero like a mean weight.

    Returns:
        The values and their noise's standard deviation |a|.
    """
    if rng.random() < 0.25:
        scale = 1e-7 * rng.uniform(0.5, 2)
        return 1e-4 + scale * values, scale
    scale = 10 ** rng.uniform(-6, 6) * rng.choice([-1, 1])
    offset = scale * rng.uniform(-100, 100) * rng.choice([0, 1])
    return scale * values + offset, abs(scale)


def make_suite(seed: int, quick: bool) -> list[Case]:
    rng = np.random.default_rng(seed)
    counts = {"level": 200, "slope": 200, "mixed": 160, "grokking": 120, "none": 320}
    if quick:
        counts = {family: count // 4 for family, count in counts.items()}
    return [
        make_case(rng, family) for family, count in counts.items() for _ in range(count)
    ]


def evaluate(
    cases: list[Case],
) -> tuple[dict[str, Tally], dict[tuple[str, str], Tally]]:
    totals: dict[str, Tally] = defaultdict(Tally)
    groups: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for case in cases:
        for name in DETECTORS:
            started = time.perf_counter()
            found = detect_transitions(case.steps, case.values, name)
            elapsed = time.perf_counter() - started
            indices = [t.index for t in found]
            totals[name].add(case.truth, indices)
            totals[name].seconds += elapsed
            if name == "default":
                for key in (
                    ("family", case.family),
                    ("band", case.band),
                    ("spacing", case.spacing),
                    ("length", _length_band(len(case.steps))),
                ):
                    groups[key].add(case.truth, indices)
    return totals, groups


def _length_band(n: int) -> str:
    return "10-20" if n <= 20 else "30-80" if n <= 80 else "120-500"


def report(
    cases: list[Case], totals: dict[str, Tally], groups: dict[tuple[str, str], Tally]
) -> None:
    quiet = sum(1 for case in cases if not case.truth)
    planted = sum(len(case.truth) for case in cases)
    print(
        f"{len(cases)} series ({quiet} without a transition), {planted} planted "
        f"transitions, tolerance ±{TOLERANCE} checkpoint\n"
    )
    print(
        f"| detector | precision | recall | F1 | F1 within ±{LOOSE_TOLERANCE} "
        "| false alarms / quiet series | ms / series |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, tally in totals.items():
        print(
            f"| {name} | {tally.precision:.3f} | {tally.recall:.3f} | "
            f"{tally.f1:.3f} | {tally.loose_f1:.3f} | "
            f"{tally.false_alarms / max(tally.quiet_series, 1):.2f} | "
            f"{1000 * tally.seconds / len(cases):.1f} |"
        )

    print("\ndefault detector by group\n")
    print(
        "| group | value | planted | precision | recall | F1 "
        "| false alarms / quiet series |"
    )
    print("|---|---|---|---|---|---|---|")
    for (kind, value), tally in sorted(groups.items()):
        if value == "-":
            continue
        scores = (
            f"{tally.precision:.3f} | {tally.recall:.3f} | {tally.f1:.3f}"
            if tally.true
            else "- | - | -"
        )
        alarms = (
            f"{tally.false_alarms / tally.quiet_series:.2f}"
            if tally.quiet_series
            else "-"
        )
        print(f"| {kind} | {value} | {tally.true} | {scores} | {alarms} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the suite")
    parser.add_argument("--seed", type=int, default=2024, help="the suite's seed")
    arguments = parser.parse_args()

    started = time.perf_counter()
    cases = make_suite(arguments.seed, arguments.quick)
    totals, groups = evaluate(cases)
    report(cases, totals, groups)
    print(f"\n{time.perf_counter() - started:.1f} s in all")


if __name__ == "__main__":
    main()
