"""Which budget a declared data source spends: its name and its people, checked against the ledger's sources.

The budget belongs to the people, not to a file (see :mod:`audit.privacy.ledger`):
a known name spends its own budget; a new name whose people are exactly those
of a known source spends that source's budget; one whose people are nearly
those of a known source is refused unless declared new; otherwise a new budget
is opened. :func:`resolve_source` records the outcome in the ledger file's
``sources`` table, in the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

from audit.errors import InvalidArgument
from audit.population.person_ids import NEAR_IDENTICAL, similarity
from audit.privacy.ledger_values import now

__all__ = ["resolve_source"]


def resolve_source(con: sqlite3.Connection, path: Path, *, name: str, identity: dict[str, Any], sketch: list[int],
                   new_dataset: bool, legacy_key: str | None) -> tuple[str, list[str]]:
    """The budget key the source ``name`` spends, and the warnings a caller shows.

    Raises
    ------
    InvalidArgument
        When ``name`` is new while its people are nearly (not exactly) those of a
        known source and ``new_dataset`` is false.
    """
    warnings: list[str] = []
    known = con.execute("SELECT name, fingerprint, id_fingerprint, id_sketch FROM sources").fetchall()
    row = next((k for k in known if k[0] == name), None)
    if row is not None:
        key = row[1]
        if row[2] != identity["fingerprint"]:
            sim = similarity(json.loads(row[3]), sketch)
            warnings.append(f"dataset {name!r}: its person-id set differs from the last release's (estimated "
                            f"overlap {sim:.0%}); it spends the same budget")
            con.execute("UPDATE sources SET id_fingerprint = ?, id_sketch = ?, people = ? WHERE name = ?",
                        (identity["fingerprint"], json.dumps(sketch), int(identity["count"]), name))
    else:
        same = [k for k in known if k[2] == identity["fingerprint"]]
        adopted = {k[1] for k in known}
        legacy = legacy_key is not None and legacy_key not in adopted and con.execute(
            "SELECT 1 FROM datasets WHERE fingerprint = ?", (legacy_key,)).fetchone() is not None
        near = sorted(((similarity(json.loads(k[3]), sketch), k) for k in known), key=lambda x: -x[0])
        note = "new"
        if same:
            key = same[0][1]
            note = f"the people of dataset {same[0][0]!r}"
            warnings.append(f"dataset {name!r} is new, but its people are exactly those of dataset "
                            f"{same[0][0]!r}: the budget belongs to the people, so {same[0][0]!r}'s budget is "
                            "spent")
        elif legacy:
            key = str(legacy_key)
            note = "the budget an older version kept under the data's content hash"
            warnings.append(f"dataset {name!r}: takes over {note} (and what was spent from it)")
        elif near and near[0][0] >= NEAR_IDENTICAL and not new_dataset:
            sim, other = near[0]
            raise InvalidArgument(
                f"dataset {name!r} is new, but about {sim:.0%} of its people are those of dataset "
                f"{other[0]!r} in the ledger {path}: publish it as dataset {other[0]!r} to spend that "
                "budget, or declare it a different dataset (new_dataset=True, --new-dataset; recorded "
                "in the ledger)")
        else:
            key = f"dataset:{uuid.uuid4().hex}"
            if near and near[0][0] >= NEAR_IDENTICAL:
                note = f"declared new although about {near[0][0]:.0%} of its people are those of {near[0][1][0]!r}"
                warnings.append(f"dataset {name!r}: {note}; a new budget is opened, as declared")
        con.execute("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, key, identity["fingerprint"], json.dumps(sketch), int(identity["count"]), now(),
                     note))
    return key, warnings
