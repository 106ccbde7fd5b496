"""What a state dict's shapes say about the model that made it.

Token embeddings give the vocabulary size and the model width, positional
tables the context length, ``weight_hh_l0`` an RNN's hidden size,
integer-numbered blocks the number of layers, the first and last matrices
the input and output sizes, the first convolution the input channels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

_RNN = re.compile(r"(?:^|\.)weight_(ih|hh)_l(\d+)(_reverse)?$")
_BLOCK = re.compile(r"^(.*?)\.(\d+)\.")
_TOKEN_WORDS = ("emb", "wte", "tok", "word")
_POSITION_WORDS = ("pos", "wpe")


@dataclass(frozen=True)
class RecurrentFacts:
    """An RNN, LSTM or GRU in the state dict.

    Attributes:
        input_size: Features per input step (``weight_ih_l0`` columns).
        hidden_size: The hidden state's size (``weight_hh_l0`` columns).
        num_layers: Stacked layers.
        bidirectional: Whether ``_reverse`` weights exist.
        gates: Rows per hidden unit: 4 for an LSTM, 3 for a GRU, 1 for an RNN.
    """

    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    gates: int


@dataclass
class ShapeFacts:
    """Sizes read from a state dict, each list in state-dict order.

    Attributes:
        embeddings: ``(rows, width)`` of token embedding tables.
        positions: Lengths of positional tables.
        linears: ``(out, in)`` of the other matrices.
        convs: Shapes of convolution kernels (3 to 5 dimensions).
        attention: Widths of fused attention projections (``in_proj_weight``).
        blocks: For each container of numbered blocks, how many there are.
        recurrent: The first RNN, LSTM or GRU, if any.
    """

    embeddings: list[tuple[int, int]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    linears: list[tuple[int, int]] = field(default_factory=list)
    convs: list[tuple[int, ...]] = field(default_factory=list)
    attention: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)
    recurrent: RecurrentFacts | None = None


def read_shapes(state_dict: Mapping[str, torch.Tensor]) -> ShapeFacts:
    """Gather the sizes that constructor arguments are usually made of.

    Args:
        state_dict: Tensors by layer name.

    Returns:
        The sizes found.
    """
    facts = ShapeFacts()
    for name, tensor in state_dict.items():
        shape = tuple(tensor.shape)
        if _RNN.search(name):
            continue
        if len(shape) == 2:
            _add_matrix(facts, name.lower(), shape)
        elif len(shape) == 3 and _is_position(name.lower()):
            facts.positions.append(shape[-2])
        elif 3 <= len(shape) <= 5 and name.endswith("weight"):
            facts.convs.append(shape)

    facts.blocks = _block_counts(list(state_dict))
    facts.recurrent = _recurrent(state_dict)
    return facts


def _add_matrix(facts: ShapeFacts, name: str, shape: tuple[int, ...]) -> None:
    rows, cols = shape
    if _is_position(name):
        facts.positions.append(rows)
    elif any(word in name for word in _TOKEN_WORDS):
        facts.embeddings.append((rows, cols))
    else:
        facts.linears.append((rows, cols))
        if name.endswith("in_proj_weight"):
            facts.attention.append(cols)


def _is_position(name: str) -> bool:
    owner_and_leaf = name.rsplit(".", 2)[-2:]
    return any(word in part for part in owner_and_leaf for word in _POSITION_WORDS)


def _block_counts(names: list[str]) -> list[int]:
    indices: dict[str, set[int]] = {}
    for name in names:
        match = _BLOCK.match(name)
        if match:
            indices.setdefault(match.group(1), set()).add(int(match.group(2)))

    counts = []
    for found in indices.values():
        # nn.Sequential numbers activations too: 0, 2, 4 are three layers.
        counts.extend([max(found) + 1, len(found)])
    return list(dict.fromkeys(counts))


def _recurrent(state_dict: Mapping[str, torch.Tensor]) -> RecurrentFacts | None:
    layers: dict[str, set[int]] = {}
    reverse: dict[str, bool] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    for name, tensor in state_dict.items():
        match = _RNN.search(name)
        if match is None:
            continue
        owner = name[: match.start()]
        layers.setdefault(owner, set()).add(int(match.group(2)))
        reverse[owner] = reverse.get(owner, False) or bool(match.group(3))
        shapes.setdefault(f"{owner}:{match.group(1)}", tuple(tensor.shape))

    if not layers:
        return None
    owner = next(iter(layers))
    ih, hh = shapes.get(f"{owner}:ih"), shapes.get(f"{owner}:hh")
    if ih is None or hh is None:
        return None
    hidden = hh[1]
    return RecurrentFacts(
        ih[1], hidden, max(layers[owner]) + 1, reverse[owner], hh[0] // hidden
    )
