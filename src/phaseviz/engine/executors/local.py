"""Computing in this process, reading the next checkpoint in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from phaseviz.checkpoints import Run
from phaseviz.engine.executors import Completed
from phaseviz.engine.loading import LoadedParameters
from phaseviz.engine.trajectory import References
from phaseviz.engine.work import CheckpointWork, Finished, Pending


class LocalExecutor:
    """Reads each checkpoint once and computes it here, in step order.

    While one checkpoint is computed the next is read in a background
    thread. Reading a memory-mapped checkpoint touches none of its tensors,
    so reading ahead holds no more than the file's mapping.

    Args:
        run: The run.
        work: Reads and computes one checkpoint.
        parallel: Read the next checkpoint while computing this one.
    """

    def __init__(self, run: Run, work: CheckpointWork, parallel: bool) -> None:
        self.run = run
        self.work = work
        self.parallel = parallel
        self.device: torch.device = work.device

    def start(self) -> list[str]:
        """Nothing to start here; no notices."""
        return []

    def map(
        self, pending: Sequence[Pending], cancel: threading.Event
    ) -> Generator[Completed, None, None]:
        """Read and compute each checkpoint of ``pending``, in order."""
        if not pending:
            return
        references = References(self.run, self.work.load)
        pool = ThreadPoolExecutor(1, "phaseviz-read") if self.parallel else None
        try:
            upcoming = self._read(pool, pending[0].index)
            for position, item in enumerate(pending):
                if cancel.is_set():
                    return
                current = upcoming
                if position + 1 < len(pending):
                    upcoming = self._read(pool, pending[position + 1].index)
                yield item, self._finish(item, current, references)
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Nothing to give back."""

    def _read(self, pool: ThreadPoolExecutor | None, index: int) -> Future:
        checkpoint = self.run.checkpoints[index]
        if pool is not None:
            return pool.submit(self.work.load, checkpoint)
        future: Future = Future()
        try:
            future.set_result(self.work.load(checkpoint))
        except Exception as error:  # noqa: BLE001 - reported as CheckpointFailed
            future.set_exception(error)
        return future

    def _finish(
        self, item: Pending, read: Future, references: References
    ) -> Finished | Exception:
        start = time.perf_counter()
        try:
            loaded: LoadedParameters = read.result()
        except Exception as error:  # noqa: BLE001 - any unreadable file is skipped
            return error

        outcomes = self.work.compute(self.run, item, loaded, references)
        # Kept after computing: this checkpoint is the next one's previous.
        references.keep(item.index, loaded)
        return Finished(outcomes, time.perf_counter() - start + loaded.seconds)
