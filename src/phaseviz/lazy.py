"""Package attributes imported on first use, so that light imports stay light."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str,
    modules: Mapping[str, str],
    exported: Sequence[str],
    namespace: dict[str, Any],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a package with lazy names.

    Args:
        package: The package's ``__name__``.
        modules: Each lazy name and the module that defines it.
        exported: The package's ``__all__``.
        namespace: The package's ``globals()``; a name, once imported, is
            stored there so later lookups cost nothing.
    """

    def attribute(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def names() -> list[str]:
        return sorted(exported)

    return attribute, names
