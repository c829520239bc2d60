"""Imports put off until first use: a package's public names, and the compiled kernels' modules.

:func:`lazy_exports`: a name's module is imported when the name is first read.
Importing one module of a package then loads no other, so ``import audit.errors``
(and the pytest plugin's start-up) stays cheap, and a package's face never
imports the modules that import it.

:func:`lazy_module`: a module that is imported when one of its attributes is
first read. The modules of compiled kernels import numba, which with llvmlite
and the kernels' dispatchers is about 60-80 MiB of a process's memory
(``python bench/memtrace.py --growth 8``: the command's high-water mark grew
by about 120 MiB importing them). The command imports the generator, the
scorers and the audits for their classes and never calls a kernel itself
when a worker pool runs the chunks, so the modules it imports reach kernels
through :func:`lazy_module` and the command never loads numba; the
forkserver's preload (:mod:`audit.preload`) and a run in the command's own
process load them on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["LazyModule", "lazy_module", "lazy_exports"]


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


class LazyModule:
    """Stands for the module ``name``, imported when an attribute is first read; every read goes to the module.

    Reads are not cached here: the module's own attribute is read each time, so
    a test that replaces a module's function (``monkeypatch.setattr``) replaces
    it for every caller. Importing is thread-safe (:func:`importlib.import_module`).
    """

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r}, {state}>"


def lazy_module(name: str) -> Any:
    """The module ``name``, imported on first attribute read (a :class:`LazyModule`).

    Typed ``Any`` at run time; a caller that wants its attributes checked
    imports the module itself under ``typing.TYPE_CHECKING``:

    Examples
    --------
    >>> from typing import TYPE_CHECKING
    >>> if TYPE_CHECKING:
    ...     from audit.engine import batch_kernels
    ... else:
    ...     batch_kernels = lazy_module("audit.engine.batch_kernels")
    """
    return LazyModule(name)
