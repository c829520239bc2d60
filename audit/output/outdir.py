"""Output directories: the tool deletes and replaces only what it wrote itself.

Each output directory holds a manifest, :data:`MANIFEST_NAME`, listing the
artefacts the tool wrote there with what identifies each file (size,
modification time and the SHA-256 of its first :data:`HEAD_BYTES` bytes).
Before an artefact is replaced or a stale one removed, the file on disk is
checked against its entry; a file not listed, or changed since, is the user's:
it is never deleted, and it is replaced only with ``--force`` (a directory
never). A directory is never removed unless the tool created it and it is
empty again.

:func:`claim_output_dir` is called before any work: it refuses ``/``, the home
directory, a path that is not a directory, and a non-empty directory without a
manifest (unless ``force``), then creates the directory if needed and writes
the manifest. :meth:`OutputClaim.release` undoes exactly that when a command is
refused, so a refused run leaves no empty output directory behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.errors import InvalidArgument, OutputConflict

__all__ = ["MANIFEST_NAME", "HEAD_BYTES", "OutputClaim", "check_replaceable", "claim_output_dir", "is_ours", "read_manifest",
           "record"]

#: The manifest file in every output directory the tool writes to.
MANIFEST_NAME = ".scs-audit-manifest.json"
_FORMAT = "scs-audit manifest 1"
#: Bytes of a file's start whose digest identifies it (whole small files; a large scores.parquet is not re-read).
HEAD_BYTES = 1 << 20


def _identity(path: Path) -> dict[str, Any] | None:
    """Size, modification time and head digest of a regular file (``None`` for anything else)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256_head": hashlib.sha256(head).hexdigest()}


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest of ``directory`` (``None`` when it has none or it is not one of ours)."""
    try:
        doc = json.loads((Path(directory) / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or not isinstance(doc.get("artefacts"), dict):
        return None
    return doc


def is_ours(path: Path, manifest: dict[str, Any] | None = None) -> bool:
    """Whether ``path`` is a file the tool wrote, unchanged since (per its directory's manifest)."""
    path = Path(path)
    manifest = read_manifest(path.parent) if manifest is None else manifest
    if manifest is None:
        return False
    entry = manifest["artefacts"].get(path.name)
    return entry is not None and _identity(path) == entry


def _write_manifest(directory: Path, doc: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f"{MANIFEST_NAME}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, directory / MANIFEST_NAME)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_manifest(*, created: bool) -> dict[str, Any]:
    return {"format": _FORMAT, "created_directory": created, "artefacts": {}}


def record(directory: Path, *, written: list[Path], removed: list[Path]) -> None:
    """Note files the tool just wrote into, and removed from, ``directory``."""
    directory = Path(directory)
    doc = read_manifest(directory) or _new_manifest(created=False)
    for p in removed:
        doc["artefacts"].pop(p.name, None)
    for p in written:
        ident = _identity(p)
        if ident is not None:
            doc["artefacts"][p.name] = ident
    _write_manifest(directory, doc)


def check_replaceable(targets: list[Path], stale: list[Path], *, force: bool) -> tuple[list[Path], list[str]]:
    """Which ``stale`` files may be removed, and why any of ``targets`` may not be replaced.

    A target that does not exist, or is ours unchanged, may be replaced; a user's
    regular file only with ``force``; a directory (or anything else) never.
    A stale file is removed only when it is ours unchanged.
    """
    manifests: dict[Path, dict[str, Any] | None] = {}

    def ours(p: Path) -> bool:
        if p.parent not in manifests:
            manifests[p.parent] = read_manifest(p.parent)
        return is_ours(p, manifests[p.parent]) if manifests[p.parent] is not None else False

    problems = []
    for t in targets:
        if not os.path.lexists(t) or ours(t):
            continue
        if os.path.isdir(t) and not os.path.islink(t):
            problems.append(f"{t} is a directory this tool did not write; it is never replaced. "
                            "Fix: move it away, or choose another output directory")
        elif not force:
            problems.append(f"{t} was not written by this tool (it is not in {MANIFEST_NAME}, or changed since). "
                            "Fix: move it away, choose another output directory, or pass --force to replace it")
    return [p for p in stale if ours(p)], problems


@dataclass(frozen=True, slots=True, kw_only=True)
class OutputClaim:
    """What :func:`claim_output_dir` created, so that a refused command can undo it."""

    directory: Path
    """The output directory."""
    created: tuple[Path, ...]
    """Directories created, outermost first."""
    wrote_manifest: bool
    """Whether the claim wrote the directory's manifest (it had none)."""

    def release(self) -> None:
        """Remove the manifest and directories the claim created, if nothing else was put there since."""
        manifest = read_manifest(self.directory)
        if self.wrote_manifest and manifest is not None and not manifest["artefacts"]:
            try:
                if {p.name for p in self.directory.iterdir()} == {MANIFEST_NAME}:
                    (self.directory / MANIFEST_NAME).unlink()
            except OSError:
                return
        for d in reversed(self.created):
            try:
                d.rmdir()  # only when empty
            except OSError:
                return


def claim_output_dir(text: str | os.PathLike[str], *, force: bool = False, what: str = "--out") -> OutputClaim:
    """Check an output directory before any work, create it if needed, and mark it as this tool's.

    Raises
    ------
    InvalidArgument
        ``/`` or the home directory (unless ``force``), a path that exists and is
        not a directory, a directory that cannot be created or written.
    OutputConflict
        A non-empty directory without a manifest (unless ``force``).
    """
    out = Path(text)
    resolved = out.expanduser().resolve()
    try:
        home: Path | None = Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        home = None
    if not force and (resolved == Path(resolved.anchor) or resolved == home):
        place = "the root directory" if resolved == Path(resolved.anchor) else "your home directory"
        raise InvalidArgument(f"{what} {text}: is {place}; give a directory of its own (e.g. reports/latest), "
                              "or pass --force")
    if os.path.lexists(out) and not out.is_dir():
        raise InvalidArgument(f"{what} {text}: exists and is not a directory; give a directory")
    created = tuple(p for p in [*reversed(out.absolute().parents), out.absolute()] if not p.exists())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidArgument(f"{what} {text}: cannot create the directory ({exc.strerror}); "
                              "give a writable directory") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise InvalidArgument(f"{what} {text}: the directory is not writable; give a writable directory")
    if read_manifest(out) is not None:
        return OutputClaim(directory=out, created=created, wrote_manifest=False)
    try:
        entries = sorted(p.name for p in out.iterdir())
    except OSError as exc:
        raise InvalidArgument(f"{what} {text}: cannot be listed ({exc.strerror}); give a readable directory") from None
    if entries and not force:
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise OutputConflict(f"{what} {text}: the directory holds files this tool did not write ({shown}) and no "
                             f"{MANIFEST_NAME}. Fix: give an empty or new directory, or pass --force to write "
                             "beside them (files this tool did not write are never deleted)")
    try:
        _write_manifest(out, _new_manifest(created=bool(created)))
    except OSError as exc:
        raise InvalidArgument(f"{what} {text}: cannot write {MANIFEST_NAME} ({exc.strerror}); "
                              "give a writable directory") from None
    return OutputClaim(directory=out, created=created, wrote_manifest=True)
