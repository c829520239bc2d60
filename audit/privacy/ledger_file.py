"""The privacy ledger's SQLite file: its schema, transactions, checks before use, and a read-only summary.

:class:`audit.privacy.ledger.PrivacyLedger` keeps the budget logic; this module
keeps what touches the file. Permissions are set only on what is created here
(directory ``0700``, file ``0600``); an existing file's are never changed, and
an unusable file (a directory, corrupt, another database, read-only) is
refused by :func:`check_ledger_path` before any work, naming the path and the fix.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from audit.errors import InvalidArgument

__all__ = ["TOLERANCE", "check_ledger_path", "connect", "dataset_name", "ledger_summary", "remaining", "transaction"]

#: Relative slack allowed when comparing sums of floating-point ε to a budget
#: (the sum of a split of ε may exceed ε by a rounding error; nothing larger).
TOLERANCE = 1e-9

#: Seconds a charge waits for another process's transaction on the same file.
_BUSY_TIMEOUT = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    fingerprint TEXT PRIMARY KEY,
    dataset_id TEXT NOT NULL UNIQUE,
    budget_epsilon REAL NOT NULL,
    budget_delta REAL NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS budget_changes (
    fingerprint TEXT NOT NULL,
    budget_epsilon REAL NOT NULL,
    budget_delta REAL NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL,
    release TEXT NOT NULL,
    query TEXT NOT NULL,
    scorer TEXT NOT NULL,
    mechanism TEXT NOT NULL,
    scale REAL NOT NULL,
    sensitivity REAL NOT NULL,
    epsilon REAL NOT NULL,
    delta REAL NOT NULL,
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_dataset ON entries (fingerprint);
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    id_fingerprint TEXT NOT NULL,
    id_sketch TEXT NOT NULL,
    people INTEGER NOT NULL,
    created TEXT NOT NULL,
    note TEXT NOT NULL
);
"""


def dataset_name(name: Any) -> str:
    text = str(name).strip() if name is not None else ""
    if not text or len(text) > 200 or any(not c.isprintable() for c in text):
        raise InvalidArgument(f"dataset {str(name)[:60]!r}: give a short printable data-source name (e.g. "
                              "--dataset city-register-2024); the privacy budget is kept under it")
    return text


def check_ledger_path(path: str | Path, *, write: bool = True) -> None:
    """Refuse, naming the path and the fix, a ledger file that cannot be used; change nothing.

    A directory, a file that is not a SQLite ledger (corrupt, or some other
    file), a read-only file, or a directory where it cannot be created, each
    raise :class:`~audit.errors.InvalidArgument`. A read-only ledger is never
    made writable: its owner decides.
    """
    path = Path(path)
    fix_dir = "or keep the ledger elsewhere (ledger_dir, --ledger-dir DIR)"
    if path.is_dir():
        raise InvalidArgument(f"privacy ledger {path} is a directory, not a ledger file: move it away, {fix_dir}")
    parent = path.parent
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise InvalidArgument(f"privacy ledger {path}: {existing} is a file, not a directory; {fix_dir}")
    if path.exists():
        if not os.access(path, os.R_OK) or (write and not os.access(path, os.W_OK)):
            raise InvalidArgument(f"privacy ledger {path} is read-only (or unreadable) for this user: the ledger must "
                                  f"record every spend, so make it writable yourself if that is intended (chmod u+rw "
                                  f"{path}), {fix_dir}")
        if write and not os.access(parent, os.W_OK | os.X_OK):
            raise InvalidArgument(f"privacy ledger {path}: its directory {parent} is not writable (SQLite needs a "
                                  f"journal beside the file); {fix_dir}")
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT)
            try:
                con.execute("SELECT name FROM sqlite_master").fetchall()
                bad = [t for t in ("datasets", "entries") if con.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (t,)).fetchone() is None]
                empty = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
            finally:
                con.close()
        except sqlite3.DatabaseError:
            raise InvalidArgument(f"privacy ledger {path} is not a SQLite ledger (corrupt, or another file): restore "
                                  f"it from a backup or move it away (a new ledger starts with no spend recorded), "
                                  f"{fix_dir}") from None
        if bad and not empty:
            raise InvalidArgument(f"privacy ledger {path} is a SQLite database but not a privacy ledger (no "
                                  f"{' or '.join(bad)} table): move it away, {fix_dir}")
    elif write and existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise InvalidArgument(f"privacy ledger {path} cannot be created: {existing} is not writable; {fix_dir}")


@contextlib.contextmanager
def transaction(path: Path) -> Iterator[sqlite3.Connection]:
    """One ``BEGIN IMMEDIATE`` transaction on the ledger file: committed on success, rolled back on any error."""
    con = connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")  # one writer at a time: what was spent cannot change under us
        yield con
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.rollback()
        raise
    finally:
        con.close()


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating with user-only permissions) the ledger file and its schema.

    Permissions are set only on what is created here; an existing file or
    directory keeps the permissions its owner gave it.
    """
    path = Path(path)
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.close(fd)
    con = sqlite3.connect(path, timeout=_BUSY_TIMEOUT, isolation_level=None)
    con.executescript(_SCHEMA)
    return con


def ledger_summary(path: str | Path, *, name: str | None = None) -> list[dict[str, Any]]:
    """What a ledger file holds, read-only: each data source's budget, spend and history.

    Returns one dict per budget (``name`` restricts to that data source):
    ``names`` (the data-source names spending it), ``total_epsilon``,
    ``spent_epsilon``, ``remaining_epsilon``, ``releases`` (each with its
    entries) and ``budget_history``. Budgets kept under a content hash by older
    versions appear with no name.

    Raises
    ------
    InvalidArgument
        When there is no ledger at ``path``, it cannot be read, or ``name`` is not in it.
    """
    path = Path(path)
    if not path.exists():
        raise InvalidArgument(f"no privacy ledger at {path}: nothing has been published from supplied data with this "
                              "ledger (give ledger_dir, --ledger-dir DIR, if it is kept elsewhere)")
    check_ledger_path(path, write=False)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT)
    try:
        has_sources = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='sources'").fetchone()
        names: dict[str, list[str]] = {}
        if has_sources:
            for n, key in con.execute("SELECT name, fingerprint FROM sources ORDER BY created, name"):
                names.setdefault(key, []).append(n)
        if name is not None:
            name = dataset_name(name)
            keys = [k for k, ns in names.items() if name in ns]
            if not keys:
                known = sorted(n for ns in names.values() for n in ns)
                raise InvalidArgument(f"dataset {name!r} is not in the privacy ledger {path}; known: "
                                      f"{', '.join(map(repr, known)) or 'none'}")
        else:
            keys = [r[0] for r in con.execute("SELECT fingerprint FROM datasets ORDER BY created")]
        out = []
        for key in keys:
            row = con.execute("SELECT dataset_id, budget_epsilon, budget_delta FROM datasets WHERE fingerprint = ?",
                              (key,)).fetchone()
            if row is None:
                continue
            entries = con.execute("SELECT seq, release, query, scorer, sensitivity, epsilon, created FROM entries "
                                  "WHERE fingerprint = ? ORDER BY seq", (key,)).fetchall()
            releases: dict[str, dict[str, Any]] = {}
            for seq, rel, query, scorer, sens, eps, created in entries:
                r = releases.setdefault(rel, {"release": rel, "created": created, "epsilon": 0.0, "entries": []})
                r["epsilon"] += float(eps)
                r["entries"].append({"id": f"e{seq}", "query": query, "scorer": scorer, "sensitivity": sens,
                                     "epsilon": eps})
            spent = float(sum(r["epsilon"] for r in releases.values()))
            history = [{"budget_epsilon": b, "budget_delta": d, "changed": c} for b, d, c in con.execute(
                "SELECT budget_epsilon, budget_delta, changed FROM budget_changes WHERE fingerprint = ? ORDER BY rowid",
                (key,))]
            out.append({"names": names.get(key, []), "dataset_id": row[0], "total_epsilon": float(row[1]),
                        "spent_epsilon": spent, "remaining_epsilon": remaining(float(row[1]), spent),
                        "releases": list(releases.values()), "budget_history": history})
        return out
    finally:
        con.close()


def remaining(budget: float, spent: float) -> float:
    """``budget - spent``, with rounding dust (within :data:`TOLERANCE`) shown as 0."""
    left = budget - spent
    return 0.0 if left <= budget * TOLERANCE else left
