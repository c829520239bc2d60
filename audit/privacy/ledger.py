"""The privacy budget ledger: what each release spent, what remains, refusal to overspend.

A :class:`PrivacyLedger` is the one object that knows a dataset's privacy
budget (OpenDP's ``Context`` is the model). Every measurement is charged to it
*before* its noisy output is computed; a release whose charges would take the
total past the budget is refused as a whole with
:class:`~audit.errors.BudgetExceeded`, naming what it asked for and what
remains, and nothing of it is recorded.

For a supplied population the ledger is persisted in SQLite (default
``~/.scs-audit/ledger.sqlite``; directory ``0700``, file ``0600`` when the
ledger creates them; an existing file's permissions are never changed).

The budget belongs to the people, not to a file: it is keyed by a declared
data-source name (``--dataset NAME``) and checked against the person-id set
(:mod:`audit.population.person_ids`), so shuffling rows, renaming the file or leaving out
the ties table buys nothing (:meth:`PrivacyLedger.open_dataset`):

- a known name spends that dataset's budget (a changed id set is noted);
- a new name whose people are exactly those of a known dataset spends the
  known dataset's budget, with a warning;
- a new name whose people are nearly those of a known dataset (estimated
  Jaccard similarity at least :data:`audit.population.person_ids.NEAR_IDENTICAL`) is
  refused unless declared new (``--new-dataset``, recorded in the ledger);
- otherwise a new budget is opened.

A charge is
one ``BEGIN IMMEDIATE`` transaction that re-reads what was spent, so two runs
at once cannot both spend the last of a budget. Synthetic populations hold no
real people: their ledger lives in memory and is recorded in published.json.

The ledger cannot be pickled, copied or serialised by accident: a copy would
be a second budget.

Its values (:class:`Charge`, :class:`LedgerEntry`) are in
:mod:`audit.privacy.ledger_values` and the choice of a source's budget in
:mod:`audit.privacy.ledger_sources`; both names are re-exported here.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audit.errors import BudgetExceeded, InvalidArgument
from audit.privacy.ledger_file import (  # check_ledger_path and ledger_summary are re-exported
    TOLERANCE,
    check_ledger_path,
    connect,
    dataset_name,
    ledger_summary,
    transaction,
)
from audit.privacy.ledger_file import remaining as remaining_of
from audit.privacy.ledger_sources import resolve_source
from audit.privacy.ledger_values import Charge, LedgerEntry, check_budget, now

__all__ = [
    "LEDGER_FILENAME",
    "TOLERANCE",
    "Charge",
    "LedgerEntry",
    "PrivacyLedger",
    "check_ledger_path",
    "default_ledger_path",
    "ledger_summary",
]

#: File name of the ledger inside the ledger directory.
LEDGER_FILENAME = "ledger.sqlite"



def default_ledger_path() -> Path:
    """``~/.scs-audit/ledger.sqlite`` (``HOME`` decides where ``~`` is)."""
    return Path.home() / ".scs-audit" / LEDGER_FILENAME


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
        "_name",
        "_path",
        "_warnings",
    )

    def __init__(self, *, fingerprint: str, budget_epsilon: float, budget_delta: float = 0.0,
                 path: Path | None = None, dataset_id: str | None = None) -> None:
        self._fingerprint = str(fingerprint)
        self._path = path
        self._budget_epsilon = check_budget("budget_epsilon", budget_epsilon, positive=True)
        self._budget_delta = check_budget("budget_delta", budget_delta, positive=False)
        self._entries: list[LedgerEntry] = []
        self._dataset_id = dataset_id or uuid.uuid4().hex
        self._budget_history: list[dict[str, Any]] = []
        self._name: str | None = None
        self._warnings: tuple[str, ...] = ()

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
        check_ledger_path(path)
        with transaction(path) as con:
            row = con.execute("SELECT dataset_id, budget_epsilon, budget_delta FROM datasets WHERE fingerprint = ?",
                              (fingerprint,)).fetchone()
            if row is None:
                if budget_epsilon is None and default_epsilon is None:
                    raise InvalidArgument(f"the ledger {path} has no budget for this dataset yet: give budget_epsilon= "
                                          "(the dataset's total epsilon) or default_epsilon=")
                first = budget_epsilon if budget_epsilon is not None else default_epsilon
                eps = check_budget("budget_epsilon", float(first or 0.0), positive=True)
                delta = check_budget("budget_delta", budget_delta, positive=False)
                dataset_id = uuid.uuid4().hex
                con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?)", (fingerprint, dataset_id, eps, delta, now()))
                con.execute("INSERT INTO budget_changes VALUES (?, ?, ?, ?)", (fingerprint, eps, delta, now()))
            else:
                dataset_id, eps, delta = row
                new_eps = eps if budget_epsilon is None else check_budget("budget_epsilon", budget_epsilon, positive=True)
                new_delta = max(float(delta), check_budget("budget_delta", budget_delta, positive=False))
                if (new_eps, new_delta) != (eps, delta):
                    con.execute("UPDATE datasets SET budget_epsilon = ?, budget_delta = ? WHERE fingerprint = ?",
                                (new_eps, new_delta, fingerprint))
                    con.execute("INSERT INTO budget_changes VALUES (?, ?, ?, ?)",
                                (fingerprint, new_eps, new_delta, now()))
                eps, delta = new_eps, new_delta
        ledger = cls(fingerprint=fingerprint, budget_epsilon=eps, budget_delta=delta, path=path, dataset_id=dataset_id)
        ledger.refresh()
        return ledger

    @classmethod
    def open_dataset(cls, path: str | Path, *, name: str, identity: dict[str, Any], budget_epsilon: float | None,
                     budget_delta: float = 0.0, default_epsilon: float | None = None,
                     new_dataset: bool = False, legacy_key: str | None = None) -> PrivacyLedger:
        """The persisted budget of the data source ``name`` whose people are ``identity``.

        Parameters
        ----------
        name : str
            The declared data-source name (``--dataset``).
        identity : dict
            ``{"fingerprint", "sketch", "count"}`` of the person-id set
            (:func:`audit.population.source.person_id_identity`).
        new_dataset : bool
            Declare that a new name whose people are nearly those of a known
            dataset is a different dataset all the same (recorded).
        legacy_key : str, optional
            The data's content hash, under which older versions kept budgets:
            a new name adopts such a budget (and what was spent from it).

        Raises
        ------
        InvalidArgument
            When ``name`` is empty, or is new while its people are nearly (not
            exactly) those of a known dataset and ``new_dataset`` is false.
        """
        name = dataset_name(name)
        path = Path(path)
        check_ledger_path(path)
        sketch = [int(v) for v in identity["sketch"]]
        with transaction(path) as con:
            key, warnings = resolve_source(con, path, name=name, identity=identity, sketch=sketch,
                                           new_dataset=new_dataset, legacy_key=legacy_key)
        ledger = cls.open(path, fingerprint=key, budget_epsilon=budget_epsilon, budget_delta=budget_delta,
                          default_epsilon=default_epsilon)
        ledger._name = name
        ledger._warnings = tuple(warnings)
        return ledger

    # -- what it knows --------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The declared data-source name (``None`` for an in-memory ledger)."""
        return self._name

    @property
    def warnings(self) -> tuple[str, ...]:
        """What opening the ledger found worth saying (a known id set under a new name, ...)."""
        return self._warnings

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
        return remaining_of(self._budget_epsilon, self.spent_epsilon)

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
        con = connect(self._path)
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
        created = now()
        if self._path is None:
            self._refuse_if_over(eps, delta, self.spent_epsilon, self.spent_delta)
            start = len(self._entries)
            new = [self._entry(f"e{start + i + 1}", release, created, c) for i, c in enumerate(charges)]
            self._entries.extend(new)
            return new
        with transaction(self._path) as con:
            self._load(con)
            self._refuse_if_over(eps, delta, self.spent_epsilon, self.spent_delta)
            for c in charges:
                con.execute(
                    "INSERT INTO entries (fingerprint, release, query, scorer, mechanism, scale, sensitivity, epsilon,"
                    " delta, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (self._fingerprint, release, c.query, c.scorer, c.mechanism, float(c.scale), float(c.sensitivity),
                     float(c.epsilon), float(c.delta), created),
                )
        self.refresh()
        return [e for e in self._entries if e.release == release]

    def _refuse_if_over(self, eps: float, delta: float, spent_eps: float, spent_delta: float) -> None:
        where = f"dataset {self._dataset_id[:8]}" + (f" in ledger {self._path}" if self._path else " (in-memory ledger)")
        if spent_eps + eps > self._budget_epsilon * (1 + TOLERANCE):
            remaining = remaining_of(self._budget_epsilon, spent_eps)
            raise BudgetExceeded(
                f"release refused: it needs epsilon {eps:.6g} but only {remaining:.6g} of the budget "
                f"{self._budget_epsilon:.6g} remains ({spent_eps:.6g} already spent) for {where}; "
                "publish with a smaller epsilon=, or raise the dataset's total with budget_epsilon= if you accept the extra "
                "privacy loss"
            )
        if spent_delta + delta > self._budget_delta * (1 + TOLERANCE) + 1e-300:
            remaining = max(self._budget_delta - spent_delta, 0.0)
            raise BudgetExceeded(
                f"release refused: it needs delta {delta:.6g} but only {remaining:.6g} of the delta budget "
                f"{self._budget_delta:.6g} remains for {where}; give a larger budget_delta="
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
