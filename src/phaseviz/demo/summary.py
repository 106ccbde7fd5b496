"""What a computed demo run shows: memorisation, the jump, and the transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from phaseviz.demo.jump import AccuracyJump, accuracy_jump
from phaseviz.export.transitions import TransitionRow, detect_run_transitions
from phaseviz.results import RunResults

TEST_ACC = "recorded.test_acc"
TRAIN_ACC = "recorded.train_acc"
# The training accuracy at which the training pairs count as memorised.
MEMORISED = 0.99
# How many checkpoints apart a transition and the jump may be and still match.
TOLERANCE = 1


@dataclass(frozen=True)
class DemoSummary:
    """The story of a demo run, read from its computed values.

    Attributes:
        memorised_step: The first step with training accuracy of at least
            99%, or None.
        test_acc_then: Test accuracy at that step.
        jump: Where test accuracy jumps, or None if it never does.
        jump_checkpoint: The name of the checkpoint at the jump.
        transitions: The default detector's transitions of each metric.
        indices: The checkpoint index of each transition, in the same order.
    """

    memorised_step: int | None
    test_acc_then: float | None
    jump: AccuracyJump | None
    jump_checkpoint: str | None
    transitions: tuple[TransitionRow, ...]
    indices: tuple[int, ...]

    def at_jump(self, position: int) -> bool:
        """Whether transition ``position`` is within one checkpoint of the jump."""
        if self.jump is None:
            return False
        return abs(self.indices[position] - self.jump.index) <= TOLERANCE

    def matched(self, metric: str) -> list[TransitionRow]:
        """The transitions of ``metric`` within one checkpoint of the jump."""
        return [
            row
            for position, row in enumerate(self.transitions)
            if row.metric == metric and self.at_jump(position)
        ]


def summarize(results: RunResults, metrics: Sequence[str]) -> DemoSummary:
    """Read the demo's story from a run's values.

    Args:
        results: Values of the run, with ``recorded.test_acc`` and
            ``recorded.train_acc`` among them.
        metrics: The metrics whose transitions to find.

    Returns:
        The summary; parts the values cannot tell are None.
    """
    steps, test_acc = results.series(TEST_ACC)
    jump = accuracy_jump(steps, test_acc) if steps else None
    names = {c.step: c.name for c in results.run.checkpoints}
    index_of = {c.name: i for i, c in enumerate(results.run.checkpoints)}

    train_steps, train_acc = results.series(TRAIN_ACC)
    memorised = next(
        (s for s, a in zip(train_steps, train_acc, strict=True) if a >= MEMORISED),
        None,
    )
    test_by_step = dict(zip(steps, test_acc, strict=True))

    rows, _ = detect_run_transitions(results, metrics=list(metrics))
    return DemoSummary(
        memorised_step=memorised,
        test_acc_then=test_by_step.get(memorised) if memorised is not None else None,
        jump=jump,
        jump_checkpoint=names.get(jump.step) if jump is not None else None,
        transitions=tuple(rows),
        indices=tuple(index_of[row.checkpoint] for row in rows),
    )
