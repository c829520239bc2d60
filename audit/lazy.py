"""Lazy public names for a package's ``__init__``: a name's module is imported when the name is first read.

Importing one module of a package then loads no other, so ``import audit.errors``
(and the pytest plugin's start-up) stays cheap, and a package's face never
imports the modules that import it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` serving ``exports`` (public name -> module defining it).

    Examples
    --------
    >>> __getattr__, __dir__ = lazy_exports(__name__, {"Population": "audit.population.model"})
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
