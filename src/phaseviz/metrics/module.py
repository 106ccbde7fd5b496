"""A module holding a checkpoint's tensors, for custom metrics without a model."""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn


def as_module(params: Mapping[str, Tensor]) -> nn.Module:
    """An ``nn.Module`` whose parameters are ``params`` under their names.

    Dotted names become nested submodules, so ``model.named_parameters()``
    gives back the state-dict names and ``model.fc.weight`` works. The
    parameters share memory with ``params`` (nothing is copied) and have
    ``requires_grad`` set, as a model's trainable parameters do; autograd
    then refuses in-place changes to them outside ``torch.no_grad()``.
    Non-floating tensors, which cannot require gradients, become buffers.

    Raises:
        ValueError: Two names clash (``a`` is a tensor and ``a.b`` another).

    Example:
        >>> import torch
        >>> model = as_module({"encoder.0.weight": torch.ones(2, 2)})
        >>> [name for name, _ in model.named_parameters()]
        ['encoder.0.weight']
    """
    root = nn.Module()
    for name, tensor in params.items():
        *path, leaf = name.split(".")
        owner = _submodule(root, path, name)
        try:
            if tensor.is_floating_point() or tensor.is_complex():
                owner.register_parameter(leaf, nn.Parameter(tensor.detach()))
            else:
                owner.register_buffer(leaf, tensor.detach())
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"cannot hold tensor {name!r} in a module: {error}"
            ) from error
    return root


def _submodule(root: nn.Module, path: list[str], name: str) -> nn.Module:
    module = root
    for part in path:
        child = module._modules.get(part)
        if child is None:
            if hasattr(module, part) or not part:
                raise ValueError(f"cannot hold tensor {name!r}: {part!r} is taken")
            child = nn.Module()
            module.add_module(part, child)
        module = child
    return module
