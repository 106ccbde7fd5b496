"""Custom metric files: loading, evaluating and the module they receive."""

from __future__ import annotations

import hashlib
import logging
import math
import sys
import textwrap

import numpy as np
import pytest
import torch

from phaseviz.checkpoints.errors import PhasevizError
from phaseviz.metrics import (
    CustomMetric,
    MetricFileError,
    as_module,
    evaluate_custom,
    load_custom_metrics,
)

GOOD = """
import torch

def mean_abs_of_model(model):
    return float(torch.cat([p.abs().flatten() for p in model.parameters()]).mean())

def parameter_count_of_model(model):
    return sum(p.numel() for p in model.parameters())

def helper(x):
    return x
"""


def write(tmp_path, name, source):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_functions_ending_in_of_model_become_metrics(tmp_path):
    """Keys drop the suffix, titles come from the key, other functions are ignored."""
    path = write(tmp_path, "metrics.py", GOOD)
    metrics = load_custom_metrics(path)

    assert [m.key for m in metrics] == ["mean_abs", "parameter_count"]
    assert [m.title for m in metrics] == ["Mean Abs", "Parameter Count"]
    assert metrics[0].path == path
    assert metrics[0].source_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_editing_the_file_changes_the_hash_and_the_code(tmp_path):
    """An edited file is imported afresh and hashes differently."""
    path = write(tmp_path, "m.py", "def answer_of_model(model):\n    return 1.0\n")
    before = load_custom_metrics(path)[0]
    path.write_text("def answer_of_model(model):\n    return 2.0\n")
    after = load_custom_metrics(path)[0]

    assert before.source_hash != after.source_hash
    assert evaluate_custom(after, torch.nn.Module(), "c") == 2.0


def test_two_files_of_one_name_do_not_share_a_module(tmp_path):
    """Files named alike in two folders keep their own functions."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = write(tmp_path / "a", "metrics.py", "def v_of_model(m):\n    return 1\n")
    two = write(tmp_path / "b", "metrics.py", "def v_of_model(m):\n    return 2\n")
    first, second = load_custom_metrics(one)[0], load_custom_metrics(two)[0]

    assert first.function.__module__ != second.function.__module__
    assert "metrics" not in sys.modules or sys.modules["metrics"].__file__ not in (
        str(one),
        str(two),
    )
    module = torch.nn.Module()
    assert (
        evaluate_custom(first, module, "c"),
        evaluate_custom(second, module, "c"),
    ) == (1.0, 2.0)


@pytest.mark.parametrize(
    "source, cause",
    [
        ("import no_such_module_here\n", "ModuleNotFoundError"),
        ("def broken_of_model(model:\n", "SyntaxError"),
        ("raise SystemExit(3)\n", "SystemExit"),
    ],
)
def test_file_that_fails_to_import_is_an_error_naming_it(tmp_path, source, cause):
    """An import failure becomes a MetricFileError with the file and the cause."""
    path = write(tmp_path, "broken.py", source)
    with pytest.raises(MetricFileError) as raised:
        load_custom_metrics(path)
    assert str(path) in str(raised.value)
    assert cause in str(raised.value)
    assert isinstance(raised.value, PhasevizError)


def test_file_without_metric_functions_is_an_error(tmp_path):
    """A file that defines no *_of_model function says what to write."""
    path = write(tmp_path, "empty.py", "def helper(model):\n    return 1.0\n")
    with pytest.raises(MetricFileError, match="_of_model"):
        load_custom_metrics(path)


def test_wrong_arity_is_an_error_naming_the_function(tmp_path):
    """A metric function that cannot take exactly one argument is refused."""
    path = write(
        tmp_path,
        "arity.py",
        """
        def fine_of_model(model):
            return 1.0

        def pair_of_model(model, other):
            return 2.0
    """,
    )
    with pytest.raises(MetricFileError, match=r"pair_of_model\(model, other\)"):
        load_custom_metrics(path)


def test_missing_file_is_an_error(tmp_path):
    """A path that is not there is reported, not a traceback."""
    with pytest.raises(MetricFileError, match="cannot read"):
        load_custom_metrics(tmp_path / "nope.py")


def _metric(function) -> CustomMetric:
    return CustomMetric("probe", "Probe", function, "0" * 64, "probe.py")


@pytest.mark.parametrize(
    "returned, expected",
    [
        (3, 3.0),
        (0.25, 0.25),
        (torch.tensor(1.5), 1.5),
        (torch.tensor([2.5]), 2.5),
        (np.float32(0.5), 0.5),
        (np.int64(4), 4.0),
        (np.array(0.75), 0.75),
    ],
)
def test_numbers_of_every_common_kind_are_accepted(returned, expected):
    """ints, floats, 0-d tensors and NumPy scalars become floats."""
    assert (
        evaluate_custom(_metric(lambda m: returned), torch.nn.Module(), "c") == expected
    )


def test_nan_is_a_value_not_an_error(caplog):
    """A function may return NaN; nothing is logged."""
    with caplog.at_level(logging.WARNING):
        value = evaluate_custom(_metric(lambda m: math.nan), torch.nn.Module(), "c")
    assert math.isnan(value)
    assert caplog.records == []


def test_raising_function_gives_nan_and_a_log_line(caplog):
    """The log names the function, the checkpoint and the exception."""

    def exploding_of_model(model):
        raise ZeroDivisionError("no weights")

    metric = CustomMetric(
        "exploding", "Exploding", exploding_of_model, "0" * 64, "mine.py"
    )
    with caplog.at_level(logging.WARNING, logger="phaseviz.metrics"):
        value = evaluate_custom(metric, torch.nn.Module(), "step-100.pt")

    assert math.isnan(value)
    (record,) = caplog.records
    message = record.getMessage()
    for part in (
        "exploding_of_model",
        "step-100.pt",
        "ZeroDivisionError",
        "no weights",
    ):
        assert part in message


@pytest.mark.parametrize(
    "returned",
    [
        "1.0",
        None,
        [1.0],
        torch.ones(2),
        math.inf,
        -math.inf,
        True,
        1j,
        torch.tensor(math.inf),
    ],
)
def test_non_numbers_and_infinities_give_nan_and_a_log_line(returned, caplog):
    """Anything that is not a finite-or-NaN real gives NaN and is logged."""
    with caplog.at_level(logging.WARNING, logger="phaseviz.metrics"):
        value = evaluate_custom(_metric(lambda m: returned), torch.nn.Module(), "c")
    assert math.isnan(value)
    assert len(caplog.records) == 1


def test_as_module_holds_tensors_under_their_dotted_names():
    """Nested names become submodules; parameters share memory and need grad."""
    weight = torch.randn(3, 2)
    params = {
        "encoder.layers.0.weight": weight,
        "encoder.norm.bias": torch.zeros(2),
        "head": torch.ones(4),
    }
    model = as_module(params)

    names = [name for name, _ in model.named_parameters()]
    assert sorted(names) == sorted(params)
    assert all(p.requires_grad for p in model.parameters())
    assert (
        model.encoder.layers.get_submodule("0").weight.data_ptr() == weight.data_ptr()
    )
    assert sum(p.numel() for p in model.parameters()) == 12


def test_as_module_refuses_clashing_names():
    """A tensor cannot also be a folder of other tensors."""
    with pytest.raises(ValueError, match="'a.b'"):
        as_module({"a": torch.ones(1), "a.b": torch.ones(1)})


def test_custom_metric_runs_without_building_a_graph():
    """Metric functions run under no_grad, so results carry no autograd history."""
    model = as_module({"w": torch.ones(2)})
    seen = []
    evaluate_custom(
        _metric(lambda m: seen.append(torch.is_grad_enabled()) or 1.0), model, "c"
    )
    assert seen == [False]


def test_custom_metric_runs_on_as_module(tmp_path):
    """The file's function sees the checkpoint's tensors through the module."""
    metrics = load_custom_metrics(write(tmp_path, "m.py", GOOD))
    model = as_module({"fc.weight": torch.full((2, 2), -2.0), "fc.bias": torch.ones(2)})
    values = [evaluate_custom(m, model, "c") for m in metrics]
    assert values == [pytest.approx(10 / 6), 6.0]
