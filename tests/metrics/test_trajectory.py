"""Trajectory metrics: distances to other checkpoints and the cosine to the last."""

from __future__ import annotations

import logging
import math

import pytest
import torch

from phaseviz.metrics import TrajectoryReference, compute_metrics, flatten_parameters

KEYS = ["distance_from_init", "step_distance", "cosine_to_final"]


def _params(scale: float) -> dict[str, torch.Tensor]:
    return {"w": torch.full((2, 2), scale), "b": torch.tensor([scale, -scale])}


def test_flatten_concatenates_in_state_dict_order_as_float64():
    """The vector is every tensor flattened, in order, widened to float64."""
    params = {"b": torch.tensor([3.0]), "a": torch.tensor([[1.0, 2.0]]).bfloat16()}
    flat = flatten_parameters(params)
    assert flat.dtype == torch.float64
    assert flat.tolist() == [3.0, 1.0, 2.0]


def test_distances_and_cosine_have_their_closed_forms():
    """Distances are Euclidean over all of P and per layer; cosine is the angle."""
    first, previous, now = _params(0.0), _params(1.0), _params(3.0)
    final = {"w": torch.full((2, 2), -3.0), "b": torch.tensor([-3.0, 3.0])}
    reference = TrajectoryReference(
        first=flatten_parameters(first),
        previous=flatten_parameters(previous),
        final=flatten_parameters(final),
    )
    results = compute_metrics(now, KEYS, trajectory=reference)

    assert results["distance_from_init"].value == pytest.approx(3.0 * math.sqrt(6))
    assert results["distance_from_init"].layers == {
        "w": pytest.approx(6.0),
        "b": pytest.approx(3.0 * math.sqrt(2)),
    }
    assert results["step_distance"].value == pytest.approx(2.0 * math.sqrt(6))
    assert results["cosine_to_final"].value == pytest.approx(-1.0)
    assert results["cosine_to_final"].layers == {
        "w": pytest.approx(-1.0),
        "b": pytest.approx(-1.0),
    }


def test_at_the_final_checkpoint_the_cosine_is_one():
    """A checkpoint compared with itself has cosine 1 and distance 0."""
    params = {"w": torch.randn(3, 3, generator=torch.Generator().manual_seed(0))}
    flat = flatten_parameters(params)
    results = compute_metrics(
        params, KEYS, trajectory=TrajectoryReference(first=flat, final=flat)
    )
    assert results["cosine_to_final"].value == pytest.approx(1.0, rel=1e-14)
    assert results["distance_from_init"].value == 0.0


def test_step_distance_is_nan_at_the_first_checkpoint():
    """Without a previous checkpoint there is no step to measure."""
    params = _params(1.0)
    results = compute_metrics(
        params,
        KEYS,
        trajectory=TrajectoryReference(first=flatten_parameters(params)),
    )
    assert math.isnan(results["step_distance"].value)
    assert results["step_distance"].layers is None
    assert results["distance_from_init"].value == 0.0


def test_without_references_trajectory_metrics_are_nan():
    """No trajectory at all: NaN, not an error."""
    results = compute_metrics(_params(1.0), KEYS)
    assert all(math.isnan(results[k].value) for k in KEYS)


def test_changed_architecture_gives_nan_and_a_warning(caplog):
    """A reference of another size is skipped with a warning naming the checkpoint."""
    reference = TrajectoryReference(
        first=torch.zeros(5, dtype=torch.float64),
        final=flatten_parameters(_params(2.0)),
    )
    with caplog.at_level(logging.WARNING, logger="phaseviz.metrics"):
        results = compute_metrics(
            _params(1.0), KEYS, trajectory=reference, checkpoint="step-300.pt"
        )
    assert math.isnan(results["distance_from_init"].value)
    assert results["cosine_to_final"].value == pytest.approx(1.0)
    assert "step-300.pt" in caplog.text
    assert "architecture changed" in caplog.text


def test_float32_reference_is_accepted():
    """A reference flattened for a GPU (float32) still compares on the CPU."""
    params = _params(1.0)
    reference = TrajectoryReference(final=flatten_parameters(params).float())
    result = compute_metrics(params, ["cosine_to_final"], trajectory=reference)
    assert result["cosine_to_final"].value == pytest.approx(1.0)
