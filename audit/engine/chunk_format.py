"""A chunk's statistics as data that cannot execute: JSON with a schema plus numpy arrays.

:mod:`audit.engine.checkpoint` keeps finished chunks on disk for ``--resume``. They
used to be pickles, and unpickling a file planted in the output directory runs
whatever code it names. This format only ever builds plain values:

- a JSON document (``doc``) describing the structure, whose every node is a JSON
  scalar or a one-key object tagged ``$list``, ``$tuple``, ``$dict``, ``$float``
  (non-finite), ``$np`` (a numpy scalar), ``$nd`` (an array), ``$df`` (a
  DataFrame), ``$cat`` (a categorical column) or ``$dc`` (a dataclass);
- the arrays, each stored in the same ``.npz`` file and read back with
  ``numpy.load(..., allow_pickle=False)`` (an object array cannot be stored:
  its elements are encoded in the document instead).

A dataclass found more than once in a value (every replay audit of a scorer
holds the same pooled sample, :func:`audit.aggregate.merge_all`) is stored
once: its first node carries ``"$id": n`` and every later place holds
``{"$ref": n}``, which reads back as that same object. Encoding it once per
place cost the main process a copy of the pool's nodes per audit while it saved
a chunk, and a resumed run got separate copies that merged separately.

A dataclass is rebuilt only when it is one of this package's own
(``audit.*``), already imported, and a dataclass: its fields are passed to its
constructor, nothing else is called. Anything else in a document is refused
with :class:`ChunkFormatError`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import sys
import zipfile
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

__all__ = ["ChunkFormatError", "FORMAT", "dumps", "encode", "loads", "write_npz"]

#: Written into every document; a document of another format is refused.
FORMAT = "scs-audit chunk 1"
_DOC = "doc"


class ChunkFormatError(ValueError):
    """A value cannot be stored in, or a file cannot be read as, the chunk format."""


def _is_plain_dtype(dtype: np.dtype) -> bool:
    return dtype.kind in "biufcmMSU" and not dtype.hasobject


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, tuple[Any, dict]] = {}
        """id of a dataclass already encoded -> (the object, kept so its id stays its own; its node)."""
        self.shared = 0
        """Dataclasses found more than once so far (the next one's ``$id``)."""

    def array(self, a: np.ndarray) -> Any:
        if not _is_plain_dtype(a.dtype):
            if a.dtype.kind == "O":
                return self.object_array(a)
            raise ChunkFormatError(f"an array of dtype {a.dtype} cannot be stored")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.asarray(a, order="C")
        return {"$nd": key}

    def object_array(self, a: np.ndarray) -> Any:
        """An object array: its distinct values once and a code per element when every element is text
        (``None``, a string, or a tuple of strings: a score frame's ``reasons``), else each element in the document.

        A pooled sample's ``reasons`` hold tens of thousands of tuples drawn
        from a few hundred; a node per element cost the main process tens of
        MiB while it saved a chunk, a code per element costs 4 bytes.
        """
        items = a.ravel().tolist()
        if not all(_is_text(v) for v in items):
            return {"$objarr": [self.value(v) for v in items], "shape": list(a.shape)}
        distinct: dict[Any, int] = {}
        codes = np.fromiter((distinct.setdefault(v, len(distinct)) for v in items), dtype=np.int32, count=len(items))
        return {"$objcodes": self.array(codes), "values": [self.value(v) for v in distinct], "shape": list(a.shape)}

    def column(self, s: pd.Series) -> Any:
        if isinstance(s.dtype, pd.CategoricalDtype):
            return {"$cat": self.array(s.cat.codes.to_numpy()), "categories": self.index(s.cat.categories),
                    "ordered": bool(s.cat.ordered)}
        values = s.to_numpy()
        if values.dtype != s.dtype:  # an extension dtype (nullable ints, strings ...)
            raise ChunkFormatError(f"a column of dtype {s.dtype} cannot be stored")
        return self.array(values)

    def index(self, ix: pd.Index) -> Any:
        if isinstance(ix, pd.RangeIndex):
            return {"$range": [ix.start, ix.stop, ix.step], "name": self.value(ix.name)}
        if isinstance(ix, pd.MultiIndex) or isinstance(ix.dtype, pd.CategoricalDtype):
            raise ChunkFormatError(f"an index of type {type(ix).__name__} cannot be stored")
        return {"$index": self.array(ix.to_numpy()), "name": self.value(ix.name)}

    def value(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int) and not isinstance(v, np.generic):
            return v
        if isinstance(v, float) and not isinstance(v, np.generic):
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, np.generic):
            if not _is_plain_dtype(v.dtype):
                raise ChunkFormatError(f"a numpy scalar of dtype {v.dtype} cannot be stored")
            return {"$np": self.array(np.asarray(v))}
        if isinstance(v, np.ndarray):
            return self.array(v)
        if isinstance(v, list):
            return {"$list": [self.value(x) for x in v]}
        if isinstance(v, tuple):
            return {"$tuple": [self.value(x) for x in v]}
        if isinstance(v, dict):
            return {"$dict": [[self.value(k), self.value(x)] for k, x in v.items()]}
        if isinstance(v, pd.DataFrame):
            if not all(isinstance(c, str) for c in v.columns) or v.columns.has_duplicates:
                raise ChunkFormatError("a DataFrame needs unique string column names to be stored")
            return {"$df": [[c, self.column(v[c])] for c in v.columns], "index": self.index(v.index)}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return self.dataclass(v)
        raise ChunkFormatError(f"a value of type {type(v).__module__}.{type(v).__qualname__} cannot be stored")

    def dataclass(self, v: Any) -> Any:
        """A dataclass's node; a reference to its first node when the same object was encoded before."""
        if id(v) in self.seen:
            node = self.seen[id(v)][1]
            if "$id" not in node:
                node["$id"] = self.shared
                self.shared += 1
            return {"$ref": node["$id"]}
        cls = type(v)
        if not cls.__module__.startswith("audit."):
            raise ChunkFormatError(f"{cls.__module__}.{cls.__qualname__} is not one of this package's values")
        fields = {f.name: self.value(getattr(v, f.name)) for f in dataclasses.fields(v) if f.init}
        node = {"$dc": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
        self.seen[id(v)] = (v, node)
        return node


def _is_text(v: Any) -> bool:
    """``None``, a ``str``, or a tuple of ``str`` (exact types: ``1 == 1.0 == True`` must not share a code)."""
    return v is None or type(v) is str or (type(v) is tuple and all(type(x) is str for x in v))


class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.shared: dict[int, Any] = {}
        """``$id`` -> the dataclass read from the node carrying it (what a later ``$ref`` stands for)."""

    def array(self, node: Any) -> np.ndarray:
        if isinstance(node, dict) and "$objarr" in node:
            items = [self.value(x) for x in node["$objarr"]]
            out = np.empty(len(items), dtype=object)
            out[:] = items
            return out.reshape(tuple(int(n) for n in node["shape"]))
        if isinstance(node, dict) and "$objcodes" in node:
            return self.coded_objects(node)
        key = node.get("$nd") if isinstance(node, dict) else None
        if key not in self.arrays:
            raise ChunkFormatError(f"the document names an array {key!r} the file does not hold")
        return self.arrays[key]

    def coded_objects(self, node: dict) -> np.ndarray:
        """The object array of an ``$objcodes`` node: each element its code's value."""
        values = [self.value(x) for x in node["values"]]
        codes = self.array(node["$objcodes"])
        if codes.dtype.kind not in "iu" or (codes.size and not 0 <= int(codes.min()) <= int(codes.max()) < len(values)):
            raise ChunkFormatError("an object array's codes do not index its values")
        table = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):  # one by one: numpy would read tuples of equal length as a second axis
            table[i] = v
        return table[codes].reshape(tuple(int(n) for n in node["shape"]))

    def index(self, node: dict) -> pd.Index:
        if "$range" in node:
            start, stop, step = (int(x) for x in node["$range"])
            return pd.RangeIndex(start, stop, step, name=self.value(node.get("name")))
        return pd.Index(self.array(node["$index"]), name=self.value(node.get("name")))

    def column(self, node: dict) -> Any:
        if "$cat" in node:
            return pd.Categorical.from_codes(self.array(node["$cat"]), categories=self.index(node["categories"]),
                                             ordered=bool(node["ordered"]))
        return self.array(node)

    def value(self, node: Any) -> Any:
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list) or not isinstance(node, dict) or len(node) == 0:
            raise ChunkFormatError(f"unexpected node {str(node)[:60]!r}")
        tag = next(iter(node))
        if tag == "$list":
            return [self.value(x) for x in node[tag]]
        if tag == "$tuple":
            return tuple(self.value(x) for x in node[tag])
        if tag == "$dict":
            return {_hashable(self.value(k)): self.value(x) for k, x in node[tag]}
        if tag == "$float":
            if node[tag] not in ("nan", "inf", "-inf"):
                raise ChunkFormatError(f"unexpected float {str(node[tag])[:20]!r}")
            return float(node[tag])
        if tag == "$np":
            return self.array(node[tag])[()]
        if tag in ("$nd", "$objarr", "$objcodes"):
            return self.array(node)
        if tag == "$df":
            columns = {str(name): self.column(col) for name, col in node[tag]}
            return pd.DataFrame(columns, index=self.index(node["index"]))
        if tag == "$dc":
            return self.dataclass(node)
        if tag == "$ref":
            if node[tag] not in self.shared:
                raise ChunkFormatError(f"a reference to {str(node[tag])[:20]!r}, which no earlier value carries")
            return self.shared[node[tag]]
        raise ChunkFormatError(f"unknown tag {tag[:20]!r}")

    def dataclass(self, node: dict) -> Any:
        module, _, qualname = str(node["$dc"]).partition(":")
        cls: Any = sys.modules.get(module) if module.startswith("audit.") else None
        for part in qualname.split("."):
            cls = getattr(cls, part, None)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ChunkFormatError(f"{str(node['$dc'])[:80]!r} is not one of this package's loaded values")
        names = {f.name for f in dataclasses.fields(cls) if f.init}
        fields = node["fields"]
        if not isinstance(fields, dict) or set(fields) != names:
            raise ChunkFormatError(f"the fields of {qualname} do not match its definition")
        value = cls(**{k: self.value(v) for k, v in fields.items()})
        if "$id" in node:  # later places refer to this same object
            self.shared[node["$id"]] = value
        return value


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        raise ChunkFormatError("a dictionary key cannot be a list")
    return key


def encode(value: Any) -> dict[str, np.ndarray]:
    """The arrays of ``value``'s ``.npz`` file, its document among them (raises :class:`ChunkFormatError`).

    Write them with :func:`write_npz`. Encoding first and writing second lets
    a caller refuse a value before it creates any file, and write a large
    value straight to its file without a copy of the whole file in memory.
    """
    enc = _Encoder()
    doc = json.dumps({"format": FORMAT, "value": enc.value(value)}, allow_nan=False).encode("utf-8")
    return {**enc.arrays, _DOC: np.frombuffer(doc, dtype=np.uint8)}


def write_npz(arrays: dict[str, np.ndarray], file: BinaryIO) -> None:
    """Write :func:`encode`'s arrays to a binary file as an ``.npz`` (what :func:`loads` reads back)."""
    np.savez(file, **arrays)  # type: ignore[arg-type]


def dumps(value: Any) -> bytes:
    """``value`` as the bytes of an ``.npz`` file (raises :class:`ChunkFormatError` for what cannot be stored)."""
    buf = io.BytesIO()
    write_npz(encode(value), buf)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """The value :func:`dumps` stored; never unpickles (raises :class:`ChunkFormatError` for anything else)."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ChunkFormatError(f"not a chunk file ({exc})") from None
    raw = arrays.pop(_DOC, None)
    try:
        doc = json.loads(raw.tobytes().decode("utf-8")) if raw is not None and raw.dtype == np.uint8 else None
    except (UnicodeDecodeError, ValueError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ChunkFormatError(f"not a chunk file of format {FORMAT!r}")
    try:
        return _Decoder(arrays).value(doc.get("value"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ChunkFormatError(f"a malformed chunk document ({type(exc).__name__}: {str(exc)[:80]})") from None
