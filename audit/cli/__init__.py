"""The command line: every flag, its parsing and its wording (``scs-audit``).

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.cli.commands import build_parser, main

_EXPORTS = {
    "build_parser": "audit.cli.commands",
    "main": "audit.cli.commands",
}

__all__ = [
    "build_parser",
    "main",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
