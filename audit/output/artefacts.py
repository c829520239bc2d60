"""Atomic file output: a reader never sees a half-written artefact.

Each file is written to a temporary name in the same directory and renamed
over the target (``os.replace`` is atomic on POSIX and Windows), so an
interrupted run leaves either the previous complete file or none.

A whole run is all-or-nothing too: inside :class:`deferred_writes` (the
command line wraps every command in one) the renames wait until the block
ends without an error. An interrupted or failed command then leaves the
output directory exactly as it was; a finished one replaces the previous
run's artefacts together, removing old ones it did not write again
(:func:`remove_at_commit`), so old and new files never mix. ``results.json``
is removed first and renamed into place last: when it is present, every
artefact beside it comes from the same finished run.

Only what this tool wrote is ever deleted or replaced: each output directory's
manifest (:mod:`audit.output.outdir`) lists the artefacts written there, and a commit
checks every file against it before touching anything. A file named like an
artefact that the tool did not write survives; if the commit would have to
replace it, nothing is written and :class:`~audit.errors.OutputConflict` names
it (``force`` replaces a user's regular file, never a directory).

Names that come from plugins or data (a scorer's label) never become paths
as they are: :func:`safe_filename` turns any string into one harmless file
name, and :func:`path_in` refuses a path that would leave its directory
(both in :mod:`audit.output.filenames`; JSON-safe values in
:mod:`audit.output.jsonable`; all re-exported here).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from audit.errors import AuditError, OutputConflict
from audit.output.filenames import path_in, safe_filename
from audit.output.jsonable import finite_or_none, plain_scalar, to_jsonable
from audit.output.outdir import OutputClaim, check_replaceable, claim_output_dir, is_ours, record

__all__ = [
    "RUN_ARTEFACTS",
    "SEAL_NAME",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "atomic_write_with",
    "claim_output",
    "commit_file",
    "deferred_writes",
    "finite_or_none",
    "naming",
    "path_in",
    "plain_scalar",
    "remove_at_commit",
    "safe_filename",
    "temporary_beside",
    "to_jsonable",
]

#: The artefact renamed into place last and removed first by :class:`deferred_writes`.
SEAL_NAME = "results.json"
#: Artefacts of one run or comparison. When a commit writes ``DIR/results.json``, each
#: of these in ``DIR`` that the same commit did not write is stale and removed.
RUN_ARTEFACTS = (
    "results.json",
    "scores.parquet",
    "published.json",
    "report.html",
    "report.md",
    "ll144.csv",
    "compare.json",
    "compare.html",
    "compare.md",
)


#: File mode of an artefact about real people (supplied data): readable by the user only.
PRIVATE_MODE = 0o600
#: File mode of other artefacts.
PUBLIC_MODE = 0o644


def exact_artefact_mode(document: Any) -> int:
    """Mode for an exact (unnoised) artefact: user-only unless the population is synthetic."""
    population = document.get("population", {}) if isinstance(document, dict) else {}
    return PUBLIC_MODE if population.get("synthetic") is True else PRIVATE_MODE


def atomic_write_with(path: str | Path, write: Callable[[Path], object], *, mode: int = PUBLIC_MODE) -> Path:
    """Call ``write(tmp_path)`` (its return value is ignored) then rename ``tmp_path`` over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with temporary_beside(path) as (fd, tmp):
        os.close(fd)
        write(tmp)
        os.chmod(tmp, mode)
        commit_file(tmp, path)
    return path


@contextlib.contextmanager
def temporary_beside(path: Path) -> Iterator[tuple[int, Path]]:
    """``(fd, tmp)``: a new file ``.NAME.XXXXXXXX.tmp`` beside ``path``, mode 0600 from its first byte.

    The file is deleted if the block raises; an :class:`OSError` is re-raised
    naming ``path`` (:func:`naming`). On success the block must have renamed it.
    """
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise naming(exc, path) from exc
    try:
        yield fd, Path(tmp)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise naming(exc, path) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def naming(exc: OSError, path: str | Path) -> OSError:
    """``exc`` as an error about ``path`` (a failed write names the file the user asked for, not a temporary one).

    Errors of this package (:class:`~audit.errors.AuditError`) are returned unchanged.
    """
    if isinstance(exc, AuditError) or exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int = PUBLIC_MODE) -> Path:
    return atomic_write_with(path, lambda tmp: tmp.write_bytes(data), mode=mode)


def atomic_write_text(path: str | Path, text: str, *, mode: int = PUBLIC_MODE) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_json(path: str | Path, data: Any, *, mode: int = PUBLIC_MODE) -> Path:
    return atomic_write_text(path, json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n", mode=mode)


# ----------------------------------------------------------------------------- all-or-nothing runs

_ACTIVE: list[deferred_writes] = []
_LOCK = threading.Lock()


def _seal_last(path: Path) -> tuple[bool, str]:
    return (path.name == SEAL_NAME, str(path))


class _deferred_signals:
    """Hold SIGINT and SIGTERM while a commit renames files (main thread, POSIX); delivered afterwards."""

    def __enter__(self) -> None:
        self._old = None
        if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
            self._old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

    def __exit__(self, *exc: object) -> None:
        if self._old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


class deferred_writes:
    """Make every artefact written inside the block appear together, or not at all.

    Inside the block, :func:`atomic_write_with` (and the other atomic writers) and
    :func:`commit_file` leave each finished file under a hidden temporary name;
    :func:`remove_at_commit` only notes a stale file. When the block ends without
    an exception the commit removes ``results.json`` (:data:`SEAL_NAME`) and the
    stale files, renames every other file into place, then ``results.json`` last —
    SIGINT and SIGTERM are held meanwhile. When it ends with any exception
    (including ``KeyboardInterrupt``) the temporary files are deleted and nothing
    visible changes. Blocks nest: an inner block hands its files to the outer one.

    Code inside the block must not read back an artefact it wrote: on disk it is
    still the previous run's until the commit.
    """

    def __init__(self, *, force: bool = False) -> None:
        self.pending: dict[Path, Path] = {}
        """target path -> finished temporary file."""
        self.stale: set[Path] = set()
        """Files to remove at commit unless written again."""
        self.force = force
        """Replace a user's regular file named like an artefact (never a directory; never delete one)."""
        self.claims: list[OutputClaim] = []
        """Output directories claimed inside the block (:func:`claim_output`), released if it fails."""

    def __enter__(self) -> deferred_writes:
        with _LOCK:
            _ACTIVE.append(self)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        with _LOCK:
            _ACTIVE.remove(self)
            outer = _ACTIVE[-1] if _ACTIVE else None
        if exc_type is not None:
            self.abort()
        elif outer is not None:
            for target, tmp in self.pending.items():
                outer.defer(tmp, target)
            outer.stale |= self.stale
            outer.claims += self.claims
        else:
            self.commit()

    def defer(self, tmp: str | Path, target: str | Path) -> None:
        """Rename ``tmp`` over ``target`` at commit (a file deferred twice keeps the later version)."""
        target = Path(target).absolute()
        with _LOCK:
            previous = self.pending.pop(target, None)
            self.pending[target] = Path(tmp)
        if previous is not None and previous != Path(tmp):
            previous.unlink(missing_ok=True)

    def commit(self) -> None:
        """Remove stale files and rename every deferred file into place (``results.json`` last).

        Raises :class:`~audit.errors.OutputConflict`, having written and removed
        nothing, when a target is a file or directory this tool did not write.
        """
        with _deferred_signals():
            with _LOCK:
                pending, stale = dict(self.pending), set(self.stale)
            for seal in [t for t in pending if t.name == SEAL_NAME]:  # a new run in that directory
                stale |= {seal.parent / name for name in RUN_ARTEFACTS}
            stale -= set(pending)
            removable, problems = check_replaceable(sorted(pending), sorted(stale), force=self.force)
            if problems:
                self.abort()
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise OutputConflict(f"nothing was written: {problems[0]}{more}")
            with _LOCK:
                self.pending.clear()
                self.stale.clear()
            for path in sorted({*pending, *removable}, key=_seal_last, reverse=True):  # the seal goes first
                if path in removable or path.name == SEAL_NAME:
                    path.unlink(missing_ok=True)
            for target in sorted(pending, key=_seal_last):  # the seal comes last
                os.replace(pending[target], target)
            for directory in sorted({p.parent for p in [*pending, *stale]}):
                record(directory, written=[t for t in pending if t.parent == directory],
                       removed=[p for p in stale if p.parent == directory])

    def abort(self) -> None:
        """Delete every deferred temporary file; leave the targets as they were."""
        with _LOCK:
            pending = list(self.pending.values())
            self.pending.clear()
            self.stale.clear()
            claims, self.claims = self.claims, []
        for tmp in pending:
            _remove(tmp)
        for claim in claims:
            claim.release()


def _current() -> deferred_writes | None:
    with _LOCK:
        return _ACTIVE[-1] if _ACTIVE else None


def commit_file(tmp: str | Path, target: str | Path) -> None:
    """Rename a finished temporary file over ``target`` — now, or at commit inside :class:`deferred_writes`.

    ``tmp`` must be in the same directory (file system) as ``target``.
    """
    txn = _current()
    if txn is None:
        target = Path(target)
        if target.is_dir() and not target.is_symlink():
            Path(tmp).unlink(missing_ok=True)
            raise OutputConflict(f"{target} is a directory this tool did not write; it is never replaced. "
                                 "Fix: move it away, or write elsewhere")
        os.replace(tmp, target)
        record(target.parent, written=[target], removed=[])
    else:
        txn.defer(tmp, target)


def remove_at_commit(path: str | Path) -> None:
    """Remove a stale artefact — now, or at commit inside :class:`deferred_writes` unless written again.

    Only a file this tool wrote (per the directory's manifest, :mod:`audit.output.outdir`) is removed.
    """
    txn = _current()
    if txn is None:
        if is_ours(Path(path)):
            Path(path).unlink()
    else:
        with _LOCK:
            txn.stale.add(Path(path).absolute())


def claim_output(path: str | Path, *, force: bool = False, what: str = "--out") -> Path:
    """Check and claim an output directory (:func:`audit.output.outdir.claim_output_dir`) before any work.

    Inside :class:`deferred_writes` the claim is released if the block fails:
    a refused command leaves no empty directory and no manifest it created.
    """
    claim = claim_output_dir(path, force=force, what=what)
    txn = _current()
    if txn is not None:
        with _LOCK:
            txn.claims.append(claim)
    return claim.directory
