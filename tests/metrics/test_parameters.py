"""Which tensors of a checkpoint count as parameters P."""

from __future__ import annotations

import math

import torch
from torch import nn

from phaseviz.metrics import select_parameters
from phaseviz.metrics.parameters import matrix_shape


def test_buffers_and_non_floating_tensors_are_left_out():
    """running_mean, running_var, integer and bool tensors are buffers."""
    state = {
        "bn.weight": torch.ones(3),
        "bn.bias": torch.zeros(3),
        "bn.running_mean": torch.zeros(3),
        "bn.running_var": torch.ones(3),
        "bn.num_batches_tracked": torch.tensor(5),
        "ids": torch.arange(4),
        "flags": torch.tensor([True, False]),
    }
    assert list(select_parameters(state)) == ["bn.weight", "bn.bias"]


def test_mask_of_zero_one_or_inf_values_is_a_buffer():
    """A *mask tensor holding only 0, 1 or ±inf is a buffer; other masks count."""
    state = {
        "attn.mask": torch.triu(torch.full((3, 3), -math.inf), diagonal=1),
        "prune.weight_mask": torch.tensor([1.0, 0.0, 1.0]),
        "learned.mask": torch.tensor([0.3, 1.0]),
        "mask_scale": torch.tensor([0.0, 1.0]),
    }
    assert list(select_parameters(state)) == ["learned.mask", "mask_scale"]


def test_state_dict_order_is_kept_and_tied_tensors_count_once():
    """P follows state-dict order; one tensor under two names counts once."""
    shared = torch.randn(4, 3)
    state = {"emb.weight": shared, "fc.bias": torch.zeros(4), "head.weight": shared}
    assert list(select_parameters(state)) == ["emb.weight", "fc.bias"]


def test_equal_but_separate_tensors_both_count():
    """Two tensors with equal values but their own memory are both parameters."""
    state = {"a": torch.ones(2, 2), "b": torch.ones(2, 2)}
    assert list(select_parameters(state)) == ["a", "b"]


def test_with_a_model_only_trainable_parameters_count_once():
    """With a model: named_parameters with requires_grad, tied ones once."""
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 3))
    model[2].weight = nn.Parameter(model[0].weight.detach().T.clone())
    model[1].weight.requires_grad_(False)
    model.tied = model[0]
    state = {k: v.clone() for k, v in model.state_dict().items()}

    selected = select_parameters(state, model)

    assert list(selected) == ["0.weight", "0.bias", "1.bias", "2.weight", "2.bias"]
    assert torch.equal(selected["0.weight"], state["0.weight"])
    assert selected["0.weight"].data_ptr() == state["0.weight"].data_ptr()


def test_with_a_model_parameters_missing_from_the_state_dict_come_from_it():
    """A parameter the state dict lacks is read from the model itself."""
    model = nn.Linear(2, 2)
    selected = select_parameters({"weight": torch.zeros(2, 2)}, model)
    assert torch.equal(selected["weight"], torch.zeros(2, 2))
    assert torch.equal(selected["bias"], model.bias.detach())
    assert not selected["bias"].requires_grad


def test_matrix_view_is_rows_by_fan_in():
    """Tensors of 2+ dimensions are out × fan-in; vectors are not matrices."""
    assert matrix_shape(torch.empty(8, 3, 5, 5)) == (8, 75)
    assert matrix_shape(torch.empty(10, 4)) == (10, 4)
    assert matrix_shape(torch.empty(7)) is None
    assert matrix_shape(torch.empty(0, 4)) is None
