"""What a demo run is made from: the task, the model, the optimiser, the schedule."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Bumped whenever training changes in a way that changes the checkpoints, so
# a run cached by an older phaseviz is trained again rather than reused.
RECIPE_VERSION = 1


@dataclass(frozen=True)
class Recipe:
    """The modular-addition task and how the model is trained on it.

    Attributes:
        modulus: p: the model learns (a + b) mod p for a, b in [0, p).
        train_fraction: The share of the p² pairs it trains on; the rest is
            the test set.
        embed_dim: Width of each operand's embedding.
        hidden_dim: Width of the hidden layer.
        learning_rate: AdamW's learning rate.
        weight_decay: AdamW's decoupled weight decay; strong decay is what
            turns memorisation into generalisation.
        init_scale: Factor applied to every initial parameter.
    """

    modulus: int = 97
    train_fraction: float = 0.2
    embed_dim: int = 32
    hidden_dim: int = 128
    learning_rate: float = 2e-2
    weight_decay: float = 1.0
    init_scale: float = 1.0

    def model_args(self) -> dict[str, int]:
        """The model's constructor arguments."""
        return {
            "modulus": self.modulus,
            "embed_dim": self.embed_dim,
            "hidden_dim": self.hidden_dim,
        }


@dataclass(frozen=True)
class DemoConfig:
    """Everything that determines a demo run's checkpoints.

    Attributes:
        steps: Full-batch optimiser steps.
        checkpoints: Checkpoints saved: step 0, then spaced evenly in
            log(step) from step 10 to ``steps``.
        seed: Seeds the initial weights and the train/test split.
        recipe: The task, model and optimiser.
    """

    steps: int
    checkpoints: int
    seed: int = 0
    recipe: Recipe = field(default_factory=Recipe)

    def to_json(self) -> dict[str, Any]:
        """The config as ``demo.json`` stores it, with the recipe's version."""
        return {"version": RECIPE_VERSION, **asdict(self)}


FULL_DEMO = DemoConfig(steps=3000, checkpoints=60)
"""What ``phaseviz demo`` trains: p = 97 on 20% of the pairs."""

QUICK_DEMO = DemoConfig(
    steps=1500,
    checkpoints=40,
    recipe=Recipe(modulus=67, train_fraction=0.3),
)
"""A smaller run that groks in seconds: ``phaseviz demo --quick`` and the tests."""
