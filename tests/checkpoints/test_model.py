"""The user's model class: finding it, building it, loading weights strictly."""

from __future__ import annotations

import logging
import textwrap

import pytest
import torch

from phaseviz.checkpoints import (
    LoadedCheckpoint,
    ModelError,
    ModelSpec,
    build_model,
    discover_run,
    load_checkpoint,
    load_model_class,
)

MODELS = """
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, num_classes, num_layers):
        super().__init__()
        layers = [nn.Linear(input_dim, hidden_dim), nn.ReLU()]
        for _ in range(num_layers - 2):
            layers += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU()]
        layers.append(nn.Linear(hidden_dim, num_classes))
        self.net = nn.Sequential(*layers)


class SmallCNN(nn.Module):
    def __init__(self, in_channels, num_classes, width):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(2 * width, num_classes)


class TinyTransformer(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, num_layers, dim_feedforward,
                 max_len):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(
            layer, num_layers, enable_nested_tensor=False
        )
        self.head = nn.Linear(d_model, vocab_size)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_size, num_layers, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.lstm = nn.LSTM(embed_dim, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)


class GRUNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, output_size,
                 bidirectional):
        super().__init__()
        self.rnn = nn.GRU(input_size, hidden_size, num_layers,
                          bidirectional=bidirectional)
        self.out = nn.Linear(hidden_size * (2 if bidirectional else 1), output_size)


class ListMLP(nn.Module):
    def __init__(self, in_features, hidden_sizes, out_features):
        super().__init__()
        dims = [in_features, *hidden_sizes]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims, dims[1:]))
        self.head = nn.Linear(dims[-1], out_features)


class Net(nn.Module):
    def __init__(self, in_features, hidden, out_features, activation="relu"):
        super().__init__()
        self.activation = activation
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, out_features)


class Wrapped(nn.Module):
    def __init__(self, in_features, hidden, out_features):
        super().__init__()
        self.model = Net(in_features, hidden, out_features)


class Other(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2)


class Mystery(nn.Module):
    def __init__(self, flavour):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
"""


@pytest.fixture
def models(tmp_path):
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    return path


def _model_class(path, name):
    return load_model_class(ModelSpec(path, name))


def _fits(model_class, reference):
    """Build ``model_class`` from ``reference``'s weights alone."""
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    model = build_model(model_class, LoadedCheckpoint(state))
    for name, tensor in reference.state_dict().items():
        assert torch.equal(model.state_dict()[name], tensor), name
    return model


def test_mlp_arguments_are_inferred_from_shapes(models):
    cls = _model_class(models, "MLP")

    model = _fits(cls, cls(5, 7, 3, 4))

    assert len(model.net) == 7
    assert not model.training


def test_cnn_arguments_are_inferred_from_shapes(models):
    cls = _model_class(models, "SmallCNN")

    model = _fits(cls, cls(in_channels=1, num_classes=10, width=6))

    assert model.classifier.out_features == 10


def test_transformer_arguments_are_inferred_and_heads_are_a_logged_guess(
    models, caplog
):
    cls = _model_class(models, "TinyTransformer")
    reference = cls(50, 16, 4, 2, 32, 12)

    with caplog.at_level(logging.WARNING):
        model = _fits(cls, reference)

    assert len(model.encoder.layers) == 2
    assert model.encoder.layers[0].linear1.out_features == 32
    assert model.pos.num_embeddings == 12
    assert "nhead" in caplog.text and "guess" in caplog.text


def test_lstm_arguments_are_inferred_from_shapes(models):
    cls = _model_class(models, "LSTMClassifier")

    model = _fits(cls, cls(30, 8, 12, 2, 5))

    assert (model.lstm.input_size, model.lstm.hidden_size) == (8, 12)
    assert model.lstm.num_layers == 2


def test_bidirectional_gru_arguments_are_inferred_from_shapes(models):
    cls = _model_class(models, "GRUNet")

    model = _fits(cls, cls(6, 10, 3, 2, True))

    assert model.rnn.bidirectional and model.rnn.num_layers == 3


def test_a_list_of_hidden_sizes_is_inferred_from_shapes(models):
    cls = _model_class(models, "ListMLP")

    model = _fits(cls, cls(4, [8, 16, 8], 3))

    assert [layer.out_features for layer in model.layers] == [8, 16, 8]


def test_arguments_come_from_the_stored_config(models, ckpt_writer):
    ckpt_writer.lightning("epoch=0-step=5.ckpt", step=5, epoch=0)
    (checkpoint,) = discover_run(ckpt_writer.root).checkpoints

    model = build_model(_model_class(models, "Net"), load_checkpoint(checkpoint))

    assert (model.fc1.in_features, model.fc1.out_features) == (3, 4)
    assert torch.equal(model.fc2.bias, ckpt_writer.state_dict()["fc2.bias"])


def test_a_model_that_wraps_its_layers_gets_the_stripped_prefix_back(
    models, ckpt_writer
):
    ckpt_writer.lightning("epoch=0-step=5.ckpt", step=5, epoch=0)
    (checkpoint,) = discover_run(ckpt_writer.root).checkpoints

    model = build_model(_model_class(models, "Wrapped"), load_checkpoint(checkpoint))

    assert torch.equal(model.model.fc1.weight, ckpt_writer.state_dict()["fc1.weight"])


def test_strict_mismatch_lists_missing_and_unexpected_names(models, ckpt_writer):
    loaded = LoadedCheckpoint(ckpt_writer.state_dict())

    with pytest.raises(ModelError) as raised:
        build_model(_model_class(models, "Other"), loaded)

    message = str(raised.value)
    assert "missing" in message and "out.weight" in message and "out.bias" in message
    assert "unexpected" in message and "fc2.weight" in message


def test_shape_mismatch_is_listed(models, ckpt_writer):
    state = ckpt_writer.state_dict()
    state["fc2.weight"] = torch.zeros(2, 5)
    state["fc2.bias"] = torch.zeros(2)

    with pytest.raises(ModelError) as raised:
        build_model(_model_class(models, "Net"), LoadedCheckpoint(state))

    assert "of another shape: fc2.weight (checkpoint (2, 5)" in str(raised.value)


def test_argument_of_unknown_kind_is_named_in_the_error(models, ckpt_writer):
    with pytest.raises(ModelError, match="flavour"):
        build_model(
            _model_class(models, "Mystery"), LoadedCheckpoint(ckpt_writer.state_dict())
        )


def test_the_single_module_class_of_a_file_is_found(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(
        textwrap.dedent("""
        from torch import nn
        from torch.nn import Linear

        class Helper:
            pass

        class Only(nn.Module):
            pass
    """)
    )

    assert load_model_class(ModelSpec(path, None)).__name__ == "Only"


def test_several_module_classes_need_a_class_name(models):
    with pytest.raises(ModelError) as raised:
        load_model_class(ModelSpec(models, None))

    message = str(raised.value)
    assert "MLP" in message and "LSTMClassifier" in message
    assert "--class-name" in message


def test_a_file_without_module_classes_is_an_error(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("from torch import nn\nVALUE = nn.Linear\n")

    with pytest.raises(ModelError, match="no nn.Module subclass"):
        load_model_class(ModelSpec(path, None))


def test_unknown_class_name_lists_what_the_file_defines(models):
    with pytest.raises(ModelError) as raised:
        load_model_class(ModelSpec(models, "ResNet"))

    assert "ResNet" in str(raised.value) and "SmallCNN" in str(raised.value)


def test_missing_model_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        load_model_class(ModelSpec(tmp_path / "nope.py", "Net"))


def test_model_file_that_fails_to_import_is_a_model_error(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import torch\nraise ValueError('bad config')\n")

    with pytest.raises(ModelError, match="bad config") as raised:
        load_model_class(ModelSpec(path, None))

    assert raised.value.exit_code == 5


def test_model_file_may_import_files_beside_it(tmp_path):
    (tmp_path / "ckpt_blocks_helper.py").write_text(
        "from torch import nn\n\nclass Block(nn.Linear):\n    pass\n"
    )
    path = tmp_path / "net.py"
    path.write_text(
        textwrap.dedent("""
        from torch import nn
        from ckpt_blocks_helper import Block

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.block = Block(2, 2)
    """)
    )

    assert load_model_class(ModelSpec(path, None)).__name__ == "Net"
