"""The verdict grid: one verdict per scorer and audit, read from the findings' evidence.

Each finding that is a check carries an :class:`audit.evidence.Evidence`
(holds, violated, not enough evidence). A grid cell summarises the checks of
one audit of one scorer in five words:

- ``violation``: a check is violated and the finding is a violation (a rule
  broken: a four-fifths violation, a sanction in an unrelated domain);
- ``warning``: a check is violated and the finding is a concern (a group
  sanctioned 1.25 times as often, recourse dearer for the poor);
- ``not enough evidence``: no check is violated, and at least one could not
  be decided — or none could (an audit that ran but decided nothing is never
  shown as a pass);
- ``holds``: every check that was made holds;
- ``not applicable``: the audit does not apply to the scorer (contagion for
  a scorer that reads no ties) or was not run.

The worst outcome wins, in the order listed. "not enough evidence" ranks
above "holds", so a cell reads as a pass only when every check in it passed.

The grid reads each audit's section by the audit's name (a column per key of
:data:`AUDITS`), and only the keys every section shares (``status``,
``applicable``, ``available``, ``reason``): a lookup by a name known only at
run time, which is why it reads through :class:`audit.report.model.Doc` rather
than the typed model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from audit.evidence import HOLDS, NOT_ENOUGH, VIOLATED, Evidence
from audit.report.model import Cell, Doc, Finding, Table, anchor, slug

__all__ = ["AUDITS", "GRID_FLAGS", "OPTIONAL_AUDITS", "GridCell", "GridOutcome", "audit_of", "evidence_text", "finding_outcome",
           "grid_audits", "grid_cell", "grid_table", "rank_findings"]

#: The audits of the grid every run has: key in a scorer's results entry, and the column heading.
AUDITS: tuple[tuple[str, str], ...] = (
    ("disparity", "disparity"),
    ("appeal", "appeal"),
    ("reversibility", "reversibility"),
    ("spillover", "spill-over"),
    ("contagion", "contagion"),
)
#: Audits a run has only when asked (``--outcome``, ``--dynamics``): a column when any scorer has the section.
OPTIONAL_AUDITS: tuple[tuple[str, str], ...] = (
    ("observed_outcome", "error rates"),
    ("dynamics", "dynamics"),
)


def grid_audits(doc: Doc) -> tuple[tuple[str, str], ...]:
    """The grid's columns for this results document: :data:`AUDITS`, then each optional audit some scorer ran."""
    scorers = doc.get("scorers")
    entries = [s for s in scorers if isinstance(s, dict)] if isinstance(scorers, list) else []
    return AUDITS + tuple((key, heading) for key, heading in OPTIONAL_AUDITS if any(key in s for s in entries))


def evidence_text(ev: Evidence, *, supplied: bool) -> str:
    """What a check rests on and, when undecided, what would decide it, said once.

    A population-size remedy (``--size N``) cannot be run on a supplied table: for supplied data
    (``population.synthetic`` false) it reads "audit more data" instead.
    """
    text = f"{ev.observed:,} {ev.what}"
    if ev.outcome != NOT_ENOUGH or ev.needed is None:
        return text
    text += f"; about {ev.needed:,} would decide it"
    if supplied and (ev.remedy is None or ev.remedy.startswith("--size")):
        return text + ": audit more data"
    return text + (f": rerun with {ev.remedy}" if ev.remedy else "")

GridOutcome = Literal["violation", "warning", "not enough evidence", "holds", "not applicable"]
#: Severity order of the grid's outcomes, worst first.
_ORDER: tuple[GridOutcome, ...] = ("violation", "warning", "not enough evidence", "holds", "not applicable")
#: CSS class of each outcome (``nee``: not enough evidence, hatched, never green).
GRID_FLAGS: dict[str, str] = {"violation": "bad", "warning": "warn", "not enough evidence": "nee", "holds": "good",
                              "not applicable": "na"}


@dataclass(frozen=True, slots=True, kw_only=True)
class GridCell:
    """The verdict of one audit of one scorer."""

    outcome: GridOutcome
    """One of the five outcomes (worst of the audit's checks)."""
    counts: tuple[tuple[str, int], ...] = ()
    """How many checks had each outcome, worst first (e.g. ``(("violation", 2), ("holds", 1))``)."""
    note: str = ""
    """Why, in words: the counts, or the reason the audit does not apply."""


def audit_of(finding: Finding) -> str | None:
    """The audit a finding belongs to, read from its evidence anchor (``s0-spillover`` -> ``spillover``)."""
    head, _, rest = finding.anchor.partition("-")
    if not (head[:1] == "s" and head[1:].isdigit() and rest):
        return None
    for key, _ in AUDITS + OPTIONAL_AUDITS:  # "observed_outcome" is slugged "observed-outcome" in anchors
        part = slug(key)
        if rest == part or rest.startswith(part + "-"):
            return key
    return rest.split("-")[0]


def finding_outcome(finding: Finding) -> GridOutcome | None:
    """A finding's outcome in the grid's words; ``None`` for a neutral fact (no evidence)."""
    ev = finding.evidence
    if ev is None:
        return None
    if ev.outcome == VIOLATED:
        return "violation" if finding.level == "violation" else "warning"
    if ev.outcome == NOT_ENOUGH:
        return "not enough evidence"
    return "holds" if ev.outcome == HOLDS else None


def _not_applicable(doc: Doc, i: int, key: str) -> str | None:
    """Why audit ``key`` does not apply to scorer ``i`` (or was not run); ``None`` when it ran."""
    node = doc.get("scorers", i, key)
    if not isinstance(node, dict):
        return "not run: the results file has no such section"
    if node.get("status") == "failed":
        return None
    if node.get("applicable") is False or node.get("available") is False:
        reason = node.get("reason")
        return str(reason) if isinstance(reason, str) and reason else "the audit does not apply to this scorer"
    return None


def grid_cell(doc: Doc, i: int, key: str, findings: Sequence[Finding]) -> GridCell:
    """The verdict of audit ``key`` of scorer ``i`` from that scorer's findings."""
    if doc.get("scorers", i, "status") == "failed":
        return GridCell(outcome="not enough evidence", note="the scorer failed, so nothing was audited")
    why = _not_applicable(doc, i, key)
    if why is not None:
        return GridCell(outcome="not applicable", note=why)
    if doc.get("scorers", i, key, "status") == "failed":
        return GridCell(outcome="not enough evidence", note=f"the {key.replace('_', ' ')} audit failed, so it decided nothing")
    label = doc.get("scorers", i, "label")
    outcomes = [o for f in findings if f.scorer == label and audit_of(f) == key and (o := finding_outcome(f)) is not None]
    if not outcomes:
        return GridCell(outcome="not enough evidence", note="the audit ran but none of its checks could be decided")
    tally = Counter(outcomes)
    counts = tuple((o, tally[o]) for o in _ORDER if tally[o])
    note = "; ".join(f"{n} check{'s' if n != 1 else ''} {o}" for o, n in counts)
    return GridCell(outcome=counts[0][0], counts=counts, note=note)


def grid_table(doc: Doc, findings: Sequence[Finding], *, id: str = "verdict-grid") -> Table:
    """Rows: scorers; columns: audits; each cell the audit's verdict, linked to its section."""
    scorers = doc.get("scorers")
    audits = grid_audits(doc)
    rows = []
    for i, s in enumerate(scorers if isinstance(scorers, list) else []):
        if not isinstance(s, dict):
            continue
        row = [Cell(text=str(s.get("label", s.get("name", f"scorer {i + 1}"))), href=f"#{anchor(i)}")]
        for key, _ in audits:
            c = grid_cell(doc, i, key, findings)
            text: str = c.outcome
            if c.counts and sum(n for _, n in c.counts) > 1:
                text += f" ({' · '.join(f'{n} {_short(o)}' for o, n in c.counts)})"
            row.append(Cell(text=text, value=c.outcome, flag=GRID_FLAGS[c.outcome], title=c.note,
                            href=f"#{anchor(i, key)}" if c.outcome != "not applicable" else None))
        rows.append(tuple(row))
    return Table(id=id, caption="Verdicts: each audit of each scorer (the worst of its checks; details in brackets)",
                 columns=("scorer", *(title for _, title in audits)), rows=tuple(rows),
                 note="violation: a rule is broken · warning: a concern · not enough evidence: undecided, never a pass · "
                      "holds: every check passed · not applicable: the audit does not apply or did not run"
                      + (" · error rates: error-rate parity against the observed outcome (equalized odds)"
                         if any(k == "observed_outcome" for k, _ in audits) else "")
                      + (" · dynamics: does the gap between groups grow as people respond" if any(k == "dynamics" for k, _ in audits)
                         else ""))


def _short(outcome: str) -> str:
    return {"not enough evidence": "undecided", "violation": "violated", "warning": "concern", "holds": "hold"}.get(outcome, outcome)


_SEVERITY: dict[Any, int] = {"violation": 0, "warning": 1, "not enough evidence": 2, "holds": 3, None: 4}


def rank_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Findings most important first: by outcome (violations first, neutral facts last), then taking turns
    between scorers, so the top five are not five variants of one scorer's finding; stable otherwise."""
    seen: Counter[tuple[Any, int]] = Counter()
    keyed = []
    for n, f in enumerate(findings):
        sev = _SEVERITY[finding_outcome(f)]
        turn = seen[(f.scorer, sev)]
        seen[(f.scorer, sev)] += 1
        keyed.append(((sev, turn, n), f))
    return [f for _, f in sorted(keyed, key=lambda kf: kf[0])]
