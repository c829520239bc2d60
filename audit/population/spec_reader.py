"""The strict reader of one TOML table in a population spec.

Every key must be read exactly once: a missing key, a value of the wrong type,
a non-finite number, a value outside its bounds or shares that do not sum to
one raise :class:`~audit.errors.InvalidSpec` naming the file, the dotted key and
the fix; :meth:`Reader.done` refuses any key left unread (a typo must not fall
back silently to a default). What the keys mean is :mod:`audit.population.spec`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, overload

from audit.errors import InvalidSpec

__all__ = ["Reader"]

_SHARE_TOLERANCE = 1e-6
_TYPE_WORDS = {float: "a number", int: "a whole number", str: "a string", list: "a list", dict: "a table", bool: "true or false"}


class Reader:
    """Strict reader of one TOML table: every key must be consumed exactly once."""

    def __init__(self, table: Mapping[str, Any], where: str, file: str) -> None:
        if not isinstance(table, Mapping):
            raise InvalidSpec(f"{file}: [{where}] must be a table, got {type(table).__name__}")
        self.table = dict(table)
        self.where = where
        self.file = file

    def _fail(self, key: str, problem: str, fix: str) -> InvalidSpec:
        return InvalidSpec(f"{self.file}: {self.where + '.' if self.where else ''}{key} {problem}; {fix}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise self._fail(key, "is missing", f"add `{key} = ...` to [{self.where}]")
            return default
        value = self.table.pop(key)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            kinds = kind if isinstance(kind, tuple) else (kind,)
            name = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
            raise self._fail(key, f"must be {name}, got {value!r}", "fix its type")
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(key, f"must be finite, got {value!r}", "give a finite number")
        return value

    @overload
    def number(self, key: str, default: float = ..., *, lo: float | None = 0.0, hi: float | None = None) -> float: ...
    @overload
    def number(self, key: str, default: None, *, lo: float | None = 0.0, hi: float | None = None) -> float | None: ...

    def number(self, key: str, default: Any = ..., *, lo: float | None = 0.0, hi: float | None = None) -> float | None:
        value = self.get(key, float, default)
        if value is None:
            return value
        if lo is not None and value < lo:
            raise self._fail(key, f"is {value}, below the smallest allowed {lo}", f"use a value >= {lo}")
        if hi is not None and value > hi:
            raise self._fail(key, f"is {value}, above the largest allowed {hi}", f"use a value <= {hi}")
        return float(value)

    def numbers(
        self, key: str, length: int | None = None, *, lo: float | None = 0.0, hi: float | None = None
    ) -> tuple[float, ...]:
        values = self.get(key, list)
        out = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise self._fail(key, f"must hold finite numbers, got {v!r}", "fix the list")
            if lo is not None and v < lo:
                raise self._fail(key, f"holds {v}, below the smallest allowed {lo}", f"use values >= {lo}")
            if hi is not None and v > hi:
                raise self._fail(key, f"holds {v}, above the largest allowed {hi}", f"use values <= {hi}")
            out.append(float(v))
        if length is not None and len(out) != length:
            raise self._fail(key, f"has {len(out)} entries, expected {length}", f"give exactly {length}")
        return tuple(out)

    def whole(self, key: str, lo: int, hi: int) -> int:
        value = self.get(key, int)
        if not lo <= value <= hi:
            raise self._fail(key, f"is {value}, outside {lo} to {hi}", f"use a whole number from {lo} to {hi}")
        return value

    def shares(self, key: str, length: int | None = None) -> tuple[float, ...]:
        values = self.numbers(key, length)
        total = sum(values)
        if abs(total - 1.0) > _SHARE_TOLERANCE:
            raise self._fail(key, f"sums to {total:.6g}, not 1", "rescale the shares so they sum to 1")
        return values

    def sub(self, key: str) -> Reader:
        return Reader(self.get(key, dict), f"{self.where}.{key}" if self.where else key, self.file)

    def done(self) -> None:
        if self.table:
            keys = ", ".join(sorted(self.table))
            raise InvalidSpec(
                f"{self.file}: unknown key(s) in [{self.where or 'top level'}]: {keys}; "
                "check the spelling against fixtures/populations/china-2020.toml"
            )
