"""The reliability suite's tally: what each module tried, and what was lost.

Every test adds what it did to its module's :class:`Tally`: faults injected
(kills, full disks, read-only folders, timeouts), inputs tried (hostile
files, HTTP requests, command lines) and results lost (a stored value that
differs from an uninterrupted run's, a value missing after a rerun, a file
deleted that should not be, a crash). At the end of the session the
figures are printed as a table and written to
``<basetemp>/reliability-summary.json`` so that they can be quoted.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SUMMARY_FILE = "reliability-summary.json"

_TALLIES = pytest.StashKey[dict[str, "Tally"]]()
_SUMMARY_PATH = pytest.StashKey[Path]()


@dataclass
class Tally:
    """What one test module tried.

    Attributes:
        faults: Faults injected.
        inputs: Inputs tried.
        lost: Results lost or changed; every test asserts it stays zero.
        details: Further named counts (kills that landed, requests sent...).
    """

    faults: int = 0
    inputs: int = 0
    lost: int = 0
    details: Counter[str] = field(default_factory=Counter)

    def note(self, name: str, count: int = 1) -> None:
        """Add ``count`` to the named detail."""
        self.details[name] += count


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    """The tally of the requesting test's module."""
    tallies = request.config.stash.setdefault(_TALLIES, {})
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    return tallies.setdefault(name, Tally())


@pytest.fixture(autouse=True)
def _wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps at 80 columns off a terminal; keep each message on one line."""
    monkeypatch.setenv("COLUMNS", "1000")


@pytest.fixture(scope="session", autouse=True)
def _summary_path(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    request.config.stash[_SUMMARY_PATH] = tmp_path_factory.getbasetemp() / SUMMARY_FILE


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the tally of every module that ran, and save it as JSON."""
    tallies = config.stash.get(_TALLIES, {})
    if not tallies:
        return
    rows = sorted(tallies.items())
    totals = Tally(
        sum(t.faults for _, t in rows),
        sum(t.inputs for _, t in rows),
        sum(t.lost for _, t in rows),
    )

    write = terminalreporter.write_line
    terminalreporter.section("reliability tally")
    write(f"{'module':<18} {'faults':>8} {'inputs':>8} {'lost':>6}  details")
    for name, t in [*rows, ("total", totals)]:
        details = ", ".join(f"{k} {v}" for k, v in sorted(t.details.items()))
        write(f"{name:<18} {t.faults:>8} {t.inputs:>8} {t.lost:>6}  {details}")

    path = config.stash.get(_SUMMARY_PATH, None)
    if path is not None:
        document = {
            name: {
                "faults_injected": t.faults,
                "inputs_tried": t.inputs,
                "results_lost": t.lost,
                "details": dict(t.details),
            }
            for name, t in [*rows, ("total", totals)]
        }
        path.write_text(json.dumps(document, indent=2) + "\n")
        write(f"written to {path}")
