"""The step a name carries, natural order, and one checkpoint per step."""

from __future__ import annotations

import pytest

from phaseviz.checkpoints.steps import StepClues, natural_key, place, step_from_name


@pytest.mark.parametrize(
    ("name", "step"),
    [
        ("checkpoint_step_2448.pt", 2448),
        ("epoch=3-step=500.ckpt", 500),
        ("checkpoint-1000", 1000),
        ("1000.pt", 1000),
        ("global_step120.pt", 120),
        ("model_iter_300.pth", 300),
        ("epoch_7.pt", 7),
        ("resnet_v2_final_0042.safetensors", 42),
        ("final.pt", None),
    ],
)
def test_step_from_name(name, step):
    assert step_from_name(name) == step


def test_natural_key_orders_numbers_as_numbers():
    names = ["b10.pt", "b2.pt", "a.pt", "B1.pt"]

    assert sorted(names, key=natural_key) == ["a.pt", "B1.pt", "b2.pt", "b10.pt"]


def test_ties_keep_the_checkpoint_whose_name_carries_the_step():
    clues = [
        StepClues("last.ckpt", "last.ckpt", data_step=500),
        StepClues("a-step=500.ckpt", "a-step=500.ckpt", data_step=500),
        StepClues("b-step=250.ckpt", "b-step=250.ckpt", data_step=250),
    ]

    placements, duplicates = place(clues)

    assert [(p.index, p.step) for p in placements] == [(2, 250), (1, 500)]
    assert [(d.index, d.kept, d.step) for d in duplicates] == [(0, 1, 500)]


def test_ties_without_a_named_step_keep_the_first_in_natural_order():
    clues = [
        StepClues("z.pt", "z.pt", data_epoch=1),
        StepClues("a.pt", "a.pt", data_epoch=1),
    ]

    placements, duplicates = place(clues)

    assert [p.index for p in placements] == [1]
    assert [d.index for d in duplicates] == [0]
