"""Resumable runs: each finished chunk's statistics kept on disk until the run succeeds.

A run writes every finished chunk's :class:`~audit.engine.contract.ChunkOutput` to
``DIR/.chunks/<fingerprint>/<first_block>.npz`` in :mod:`audit.engine.chunk_format`
(JSON and numpy arrays: nothing in it can execute) and records the file's
keyed digest (HMAC-SHA256) in ``index.json`` beside it. The fingerprint covers
everything the statistics depend on — the population (spec, size, seed,
generator version), the chunk plan, the scorers (class, version, params),
the audits, the cell layout, the options and the package version — so a
resumed run only reuses chunks of exactly the same run. Each chunk is keyed by
its first block and written atomically (temporary file, then rename), so a
chunk is either complete on disk or absent, and counted at most once. When
the run finishes its directory is deleted.

These files are private: they hold exact (not differentially private)
statistics, like ``results.json``. The folders are created 0700 and every
file 0600 from its first byte.

A resumed run reads only chunks the index lists with a matching digest; any
other file there (a pickle left by an older version, a planted or altered
file) is refused, never read, and named in :attr:`ChunkStore.refused`. The
digests are keyed with a secret kept outside the output directory
(:func:`chunk_key`, in ``~/.scs-audit/``), so someone who can write to the
output directory cannot forge a chunk together with an index that vouches
for it.
Abandoned stores of other runs in the same directory are removed when a run
succeeds, but only those holding nothing except what their index lists
(:meth:`ChunkStore.clear_abandoned`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from audit.engine.chunk_format import ChunkFormatError, encode, loads, write_npz
from audit.engine.contract import ChunkOutput
from audit.errors import OutputConflict
from audit.output.artefacts import temporary_beside

__all__ = ["CHECKPOINT_DIRNAME", "INDEX_NAME", "ChunkStore", "make_private_dir", "run_fingerprint", "write_private"]

#: Folder inside the output directory that holds unfinished runs' chunks.
CHECKPOINT_DIRNAME = ".chunks"


def _stable(value: Any, depth: int) -> Any:
    """``repr`` of a value, or, for an object without its own ``repr`` (whose default names its memory
    address, different in every process), its description: an audit that wraps another (a gate) or
    holds a helper fingerprints the same in every run."""
    if type(value).__repr__ is object.__repr__ and depth < 4:
        return _describe_object(value, depth + 1)
    return repr(value)


def _describe_object(obj: Any, depth: int = 0) -> dict[str, Any]:
    """A stable description of a scorer or audit: class, name, version, params or plain state."""
    cls = type(obj)
    out: dict[str, Any] = {"class": f"{cls.__module__}.{cls.__qualname__}", "name": str(getattr(obj, "name", ""))}
    if hasattr(obj, "version"):
        out["version"] = str(obj.version)
    params = getattr(obj, "params", None)
    if params is not None:
        out["params"] = {str(k): repr(v) for k, v in sorted(dict(params).items())}
    state = getattr(obj, "__dict__", None)
    if state:
        out["state"] = {str(k): _stable(v, depth) for k, v in sorted(state.items())}
    return out


def run_fingerprint(
    *,
    source: Any,
    plan: Sequence[tuple[int, int]],
    scorers: Sequence[tuple[str, Any]],
    audits: Sequence[Any],
    layout: Any,
    options: Any,
) -> str:
    """SHA-256 over everything a run's chunk statistics depend on."""
    from audit.population.synth import GENERATOR_VERSION
    from audit.version import package_version

    doc = {
        "population": source.fingerprint(),
        "generator": GENERATOR_VERSION,
        "plan": [list(b) for b in plan],
        "scorers": [[label, _describe_object(s) if not isinstance(s, str) else s] for label, s in scorers],
        "audits": [_describe_object(a) for a in audits],
        "layout": repr(layout),
        "options": {k: repr(v) for k, v in sorted(dataclasses.asdict(options).items())},
        "package": package_version(),
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


#: The index of one store: which chunk files this tool wrote, with their digests.
INDEX_NAME = "index.json"
_INDEX_FORMAT = "scs-audit chunk index 2"  # 2: keyed digests (an index of 1 is refused, its chunks recomputed)
_CHUNK_NAME = re.compile(r"(0|[1-9][0-9]{0,17})\.npz")
_TEMPORARY = re.compile(r"\.(index\.json|[0-9]+\.npz)\.[A-Za-z0-9_]+\.tmp")  # write_private's names


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; tighten it to 0700 if it exists.

    Raises :class:`~audit.errors.OutputConflict` for a symbolic link or a file
    there: the store is never put (or its mode changed) in a place the link names.
    """
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise OutputConflict(f"{path} is not a directory this tool made (a link or a file); nothing was written "
                             "there. Fix: move it away, or choose another output directory")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def write_private(path: Path, data: bytes | Callable[[BinaryIO], None]) -> str | None:
    """Write ``data`` to ``path`` atomically, the file mode 0600 from its first byte.

    ``data`` is the bytes, or a function writing them to the open file (a large
    chunk goes to disk without a copy of the whole file in memory); then the
    file's keyed digest is returned, read back before the file takes its name.
    """
    with temporary_beside(path) as (fd, tmp):  # at once, never deferred: a chunk must survive an interruption
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
        digest = _file_digest(Path(tmp)) if callable(data) else None
        os.replace(tmp, path)
    return digest


class ChunkStore:
    """Finished chunks of one run, on disk under ``root/.chunks/<fingerprint>/``."""

    def __init__(self, root: str | Path, fingerprint: str) -> None:
        self.dir = Path(root) / CHECKPOINT_DIRNAME / fingerprint
        self.fingerprint = fingerprint
        self.refused: list[str] = []
        """One line per file found in the store and not read (not written by this tool, or altered)."""

    def path(self, first_block: int) -> Path:
        return self.dir / f"{first_block}.npz"

    def _index(self) -> dict[int, str]:
        """first block -> keyed digest of its file, from ``index.json`` (empty when missing or malformed)."""
        try:
            doc = json.loads((self.dir / INDEX_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("format") != _INDEX_FORMAT or doc.get("fingerprint") != self.fingerprint:
            return {}
        chunks = doc.get("chunks")
        if not isinstance(chunks, dict):
            return {}
        return {int(k): v for k, v in chunks.items() if _CHUNK_NAME.fullmatch(f"{k}.npz") and isinstance(v, str)}

    def _write_index(self, index: dict[int, str]) -> None:
        doc = {"format": _INDEX_FORMAT, "fingerprint": self.fingerprint,
               "chunks": {str(k): v for k, v in sorted(index.items())}}
        write_private(self.dir / INDEX_NAME, json.dumps(doc, indent=1).encode())

    def finished(self) -> list[int]:
        """First blocks of the chunks on disk whose file this tool wrote, unaltered; the rest is refused.

        Every other file in the store is named in :attr:`refused` and never opened.
        """
        if not self.dir.is_dir():
            return []
        index = self._index()
        out = []
        self.refused = []
        for p in sorted(self.dir.iterdir()):
            if p.name == INDEX_NAME or _TEMPORARY.fullmatch(p.name):
                continue
            m = _CHUNK_NAME.fullmatch(p.name)
            if m is None or int(m.group(1)) not in index or not p.is_file() or p.is_symlink():
                self.refused.append(f"{p}: not written by this run (not in its {INDEX_NAME}); it was not read")
            elif not hmac.compare_digest(_file_digest(p), index[int(m.group(1))]):
                self.refused.append(f"{p}: altered since this run wrote it (its digest differs); it was not read")
            else:
                out.append(int(m.group(1)))
        return sorted(out)

    def load(self, first_block: int) -> ChunkOutput | None:
        """A finished chunk's statistics, or ``None`` if missing, unlisted or unreadable (then recomputed)."""
        expected = self._index().get(first_block)
        try:
            data = self.path(first_block).read_bytes()
        except OSError:
            return None
        if expected is None or not hmac.compare_digest(_digest(data), expected):
            return None
        try:
            out = loads(data)
        except ChunkFormatError:
            return None
        return out if isinstance(out, ChunkOutput) else None

    def iter_finished(self, plan: Sequence[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], ChunkOutput]]:
        """``(blocks, output)`` for each chunk of ``plan`` already on disk and readable."""
        have = set(self.finished())
        for blocks in plan:
            if blocks[0] in have:
                out = self.load(blocks[0])
                if out is not None:
                    yield (blocks[0], blocks[1]), out

    def save(self, first_block: int, output: ChunkOutput) -> None:
        """Write one finished chunk atomically, at once, and record its digest in the index.

        Not through :func:`audit.output.artefacts.atomic_write_bytes`: inside the command
        line's all-or-nothing block that would wait for the run to finish, and
        a chunk must be on disk as soon as it is done to survive an interruption.
        A chunk holding a value the format cannot store, or whose file name is
        taken by a file this tool did not write, is not kept (a resumed run
        computes it again).
        """
        try:
            arrays = encode(output)
        except ChunkFormatError:
            return
        make_private_dir(self.dir.parent)
        make_private_dir(self.dir)
        index = self._index()
        if first_block not in index and os.path.lexists(self.path(first_block)):
            return  # a file this tool did not write: never overwritten
        index.pop(first_block, None)
        self._write_index(index)  # never an index entry for a file being replaced
        digest = write_private(self.path(first_block), lambda f: write_npz(arrays, f))
        assert digest is not None  # written by a function: digested
        index[first_block] = digest
        self._write_index(index)

    def clear(self) -> None:
        """Delete this run's chunks (after success, or to start afresh): only files this tool wrote."""
        if self.dir.parent.is_symlink():
            return  # never delete through a link
        _remove_store(self.dir, self._index())
        try:
            self.dir.parent.rmdir()  # only if no other run's chunks are kept there
        except OSError:
            pass

    def clear_abandoned(self) -> list[Path]:
        """Delete other runs' stores in the same ``.chunks`` that hold only what their index lists.

        Returns the folders removed. A folder with any file its index does not
        list (or without an index) is left alone.
        """
        removed: list[Path] = []
        parent = self.dir.parent
        if not parent.is_dir() or parent.is_symlink():
            return removed
        for d in sorted(parent.iterdir()):
            if d == self.dir or not d.is_dir() or d.is_symlink():
                continue
            other = ChunkStore(parent.parent, d.name)
            index = other._index()
            if index and _remove_store(d, index):
                removed.append(d)
        try:
            parent.rmdir()
        except OSError:
            pass
        return removed


#: Where the chunk digests' secret key is kept: beside the privacy ledger, outside any output directory.
CHUNK_KEY_NAME = "chunk-key"
_KEY_BYTES = 32
_process_key: bytes | None = None


def chunk_key() -> bytes:
    """The secret that keys chunk digests: ``~/.scs-audit/chunk-key``, made once (0600, in a 0700 folder).

    Kept outside every output directory, so a file planted beside the chunks
    cannot come with a digest that vouches for it. Where the home directory
    cannot hold it, a key for this process alone is used: chunks are still
    checked, and a later ``--resume`` recomputes them instead of trusting them.
    """
    global _process_key
    folder = Path.home() / ".scs-audit"
    path = folder / CHUNK_KEY_NAME
    try:
        key = path.read_bytes()
        if len(key) == _KEY_BYTES and not path.is_symlink():
            return key
    except OSError:
        pass
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = _new_private_file(folder)
        try:
            os.write(fd, os.urandom(_KEY_BYTES))
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic: two processes making it at once agree on one key
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        key = path.read_bytes()
        if len(key) == _KEY_BYTES and not path.is_symlink():
            return key
    except OSError:
        pass
    if _process_key is None:
        _process_key = os.urandom(_KEY_BYTES)
    return _process_key


def _new_private_file(folder: Path) -> tuple[int, str]:
    return tempfile.mkstemp(prefix=f".{CHUNK_KEY_NAME}.", dir=folder)  # mkstemp creates it 0600


def _digest(data: bytes) -> str:
    """Keyed digest (HMAC-SHA256 under :func:`chunk_key`) of a chunk file's bytes."""
    return hmac.new(chunk_key(), data, hashlib.sha256).hexdigest()


def _file_digest(path: Path) -> str:
    h = hmac.new(chunk_key(), digestmod=hashlib.sha256)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _remove_store(directory: Path, index: dict[int, str]) -> bool:
    """Remove the chunk files ``index`` lists, the index and temporary files; the folder if then empty."""
    if not directory.is_dir() or directory.is_symlink():
        return False
    ours = {f"{k}.npz" for k in index} | {INDEX_NAME}
    for p in directory.iterdir():
        temporary = _TEMPORARY.fullmatch(p.name) is not None
        if (p.name in ours or temporary) and not p.is_dir():
            p.unlink(missing_ok=True)
    try:
        directory.rmdir()
    except OSError:
        return False
    return True
