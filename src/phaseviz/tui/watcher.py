"""Finding out whether a watched run folder has new checkpoints."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from phaseviz.checkpoints.errors import RunError
from phaseviz.checkpoints.run import Run

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How often ``--watch`` lists the run folders again."""


def identities(run: Run) -> tuple[tuple[str, int, int], ...]:
    """The identity of every checkpoint of the run, in step order."""
    return tuple(checkpoint.identity for checkpoint in run.checkpoints)


def changed_runs(runs: Sequence[Run], trust: bool = False) -> list[tuple[int, Run]]:
    """List each run folder again; return the runs whose checkpoints changed.

    A folder that cannot be listed right now (being written, briefly empty)
    is left as it was and tried again at the next poll.

    Args:
        runs: The runs as the app knows them.
        trust: Passed on to ``discover_run``.

    Returns:
        (position, newer run) for each run that gained, lost or rewrote a
        checkpoint.
    """
    from phaseviz.checkpoints import discover_run

    changed = []
    for index, run in enumerate(runs):
        try:
            fresh = discover_run(run.path, trust=trust)
        except RunError as error:
            logger.info("watching run %s: %s", run.name, error)
            continue
        if identities(fresh) != identities(run):
            logger.info(
                "run %s now has %d checkpoints", run.name, len(fresh.checkpoints)
            )
            changed.append((index, fresh))
    return changed
