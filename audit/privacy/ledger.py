"""The privacy budget ledger: what each release spent, what remains, refusal to overspend.

A :class:`PrivacyLedger` is the one object that knows a dataset's privacy
budget (OpenDP's ``Context`` is the model). Every measurement is charged to it
*before* its noisy output is computed; a release whose charges would take the
total past the budget is refused as a whole with
:class:`~audit.errors.BudgetExceeded`, naming what it asked for and what
remains, and nothing of it is recorded.

For a supplied population the ledger is persisted in SQLite (default
``~/.scs-audit/ledger.sqlite``; directory ``0700``, file ``0600``), keyed by the
dataset's fingerprint, so a rerun on the same data spends again. A charge is
one ``BEGIN IMMEDIATE`` transaction that re-reads what was spent, so two runs
at once cannot both spend the last of a budget. Synthetic populations hold no
real people: their ledger lives in memory and is recorded in published.json.

The ledger cannot be pickled, copied or serialised by accident: a copy would
be a second budget.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from audit.errors import BudgetExceeded, InvalidArgument

__all__ = ["LEDGER_FILENAME", "TOLERANCE", "Charge", "LedgerEntry", "PrivacyLedger", "default_ledger_path"]

#: File name of the ledger inside the ledger directory.
LEDGER_FILENAME = "ledger.sqlite"
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
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Charge:
    """One measurement a release asks the ledger to pay for."""

    query: str
    """What is measured, e.g. ``tiers_by_cell``."""
    scorer: str
    """Label of the scorer whose output is measured."""
    mechanism: str
    """The OpenDP measurement."""
    scale: float
    """Noise scale."""
    sensitivity: float
    """``d_in``: a person's contribution bound (L1)."""
    epsilon: float
    """ε the measurement's privacy map reports for ``sensitivity``."""
    delta: float = 0.0
    """δ it reports (0 for pure ε-DP mechanisms)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """A charge the ledger accepted."""

    id: str
    """``e<n>``: unique within the ledger; figures in published.json cite it."""
    release: str
    """Id shared by every entry of one release."""
    query: str
    """What is measured."""
    scorer: str
    """Scorer label."""
    mechanism: str
    """The OpenDP measurement."""
    scale: float
    """Noise scale."""
    sensitivity: float
    """``d_in``: a person's contribution bound (L1)."""
    epsilon: float
    """ε spent."""
    delta: float
    """δ spent."""
    created: str
    """UTC time the charge was accepted."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_ledger_path() -> Path:
    """``~/.scs-audit/ledger.sqlite`` (``HOME`` decides where ``~`` is)."""
    return Path.home() / ".scs-audit" / LEDGER_FILENAME


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _check_budget(name: str, value: float, *, positive: bool) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{name} {value!r}: give a number") from None
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        raise InvalidArgument(f"{name} {value!r}: give a finite number {bound}")
    return value


class PrivacyLedger:
    """The privacy budget of one dataset: entries spent, total, what remains.

    Use :meth:`in_memory` for synthetic populations and :meth:`open` for a
    supplied dataset persisted in SQLite.
    """

    __slots__ = (
        "_budget_delta",
        "_budget_epsilon",
        "_budget_history",
        "_dataset_id",
        "_entries",
        "_fingerprint",
        "_path",
    )

    def __init__(self, *, fingerprint: str, budget_epsilon: float, budget_delta: float = 0.0,
                 path: Path | None = None, dataset_id: str | None = None) -> None:
        self._fingerprint = str(fingerprint)
        self._path = path
        self._budget_epsilon = _check_budget("--budget", budget_epsilon, positive=True)
        self._budget_delta = _check_budget("--delta", budget_delta, positive=False)
        self._entries: list[LedgerEntry] = []
        self._dataset_id = dataset_id or uuid.uuid4().hex
        self._budget_history: list[dict[str, Any]] = []

    # -- construction -------------------------------------------------------------
    @classmethod
    def in_memory(cls, *, fingerprint: str, budget_epsilon: float, budget_delta: float = 0.0) -> PrivacyLedger:
        """A ledger that lives only as long as this object (synthetic populations)."""
        return cls(fingerprint=fingerprint, budget_epsilon=budget_epsilon, budget_delta=budget_delta)

    @classmethod
    def open(cls, path: str | Path, *, fingerprint: str, budget_epsilon: float | None,
             budget_delta: float = 0.0, default_epsilon: float | None = None) -> PrivacyLedger:
        """The persisted ledger of dataset ``fingerprint`` in the SQLite file ``path``.

        Parameters
        ----------
        budget_epsilon : float or None
            The dataset's total ε. ``None`` keeps the stored total, or uses
            ``default_epsilon`` for a dataset the ledger has not seen. A value
            different from the stored one changes it, and the change is recorded.
        budget_delta : float
            The dataset's total δ.
        """
        path = Path(path)
        con = _connect(path)
        try:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute("SELECT dataset_id, budget_epsilon, budget_delta FROM datasets WHERE fingerprint = ?",
                              (fingerprint,)).fetchone()
            if row is None:
                if budget_epsilon is None and default_epsilon is None:
                    raise InvalidArgument(f"the ledger {path} has no budget for this dataset yet: give --budget "
                                          "(the dataset's total epsilon) or --epsilon")
                first = budget_epsilon if budget_epsilon is not None else default_epsilon
                eps = _check_budget("--budget", float(first or 0.0), positive=True)
                delta = _check_budget("--delta", budget_delta, positive=False)
                dataset_id = uuid.uuid4().hex
                con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?)", (fingerprint, dataset_id, eps, delta, _now()))
                con.execute("INSERT INTO budget_changes VALUES (?, ?, ?, ?)", (fingerprint, eps, delta, _now()))
            else:
                dataset_id, eps, delta = row
                new_eps = eps if budget_epsilon is None else _check_budget("--budget", budget_epsilon, positive=True)
                new_delta = max(float(delta), _check_budget("--delta", budget_delta, positive=False))
                if (new_eps, new_delta) != (eps, delta):
                    con.execute("UPDATE datasets SET budget_epsilon = ?, budget_delta = ? WHERE fingerprint = ?",
                                (new_eps, new_delta, fingerprint))
                    con.execute("INSERT INTO budget_changes VALUES (?, ?, ?, ?)",
                                (fingerprint, new_eps, new_delta, _now()))
                eps, delta = new_eps, new_delta
            con.execute("COMMIT")
        except BaseException:
            con.rollback()
            raise
        finally:
            con.close()
        ledger = cls(fingerprint=fingerprint, budget_epsilon=eps, budget_delta=delta, path=path, dataset_id=dataset_id)
        ledger.refresh()
        return ledger

    # -- what it knows --------------------------------------------------------------
    @property
    def persistent(self) -> bool:
        """True when the ledger is kept in a SQLite file."""
        return self._path is not None

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def fingerprint(self) -> str:
        """The dataset fingerprint (private: a hash of the data; never published for supplied data)."""
        return self._fingerprint

    @property
    def dataset_id(self) -> str:
        """A random id the ledger gave the dataset (safe to publish: not derived from the data)."""
        return self._dataset_id

    @property
    def budget_epsilon(self) -> float:
        return self._budget_epsilon

    @property
    def budget_delta(self) -> float:
        return self._budget_delta

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        """Every accepted charge for this dataset, oldest first."""
        return tuple(self._entries)

    @property
    def budget_history(self) -> tuple[dict[str, Any], ...]:
        """Each time the dataset's total budget was set (persistent ledgers)."""
        return tuple(self._budget_history)

    @property
    def spent_epsilon(self) -> float:
        return float(sum(e.epsilon for e in self._entries))

    @property
    def spent_delta(self) -> float:
        return float(sum(e.delta for e in self._entries))

    @property
    def remaining_epsilon(self) -> float:
        return _remaining(self._budget_epsilon, self.spent_epsilon)

    @property
    def remaining_delta(self) -> float:
        return max(self._budget_delta - self.spent_delta, 0.0)

    def entry(self, entry_id: str) -> LedgerEntry:
        for e in self._entries:
            if e.id == entry_id:
                return e
        raise KeyError(entry_id)

    def refresh(self) -> None:
        """Re-read a persistent ledger (another process may have spent since)."""
        if self._path is None:
            return
        con = _connect(self._path)
        try:
            self._load(con)
        finally:
            con.close()

    def check(self, epsilon: float, delta: float = 0.0) -> None:
        """Raise :class:`BudgetExceeded` if spending ``epsilon``/``delta`` now would overspend."""
        self.refresh()
        self._refuse_if_over(epsilon, delta, self.spent_epsilon, self.spent_delta)

    # -- spending -------------------------------------------------------------------
    def charge(self, charges: Sequence[Charge]) -> list[LedgerEntry]:
        """Pay for every charge of one release, or for none of them.

        Raises
        ------
        BudgetExceeded
            When the release's total ε (or δ) would take the dataset past its
            budget; the message gives the request, what was spent and what remains.
        """
        charges = list(charges)
        if not charges:
            return []
        eps = float(sum(c.epsilon for c in charges))
        delta = float(sum(c.delta for c in charges))
        release = uuid.uuid4().hex[:12]
        created = _now()
        if self._path is None:
            self._refuse_if_over(eps, delta, self.spent_epsilon, self.spent_delta)
            start = len(self._entries)
            new = [self._entry(f"e{start + i + 1}", release, created, c) for i, c in enumerate(charges)]
            self._entries.extend(new)
            return new
        con = _connect(self._path)
        try:
            con.execute("BEGIN IMMEDIATE")  # one writer at a time: the spent total cannot change under us
            self._load(con)
            self._refuse_if_over(eps, delta, self.spent_epsilon, self.spent_delta)
            for c in charges:
                con.execute(
                    "INSERT INTO entries (fingerprint, release, query, scorer, mechanism, scale, sensitivity, epsilon,"
                    " delta, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (self._fingerprint, release, c.query, c.scorer, c.mechanism, float(c.scale), float(c.sensitivity),
                     float(c.epsilon), float(c.delta), created),
                )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.rollback()
            raise
        finally:
            con.close()
        self.refresh()
        return [e for e in self._entries if e.release == release]

    def _refuse_if_over(self, eps: float, delta: float, spent_eps: float, spent_delta: float) -> None:
        where = f"dataset {self._dataset_id[:8]}" + (f" in ledger {self._path}" if self._path else " (in-memory ledger)")
        if spent_eps + eps > self._budget_epsilon * (1 + TOLERANCE):
            remaining = _remaining(self._budget_epsilon, spent_eps)
            raise BudgetExceeded(
                f"release refused: it needs epsilon {eps:.6g} but only {remaining:.6g} of the budget "
                f"{self._budget_epsilon:.6g} remains ({spent_eps:.6g} already spent) for {where}; "
                "publish with a smaller --epsilon, or raise the dataset's total with --budget if you accept the extra "
                "privacy loss"
            )
        if spent_delta + delta > self._budget_delta * (1 + TOLERANCE) + 1e-300:
            remaining = max(self._budget_delta - spent_delta, 0.0)
            raise BudgetExceeded(
                f"release refused: it needs delta {delta:.6g} but only {remaining:.6g} of the delta budget "
                f"{self._budget_delta:.6g} remains for {where}; give a larger --delta"
            )

    def _entry(self, entry_id: str, release: str, created: str, c: Charge) -> LedgerEntry:
        return LedgerEntry(id=entry_id, release=release, query=c.query, scorer=c.scorer, mechanism=c.mechanism,
                           scale=float(c.scale), sensitivity=float(c.sensitivity), epsilon=float(c.epsilon),
                           delta=float(c.delta), created=created)

    def _load(self, con: sqlite3.Connection) -> None:
        row = con.execute("SELECT budget_epsilon, budget_delta FROM datasets WHERE fingerprint = ?",
                          (self._fingerprint,)).fetchone()
        if row is not None:
            self._budget_epsilon, self._budget_delta = float(row[0]), float(row[1])
        rows = con.execute(
            "SELECT seq, release, query, scorer, mechanism, scale, sensitivity, epsilon, delta, created FROM entries "
            "WHERE fingerprint = ? ORDER BY seq", (self._fingerprint,)
        ).fetchall()
        self._entries = [
            LedgerEntry(id=f"e{r[0]}", release=r[1], query=r[2], scorer=r[3], mechanism=r[4], scale=r[5],
                        sensitivity=r[6], epsilon=r[7], delta=r[8], created=r[9])
            for r in rows
        ]
        self._budget_history = [
            {"budget_epsilon": r[0], "budget_delta": r[1], "changed": r[2]}
            for r in con.execute("SELECT budget_epsilon, budget_delta, changed FROM budget_changes WHERE fingerprint = ?"
                                 " ORDER BY rowid", (self._fingerprint,)).fetchall()
        ]

    # -- no accidental copies ------------------------------------------------------
    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("a PrivacyLedger cannot be pickled or copied: a copy would be a second budget")

    def __reduce__(self) -> Any:
        raise TypeError("a PrivacyLedger cannot be pickled or copied: a copy would be a second budget")

    def __getstate__(self) -> Any:
        raise TypeError("a PrivacyLedger cannot be serialised: a copy would be a second budget")

    def __copy__(self) -> Any:
        raise TypeError("a PrivacyLedger cannot be copied: a copy would be a second budget")

    def __deepcopy__(self, memo: Any) -> Any:
        raise TypeError("a PrivacyLedger cannot be copied: a copy would be a second budget")

    def __repr__(self) -> str:
        kind = f"sqlite {self._path}" if self._path else "in-memory"
        return (f"PrivacyLedger({kind}, dataset {self._dataset_id[:8]}, spent epsilon {self.spent_epsilon:.6g} "
                f"of {self._budget_epsilon:.6g})")


def _remaining(budget: float, spent: float) -> float:
    """``budget - spent``, with rounding dust (within :data:`TOLERANCE`) shown as 0."""
    left = budget - spent
    return 0.0 if left <= budget * TOLERANCE else left


def _connect(path: Path) -> sqlite3.Connection:
    """Open (creating with user-only permissions) the ledger file and its schema."""
    path = Path(path)
    parent = path.parent
    if not parent.exists():
        parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(parent, 0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)
    con = sqlite3.connect(path, timeout=_BUSY_TIMEOUT, isolation_level=None)
    con.executescript(_SCHEMA)
    return con
