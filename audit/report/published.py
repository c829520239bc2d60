"""The report's section on differentially private publication (``published.json``).

Shows the privacy parameters, the budget ledger (which query, which
mechanism, which scale, what it cost) and each scorer's published noisy
tables with their 95% intervals. Only figures from ``published.json`` appear
here; pointers are ``published#/...``.
"""

from __future__ import annotations

from typing import Any

from audit.report.model import Block, Doc, NotComputed, Paragraph, Section, fmt_number
from audit.report.tables import Column, generic_blocks, humanize, records_table

__all__ = ["LEDGER_KEYS", "published_section"]

#: Keys under which a ledger may appear in published.json, in order of preference.
LEDGER_KEYS = ("ledger", "privacy_ledger", "budget_ledger")


def _ledger_path(doc: Doc) -> tuple[Any, ...] | None:
    for key in LEDGER_KEYS:
        node = doc.get(key)
        if isinstance(node, list):
            return (key,)
        if isinstance(node, dict) and isinstance(node.get("entries"), list):
            return (key, "entries")
    return None


def published_section(published: dict[str, Any] | None, *, sid: str = "published") -> Section:
    """The published (noisy) figures and the privacy ledger, or "not computed" without ``--epsilon``."""
    title = "Published figures (differentially private) and the privacy ledger"
    if not isinstance(published, dict):
        return Section(id=sid, title=title, blocks=(NotComputed(
            what="differentially private publication",
            reason="the run was not given --epsilon, so nothing was published; every figure above is exact and private"),))
    doc = Doc(published, "published")
    blocks: list[Block] = [Paragraph(text=(
        "Every figure in this section is the output of an OpenDP measurement on the exact aggregates; each carries "
        "its 95% interval from the noise scale (per figure). Only these figures may leave the harness."))]
    skip = {"scorers", *LEDGER_KEYS}
    blocks.extend(b for b in generic_blocks(doc, (), id=f"{sid}-params", skip=tuple(skip)) if not isinstance(b, NotComputed))
    ledger = _ledger_path(doc)
    if ledger is not None:
        entries = doc.get(*ledger)
        keys: list[str] = []
        for e in entries:
            if isinstance(e, dict):
                keys += [k for k, v in e.items() if k not in keys and not isinstance(v, (dict, list))]
        cols = [Column(heading=humanize(k), key=k, fmt=fmt_number if k not in ("query", "mechanism", "id", "entry") else str)
                for k in keys]
        blocks.append(records_table(doc, ledger, cols, id=f"{sid}-ledger", caption="Privacy ledger: every release and what it cost"))
    else:
        blocks.append(NotComputed(what="privacy ledger", reason="published.json has no ledger"))
    children = []
    scorers = doc.get("scorers")
    if isinstance(scorers, list):
        for i, s in enumerate(scorers):
            if not isinstance(s, dict):
                continue
            label = str(s.get("label", s.get("name", f"scorer {i + 1}")))
            sub = generic_blocks(doc, ("scorers", i), id=f"{sid}-s{i}")
            children.append(Section(id=f"{sid}-s{i}", title=f"Published for {label}", blocks=tuple(sub)))
    elif isinstance(scorers, dict):
        for i, (label, _) in enumerate(scorers.items()):
            sub = generic_blocks(doc, ("scorers", label), id=f"{sid}-s{i}")
            children.append(Section(id=f"{sid}-s{i}", title=f"Published for {label}", blocks=tuple(sub)))
    return Section(id=sid, title=title, blocks=tuple(blocks), children=tuple(children))



