"""The registry of built-in metrics and resolving what users type."""

from __future__ import annotations

import subprocess
import sys

import pytest

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.metrics import (
    BUILTIN,
    UnknownMetricError,
    recorded_metric,
    resolve,
)
from phaseviz.metrics.registry import GROUPS, KINDS

CONTRACT = [
    ("l2", "L2 Norm"),
    ("weight_norm", "Weight Norm"),
    ("entropy", "Weight Entropy"),
    ("connectivity", "Layer Connectivity"),
    ("variance", "Parameter Variance"),
    ("norm_ratio", "Layer-wise Norm Ratio"),
    ("capacity", "Activation Capacity"),
    ("dead_neurons", "Dead Neuron Percentage"),
    ("rank", "Weight Rank"),
    ("gradient_flow", "Gradient Flow Score"),
    ("effective_rank", "Effective Rank"),
    ("condition", "Average Condition Number"),
    ("flatness", "Flatness Proxy"),
    ("mean", "Mean Weight"),
    ("skew", "Weight Skew"),
    ("kurtosis", "Weight Kurtosis"),
    ("isotropy", "Isotropy"),
    ("spectral", "Spectral Norm"),
    ("participation", "Participation Ratio"),
    ("sparsity", "Sparsity"),
    ("max_activation", "Max Activation"),
]
EXTRA = ["stable_rank", "distance_from_init", "step_distance", "cosine_to_final"]


def test_builtin_lists_the_contract_in_order_with_its_titles():
    """Every contract key, in contract order, with its exact title, then extras."""
    assert [(m.key, m.title) for m in BUILTIN.values()][: len(CONTRACT)] == CONTRACT
    assert list(BUILTIN)[len(CONTRACT) :] == EXTRA


def test_every_metric_is_fully_described():
    """Groups and kinds are known values; descriptions and formulas are filled."""
    for metric in BUILTIN.values():
        assert metric.group in GROUPS and metric.kind in KINDS
        assert metric.description and metric.formula and metric.version >= 1
        assert metric.key == metric.key.lower()


def test_per_layer_flags_follow_the_contract():
    """Only norm_ratio and capacity lack per-layer values."""
    assert [k for k, m in BUILTIN.items() if not m.per_layer] == [
        "norm_ratio",
        "capacity",
    ]


def test_resolve_accepts_all_comma_lists_and_sequences():
    """'all', 'a,b' and ['a', 'b'] all work; repeats collapse, order is kept."""
    assert resolve("all") == list(BUILTIN.values())
    assert [m.key for m in resolve("entropy, l2,entropy")] == ["entropy", "l2"]
    assert [m.key for m in resolve(["l2", "rank,spectral"])] == [
        "l2",
        "rank",
        "spectral",
    ]
    assert [m.key for m in resolve("recorded.eval_loss")] == ["recorded.eval_loss"]


def test_unknown_key_suggests_the_closest(capsys):
    """A typo raises a usage error that names the nearest keys."""
    with pytest.raises(UnknownMetricError) as raised:
        resolve("l2,entropi")
    error = raised.value
    assert error.key == "entropi"
    assert error.suggestions[0] == "entropy"
    assert "entropy" in str(error)
    assert isinstance(error, PhasevizError) and error.exit_code == 2


def test_recorded_metric_is_titled_from_its_name():
    """A recorded scalar gets a key with a prefix and a readable title."""
    metric = recorded_metric("eval_accuracy")
    assert (metric.key, metric.title, metric.group, metric.kind) == (
        "recorded.eval_accuracy",
        "Eval Accuracy",
        "recorded",
        "recorded",
    )
    assert not metric.per_layer


def test_registry_imports_without_torch_or_numpy():
    """Listing metrics must not pay for importing torch."""
    code = (
        "import sys; import phaseviz.metrics; from phaseviz.metrics import BUILTIN;"
        "print('torch' in sys.modules, 'numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
