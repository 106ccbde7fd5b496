"""The ``phaseviz`` command line.

Each command lives in a module of its own that registers itself on the one
Typer app. Command modules import torch and the views inside the command
functions, so ``phaseviz --help`` stays fast.
"""

from __future__ import annotations

from phaseviz.cli import compute, demo, inspect, report, transitions, tui
from phaseviz.cli.app import app

for _module in (tui, inspect, compute, transitions, report, demo):
    _module.register(app)


def main() -> None:
    """Run the ``phaseviz`` command line."""
    app()
