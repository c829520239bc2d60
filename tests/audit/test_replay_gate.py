"""The replay gate runs a replay audit only where it can: it checks the people columns an audit declares.

An audit declaring ``needs_columns`` is neither sampled nor replayed on a table without them; the
gate writes one "not computed" record naming the absent columns, why they are needed and the fix.
An audit declaring nothing, or a table with the columns, runs as before.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd

from audit.aggregate import merge_all
from audit.replay.gate import AbsentColumns, NeedsColumns, ReplayGate, absent_columns, unavailable
from audit.replay.reversibility import ReversibilityAudit
from audit.replay.spillover import SpilloverAudit
from scorers.protocol import ScorerTags

NEEDS = NeedsColumns(columns=("income", "age"), why="the plans need (income prices charity)", audit="recourse")


class Recording:
    """A replay audit that records what the gate let through."""

    name = "recording"
    needs_columns = NEEDS

    def __init__(self) -> None:
        self.collected = 0
        self.finalized = 0

    def collect(self, chunk: Any) -> dict[str, Any]:
        self.collected += 1
        return {}

    def finalize(self, merged: Any, ctx: Any) -> dict[str, Any]:
        self.finalized += 1
        return {"available": True}


def _chunk(columns: list[str]) -> Any:
    return SimpleNamespace(scorer=SimpleNamespace(tags=ScorerTags()), population=SimpleNamespace(
        people=pd.DataFrame({c: [1, 2] for c in columns})))


def test_a_table_without_a_declared_column_is_neither_sampled_nor_replayed():
    audit = Recording()
    gate = ReplayGate(audit)
    parts = [gate.collect(_chunk(["person_id", "age"])), gate.collect(_chunk(["person_id", "age"]))]
    merged = merge_all(*parts)
    section = gate.finalize(merged, SimpleNamespace(scorer=SimpleNamespace(tags=ScorerTags())))
    assert (audit.collected, audit.finalized) == (0, 0)
    assert section == {"available": False, "reason": "not computed: the people table has no income column, which "
                                                     "the plans need (income prices charity); add the column to audit recourse"}


def test_a_table_with_the_columns_runs_the_audit():
    audit = Recording()
    gate = ReplayGate(audit)
    merged = gate.collect(_chunk(["person_id", "income", "age"]))
    assert gate.finalize(merged, SimpleNamespace(scorer=SimpleNamespace(tags=ScorerTags()))) == {"available": True}
    assert (audit.collected, audit.finalized) == (1, 1)


def test_absent_columns_name_every_missing_one_in_declared_order():
    assert absent_columns(Recording(), ["person_id"]) == ("income", "age")
    assert absent_columns(SimpleNamespace(), ["person_id"]) == ()  # an audit declaring nothing needs nothing
    merged = AbsentColumns(("age",)).merge(AbsentColumns(("income", "age")))
    assert merged.names == ("age", "income")
    reason = unavailable(NEEDS, ("income", "age"))["reason"]
    assert reason.startswith("not computed: the people table has no income or age column, which the plans need")


def test_reversibility_and_spillover_declare_what_their_replays_price_in_income():
    assert ReversibilityAudit().needs_columns.columns == ("income", "age")
    assert SpilloverAudit().needs_columns.columns == ("income",)
