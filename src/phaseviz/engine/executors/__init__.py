"""Where a run's checkpoints are computed: in this process, or on a Ray cluster.

Both executors take the checkpoints still missing values and give back, for
each, its :class:`~phaseviz.engine.work.Finished` outcomes or the exception
that kept it from being read. The computation around them writes the
cache, reports the events and counts the progress the same way for both.
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from typing import Protocol

import torch

from phaseviz.engine.work import Finished, Pending

Completed = tuple[Pending, Finished | Exception]


class Executor(Protocol):
    """Computes checkpoints, one result per checkpoint given.

    Attributes:
        device: Where the metrics are computed; known for sure once
            :meth:`start` has returned.
    """

    device: torch.device

    def start(self) -> list[str]:
        """Get ready to compute; return notices for the user."""
        ...

    def map(
        self, pending: Sequence[Pending], cancel: threading.Event
    ) -> Generator[Completed, None, None]:
        """Compute each checkpoint of ``pending``; yield them as they finish.

        Stops soon after ``cancel`` is set; closing the iterator early
        abandons the checkpoints not yet yielded.
        """
        ...

    def close(self) -> None:
        """Give back what :meth:`start` took."""
        ...
