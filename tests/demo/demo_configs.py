"""Demo configs for the tests."""

from __future__ import annotations

from phaseviz.demo import DemoConfig, Recipe

# Far too short to grok; for what does not depend on the training itself.
TINY = DemoConfig(
    steps=40,
    checkpoints=4,
    recipe=Recipe(modulus=7, embed_dim=4, hidden_dim=8, train_fraction=0.5),
)
