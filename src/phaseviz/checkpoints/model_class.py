"""The user's model class: importing it from a Python file."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from torch import nn

from phaseviz.checkpoints.errors import ModelError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """Where the user's model class is.

    Attributes:
        path: The Python file that defines it.
        class_name: The class's name; None when the file defines exactly one
            ``nn.Module`` subclass.
    """

    path: Path
    class_name: str | None = None


def load_model_class(spec: ModelSpec) -> type[nn.Module]:
    """Import the user's model file and return the model class.

    The file runs as a module of its own, with its folder on ``sys.path``
    while it is imported, so it may import modules beside it.

    Args:
        spec: The file and, optionally, the class name.

    Returns:
        The class.

    Raises:
        ModelError: The file is missing or fails to import, the class is not
            there or is not an ``nn.Module``, or no class name was given and
            the file defines none or several.
    """
    path = Path(spec.path).expanduser()
    module = _import_file(path)
    if spec.class_name is not None:
        return _named_class(module, path, spec.class_name)

    defined = _defined_modules(module)
    if len(defined) == 1:
        return defined[0]
    if not defined:
        raise ModelError(
            f"{path}: defines no nn.Module subclass. "
            "Give the file that defines the model."
        )
    names = ", ".join(cls.__name__ for cls in defined)
    raise ModelError(
        f"{path}: defines several nn.Module subclasses ({names}); "
        "choose one with --class-name."
    )


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise ModelError(
            f"{path}: no such model file. "
            "Give the Python file that defines the model class."
        )

    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"phaseviz_user_model_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"{path}: cannot be imported as Python. Give a .py file.")

    module = importlib.util.module_from_spec(spec)
    # Registered before running, so dataclasses and pickling inside it work.
    sys.modules[name] = module
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        sys.modules.pop(name, None)
        raise ModelError(
            f"{path}: importing it failed ({type(error).__name__}: {error}); "
            "fix the model file and try again."
        ) from error
    finally:
        sys.path.remove(folder)
    logger.debug("imported model file %s as %s", path, name)
    return module


def _named_class(module: ModuleType, path: Path, class_name: str) -> type[nn.Module]:
    value = getattr(module, class_name, None)
    if isinstance(value, type) and issubclass(value, nn.Module):
        return value

    available = ", ".join(c.__name__ for c in _defined_modules(module)) or "none"
    what = "is not an nn.Module subclass" if value is not None else "is not defined"
    raise ModelError(
        f"{path}: {class_name} {what} there. "
        f"nn.Module subclasses it defines: {available}."
    )


def _defined_modules(module: ModuleType) -> list[type[nn.Module]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, nn.Module)
        and value.__module__ == module.__name__
    ]
