"""Resumable runs: each finished chunk's statistics kept on disk until the run succeeds.

A run writes every finished chunk's :class:`~audit.engine.ChunkOutput` to
``DIR/.chunks/<fingerprint>/<first_block>.pkl``. The fingerprint covers
everything the statistics depend on — the population (spec, size, seed,
generator version), the chunk plan, the scorers (class, version, params),
the audits, the cell layout, the options and the package version — so a
resumed run only reuses chunks of exactly the same run. Each chunk is keyed by
its first block and written atomically (temporary file, then rename), so a
chunk is either complete on disk or absent, and counted at most once. When
the run finishes its directory is deleted.

These files are private: they hold exact (not differentially private)
statistics, like ``results.json``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from audit.engine import ChunkOutput

__all__ = ["CHECKPOINT_DIRNAME", "ChunkStore", "run_fingerprint"]

#: Folder inside the output directory that holds unfinished runs' chunks.
CHECKPOINT_DIRNAME = ".chunks"


def _describe_object(obj: Any) -> dict[str, Any]:
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
        out["state"] = {str(k): repr(v) for k, v in sorted(state.items())}
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
    from audit.results import package_version
    from audit.synth import GENERATOR_VERSION

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


class ChunkStore:
    """Finished chunks of one run, on disk under ``root/.chunks/<fingerprint>/``."""

    def __init__(self, root: str | Path, fingerprint: str) -> None:
        self.dir = Path(root) / CHECKPOINT_DIRNAME / fingerprint

    def path(self, first_block: int) -> Path:
        return self.dir / f"{first_block}.pkl"

    def finished(self) -> list[int]:
        """First blocks of the chunks already on disk, in order."""
        if not self.dir.is_dir():
            return []
        out = []
        for p in self.dir.glob("*.pkl"):
            try:
                out.append(int(p.stem))
            except ValueError:  # not one of ours
                continue
        return sorted(out)

    def load(self, first_block: int) -> ChunkOutput | None:
        """A finished chunk's statistics, or ``None`` if missing or unreadable (it is then recomputed)."""
        try:
            out = pickle.loads(self.path(first_block).read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
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
        """Write one finished chunk atomically, at once.

        Not through :func:`audit.artefacts.atomic_write_bytes`: inside the command
        line's all-or-nothing block that would wait for the run to finish, and
        a chunk must be on disk as soon as it is done to survive an interruption.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{first_block}.", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(output, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.path(first_block))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        """Delete this run's chunks (after success, or to start afresh)."""
        shutil.rmtree(self.dir, ignore_errors=True)
        parent = self.dir.parent
        try:
            parent.rmdir()  # only if no other run's chunks are kept there
        except OSError:
            pass
