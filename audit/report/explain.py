"""Report sections that explain a disparity: attribution over rules, and errors against the ground truth.

Attribution (``disparity.attribution``): for each audited attribute and
outcome, the gap between the two groups compared and each rule's effect on it
and share of it. Ground truth (``disparity.ground_truth``, synthetic
populations only): wrongful sanctions per group, and sanction rates among
people of equal latent reliability — the equalised-odds view: are poorer
people sanctioned more at equal behaviour?
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, cast

from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Facts,
    NotComputed,
    Paragraph,
    Ptr,
    Section,
    Table,
    fmt_count,
    fmt_pct,
    group_label,
    is_number,
)
from audit.report.tables import Column, figure, humanize, table_of
from audit.results.model import Attribution, GroundTruth, GroupLabel
from audit.results.model.disparity import AttributeTruth, GapAttribution

__all__ = ["attribution_section", "ground_truth_section"]


def _points(x: float) -> str:
    return f"{100 * x:+.2f} pts"


def attribution_section(attribution: Attribution | None, at: Ptr, *, sid: str) -> Section:
    """Each rule's effect on each gap, largest first (``at`` points to ``attribution``; ``None``: not computed)."""
    title = "Which rule drives each gap (attribution over rules)"
    if attribution is None:
        return Section(id=sid, title=title, blocks=(NotComputed(what="attribution over rules"),))
    blocks: list[Block] = [Facts(id=f"{sid}-facts", items=(
        ("method", figure(attribution["method"], at / "method", fmt=str)),
        ("people re-scored (person-hash sample)", figure(attribution["sample_size"], at / "sample_size", fmt=fmt_count)),
    ))]
    blocks.append(Paragraph(text=attribution["note"]))
    for attr, outcomes in attribution["by_attribute"].items():
        # the outcomes (favourable, adverse) in the order the audit wrote them
        for outcome, part in cast(Mapping[str, GapAttribution], outcomes).items():
            p = at / "by_attribute" / attr / outcome
            groups = part["groups"]
            between = ""
            if len(groups) == 2:
                between = f" between {group_label(attr, groups[0])} and {group_label(attr, groups[1])}"
            gap = part["gap"]
            gap_text = f" (gap {_points(gap)})" if is_number(gap) else ""
            rules = sorted(part["rules"].items(), key=lambda kv: -abs(kv[1]["effect"] or 0))
            rows = [(Cell(text=str(rule), value=str(rule)),
                     figure(rec["effect"], p / "rules" / rule / "effect", fmt=_points),
                     figure(rec["share_of_gap"], p / "rules" / rule / "share_of_gap", fmt=fmt_pct)) for rule, rec in rules]
            blocks.append(Table(id=f"{sid}-{_slug(attr)}-{_slug(outcome)}",
                                caption=f"{humanize(outcome).capitalize()} rate gap by {humanize(attr)}{between}{gap_text}: "
                                        "each rule's effect, largest first",
                                columns=("rule", "effect on the gap", "share of the gap"), rows=tuple(rows)))
    return Section(id=sid, title=title, blocks=tuple(blocks))


_GT_COLUMNS = (
    ("n", "n", fmt_count), ("sanctioned", "sanctioned", fmt_count), ("wrongfully sanctioned", "wrongfully_sanctioned", fmt_count),
    ("wrongful sanction rate", "wrongful_sanction_rate", fmt_pct), ("false sanction rate", "false_sanction_rate", fmt_pct),
    ("missed sanction rate", "missed_sanction_rate", fmt_pct), ("sanction rate", "sanction_rate", fmt_pct),
    ("sanction rate if only genuine events", "sanction_rate_if_genuine", fmt_pct),
    ("favourable rate", "favourable_rate", fmt_pct), ("favourable rate if only genuine events", "favourable_rate_if_genuine", fmt_pct),
    ("wrongly unfavourable", "wrongly_unfavourable_rate", fmt_pct),
)


def _band(b: Any) -> str:
    if isinstance(b, list) and len(b) == 2 and all(is_number(x) for x in b):
        return f"{b[0]:g}–{b[1]:g}"
    return str(b)


def _equalised_odds(truth: AttributeTruth, at: Ptr, attr: str, *, id: str) -> Block:
    """Sanction rates per reliability band and group (``at`` points to ``truth``)."""
    bands = truth["by_reliability"]
    if not bands:
        return NotComputed(what=f"sanction rates at equal reliability by {humanize(attr)}")
    groups: list[Any] = []
    for b in bands:
        for g in b["groups"]:
            if g["group"] not in groups:
                groups.append(g["group"])
    rows = []
    for i, b in enumerate(bands):
        bat = at / "by_reliability" / i
        by = {_key(g["group"]): j for j, g in enumerate(b["groups"])}
        cells = [Cell(text=_band(b["band"])), figure(b["n"], bat / "n", fmt=fmt_count)]
        for g in groups:
            j = by.get(_key(g))
            if j is None:
                cells.append(Cell(text="—"))
                continue
            rec = b["groups"][j]
            gat = bat / "groups" / j
            cells.append(figure(rec["sanction_rate"], gat / "sanction_rate", fmt=fmt_pct,
                                ci=(rec["sanction_rate_ci"], gat / "sanction_rate_ci")))
        rows.append(tuple(cells))
    return Table(id=id, caption=f"Sanction rate at equal latent reliability, by {humanize(attr)} (equalised-odds view: "
                                "within a row, people behave alike)",
                 columns=("reliability band", "n", *(group_label(attr, g) for g in groups)), rows=tuple(rows))


def _key(group: GroupLabel) -> Any:
    """A group label as a dict key (an intersection's list of parts as a tuple)."""
    return tuple(group) if isinstance(group, list) else group


def ground_truth_section(truth: GroundTruth | None, at: Ptr, *, sid: str) -> Section:
    """Wrongful sanctions and error rates against the population's ground truth (``at`` points to ``truth``; ``None``
    for a supplied population, whose truth is unknown)."""
    title = "Errors against the ground truth"
    if truth is None:
        return Section(id=sid, title=title, blocks=(NotComputed(
            what="ground-truth error rates", reason="the population is supplied, so the truth is unknown"),))
    blocks: list[Block] = [Paragraph(text=truth["note"])]
    figures = cast(Mapping[str, Any], truth)  # the columns are declared by key (_GT_COLUMNS); the overall record has some
    blocks.append(Facts(id=f"{sid}-facts", items=tuple(
        (label, figure(figures[key], at / key, fmt=fmt, ci=(figures.get(f"{key}_ci", MISSING), at / f"{key}_ci")))
        for label, key, fmt in _GT_COLUMNS if key in figures)))
    for attr, part in truth["by_attribute"].items():
        if "×" in attr:  # intersections stay in results.json; the report shows each attribute
            continue
        p = at / "by_attribute" / attr
        cols = [Column(heading="group", key="group", label=partial(group_label, attr))]
        cols += [Column(heading=h, key=k, fmt=f, ci=f"{k}_ci") for h, k, f in _GT_COLUMNS]
        blocks.append(table_of(part["groups"], p / "groups", cols, id=f"{sid}-{_slug(attr)}", caption=f"Errors by {humanize(attr)}"))
        blocks.append(_equalised_odds(part, p, attr, id=f"{sid}-{_slug(attr)}-reliability"))
    return Section(id=sid, title=title, blocks=tuple(blocks))


def _slug(text: Any) -> str:
    from audit.report.model import slug

    return slug(text)
