"""The network the demo trains: embeddings of a and b, one squaring layer."""

from __future__ import annotations

import torch
from torch import nn


class ModularAdditionMLP(nn.Module):
    """Predicts (a + b) mod p from the pair (a, b).

    Each operand is looked up in a shared embedding table; the two
    embeddings are concatenated and go through one hidden layer whose
    activation is the square, h = (W e + b)², to p logits. A squared sum of
    the two embeddings holds their products, which is what the rule needs:
    with cos and sin embeddings, cos(a + b) = cos a cos b − sin a sin b.
    Small enough to train in seconds on a CPU, large enough to memorise its
    training pairs long before it finds the rule.

    Args:
        modulus: p, the number of residues (inputs and classes).
        embed_dim: Width of each operand's embedding.
        hidden_dim: Width of the hidden layer.
    """

    def __init__(self, modulus: int, embed_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(modulus, embed_dim)
        self.hidden = nn.Linear(2 * embed_dim, hidden_dim)
        self.out = nn.Linear(hidden_dim, modulus)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """Logits over the p residues for each row ``(a, b)`` of ``pairs``."""
        operands = self.embed(pairs).flatten(1)
        return self.out(self.hidden(operands).square())
