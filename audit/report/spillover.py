"""Report sections for the spill-over and contagion audits.

Spill-over (EU AI Act Art. 5(1)(c)): the matrix of conduct domain → sanction
domain as a heat map (same or related domains outlined), the share of
sanctions in an unrelated domain per group, and proportionality — conduct of
lighter gravity that brings heavier sanctions. Contagion: what one friend's
penalty does to a person's score, tier and sanctions.
"""

from __future__ import annotations

from typing import Any

from audit.report.model import (
    Block,
    Cell,
    Doc,
    NotComputed,
    Paragraph,
    Section,
    Table,
    fmt_count,
    fmt_number,
    fmt_pct,
    group_label,
    is_number,
)
from audit.report.plots import heatmap, plot_block
from audit.report.replay import guess_columns, replay_section
from audit.report.tables import Column, facts, records_table

__all__ = ["contagion_section", "profile_label", "spillover_plot", "spillover_section"]



def profile_label(profile: Any) -> str:
    """A rule probe's constructed person, with the one label of each group: ``"Q1 primary_or_less female"`` ->
    ``"Q1 (poorest fifth), primary or less, female"`` (the probes name profiles by their codes)."""
    parts = str(profile).split(" ")
    if len(parts) == 3 and parts[0][:1] == "Q" and parts[0][1:].isdigit():
        return ", ".join((group_label("income_quintile", int(parts[0][1:])), group_label("education", parts[1]),
                          parts[2].replace("_", " ")))
    return str(profile)

def _related(doc: Doc, path: tuple[Any, ...]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for key in ("related_domains", "related_pairs"):
        node = doc.get(*path, key)
        if isinstance(node, list):
            pairs |= {(str(p[0]), str(p[1])) for p in node if isinstance(p, list) and len(p) == 2}
    return pairs


def spillover_plot(doc: Doc, path: tuple[Any, ...], *, id: str) -> Block:
    """The conduct domain → sanction domain matrix as a heat map (same or related domains outlined)."""
    matrix = doc.get(*path, "matrix")
    title = "Spill-over: sanctions in each domain of life (columns) caused by conduct in each domain (rows)"
    if not isinstance(matrix, dict) or not matrix:
        return NotComputed(what="spill-over matrix")
    rows = [r for r in matrix if isinstance(matrix[r], dict)]
    cols: list[str] = []
    for r in rows:
        cols += [c for c in matrix[r] if c not in cols]
    values = [[matrix[r].get(c) if is_number(matrix[r].get(c)) else None for c in cols] for r in rows]
    related = _related(doc, path)
    marked = {(i, j) for i, r in enumerate(rows) for j, c in enumerate(cols) if r == c or (r, c) in related or (c, r) in related}
    drawn = heatmap(id, title, [r.replace("_", " ") for r in rows], [c.replace("_", " ") for c in cols], values,
                  row_title="conduct domain", col_title="sanction domain", marked=marked)
    table_rows = [(Cell(text=r.replace("_", " "), value=r),
                   *(doc.cell(*path, "matrix", r, c, fmt=fmt_number) if c in matrix[r] else Cell(text="—") for c in cols))
                  for r in rows]
    data = Table(id=f"{id}-data", caption="Spill-over matrix (rows: conduct domain; columns: sanction domain)",
                 columns=("conduct \\ sanction", *(c.replace("_", " ") for c in cols)), rows=tuple(table_rows))
    return plot_block(id, title + "; outlined cells are the same or a related domain", drawn, data)


_KIND_COLUMNS = (
    Column(heading="conduct", key="kind", label=str), Column(heading="domain", key="domain", label=str),
    Column(heading="gravity", key="gravity", label=str), Column(heading="people", key="n", fmt=fmt_count),
    Column(heading="sanctions one event adds", key="sanction_weight", fmt=lambda x: f"{x:.3f}", ci="sanction_weight_ci"),
    Column(heading="share newly sanctioned", key="sanctioned_share", fmt=fmt_pct, ci="sanctioned_share_ci"),
    Column(heading="tier drop", key="tier_drop", fmt=lambda x: f"{x:.3f}"),
    Column(heading="score drop", key="score_drop", fmt=lambda x: f"{x:.2f}"),
)
_FLAG_COLUMNS = (
    Column(heading="conduct", key="kind", label=str), Column(heading="gravity", key="gravity", label=str),
    Column(heading="sanctions it adds", key="sanction_weight", fmt=lambda x: f"{x:.3f}"),
    Column(heading="heavier than", key="heavier_than", label=str),
    Column(heading="whose gravity is", key="heavier_than_gravity", label=str),
    Column(heading="and adds", key="heavier_than_weight", fmt=lambda x: f"{x:.3f}"),
    Column(heading="significant", key="significant"),
)


def _proportionality(doc: Doc, path: tuple[Any, ...], *, sid: str) -> list[Block]:
    node = doc.get(*path, "proportionality")
    if not isinstance(node, dict):
        return [NotComputed(what="proportionality of sanctions to conduct")]
    p = (*path, "proportionality")
    blocks: list[Block] = [facts(doc, [
        ("measure", (*p, "measure"), {"fmt": str, "optional": True}),
        ("disproportions flagged", (*p, "flag_count"), {"fmt": fmt_count}),
    ], id=f"{sid}-proportionality-facts")]
    if isinstance(node.get("by_kind"), list):
        blocks.append(records_table(doc, (*p, "by_kind"), _KIND_COLUMNS, id=f"{sid}-proportionality",
                                    caption="Sanctions one more event of each kind brings (sampled people)"))
    flags = node.get("flags")
    if isinstance(flags, list) and flags:
        blocks.append(records_table(doc, (*p, "flags"), _FLAG_COLUMNS, id=f"{sid}-flags",
                                    caption="Disproportion: lighter conduct bringing heavier sanctions",
                                    note="significant: the 95% intervals of the two weights do not overlap."))
    return blocks


def _by_group_tables(doc: Doc, path: tuple[Any, ...], *, sid: str, caption: str) -> list[Block]:
    """A table per ``by_income_quintile`` / ``by_education`` list the section holds, its columns guessed from the records."""
    blocks: list[Block] = []
    for attr in ("income_quintile", "education"):
        key = f"by_{attr}"
        if isinstance(doc.get(*path, key), list):
            blocks.append(records_table(doc, (*path, key), guess_columns(doc, (*path, key), attr), id=f"{sid}-{attr}",
                                        caption=f"{caption}, by {attr.replace('_', ' ')}"))
    return blocks


_SPILLOVER_KNOWN = {"sample_size", "sanctions", "unrelated_sanctions", "unrelated_share", "unrelated_share_ci", "combined", "matrix",
                    "by_income_quintile", "by_education", "related_pairs", "related_domains", "proportionality", "available",
                    "probes", "sanctioned_people", "without_conduct"}


def spillover_section(doc: Doc, index: int, *, sid: str) -> Section:
    """Spill-over: detriment in domains unrelated to the conduct (EU AI Act Art. 5(1)(c))."""
    return replay_section(doc, ("scorers", index, "spillover"), sid=sid, title="Spill-over: sanctions in unrelated parts of life",
                          what="spill-over audit", known=_SPILLOVER_KNOWN, body=_spillover_blocks)


def _spillover_blocks(doc: Doc, path: tuple[Any, ...], sid: str) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(text="EU AI Act Art. 5(1)(c) bans scoring that leads to detriment in social contexts unrelated to "
                       "those where the data was generated, or detriment disproportionate to the conduct."),
        facts(doc, [
            ("people sampled", (*path, "sample_size"), {"fmt": fmt_count, "optional": True}),
            ("sanctions held (person × sanction)", (*path, "sanctions"), {"fmt": fmt_count, "optional": True}),
            ("in an unrelated domain", (*path, "unrelated_sanctions"), {"fmt": fmt_count, "optional": True}),
            ("share of sanctions in an unrelated domain", (*path, "unrelated_share"),
             {"fmt": fmt_pct, "ci": (*path, "unrelated_share_ci")}),
            ("sanctions no single domain explains (combined)", (*path, "combined"), {"fmt": fmt_count, "optional": True}),
            ("sanctioned people in the sample", (*path, "sanctioned_people"), {"fmt": fmt_count, "optional": True}),
            ("sanctions no conduct is needed for", (*path, "without_conduct"), {"fmt": fmt_count, "optional": True}),
        ], id=f"{sid}-facts"),
        spillover_plot(doc, path, id=f"{sid}-heatmap"),
    ]
    blocks.extend(_by_group_tables(doc, path, sid=sid, caption="Sanctions in an unrelated domain"))
    blocks.extend(_proportionality(doc, path, sid=sid))
    blocks.extend(_probes(doc, path, sid=sid))
    return blocks


_WITNESS_COLUMNS = (
    Column(heading="conduct domain", key="conduct_domain", label=str),
    Column(heading="sanction domain", key="sanction_domain", label=str),
    Column(heading="related", key="related"),
    Column(heading="the only record", key="kind", label=str),
    Column(heading="records", key="dose", fmt=fmt_count),
    Column(heading="sanction", key="sanction", label=str),
    Column(heading="profile", key="profile", label=profile_label),
    Column(heading="months after", key="months_after", fmt=fmt_count),
)
_INVERSION_COLUMNS = (
    Column(heading="lighter conduct", key="lighter", label=str),
    Column(heading="sanctions", key="lighter_sanctions", fmt=fmt_count),
    Column(heading="graver conduct", key="graver", label=str),
    Column(heading="sanctions", key="graver_sanctions", fmt=fmt_count),
    Column(heading="lighter by", key="basis", label=str),
    Column(heading="profile", key="profile", label=profile_label),
)


def _probes(doc: Doc, path: tuple[Any, ...], *, sid: str) -> list[Block]:
    """Rule probes: what can happen, shown on constructed people (:mod:`audit.replay.probes`), apart from the sample."""
    p = (*path, "probes")
    if not isinstance(doc.get(*p), dict):
        return []
    if doc.get(*p, "available") is False:
        return [NotComputed(what="rule probes", reason=str(doc.get(*p, "reason")))]
    blocks: list[Block] = [
        Paragraph(text="Rule probes show what can happen, with certainty: constructed people, one per income quintile, "
                       "education level and sex, each with one kind of conduct alone (1, 2, 3 or 5 records), compared with "
                       "a person of the same profile with no record. The sample above shows how often it happens."),
        facts(doc, [
            ("constructed people", (*p, "people"), {"fmt": fmt_count}),
            ("any record changes the output", (*p, "conduct_matters"), {"fmt": str}),
        ], id=f"{sid}-probe-facts"),
    ]
    for key, columns, caption in (
        ("spillover", _WITNESS_COLUMNS, "Rule probes: conduct that can cause a sanction in another domain (first witness each)"),
        ("never_lifted", _WITNESS_COLUMNS, "Rule probes: sanctions still in force at the last check, doing nothing or the best plan"),
        ("inversions", _INVERSION_COLUMNS, "Rule probes: lighter conduct punished harder than graver conduct"),
    ):
        if isinstance(doc.get(*p, key), list) and doc.get(*p, key):
            blocks.append(records_table(doc, (*p, key), columns, id=f"{sid}-probe-{key.replace('_', '-')}", caption=caption))
    return blocks


_CONTAGION_KNOWN = ("by_income_quintile", "by_education", "overall", "sample_size", "measured", "applicable")


def contagion_section(doc: Doc, index: int, *, sid: str) -> Section:
    """Contagion: what one friend's penalty does to a person's score, tier and sanctions."""
    return replay_section(doc, ("scorers", index, "contagion"), sid=sid, title="Contagion: a friend's penalty",
                          what="contagion audit", known=_CONTAGION_KNOWN, body=_contagion_blocks)


def _contagion_blocks(doc: Doc, path: tuple[Any, ...], sid: str) -> list[Block]:
    o = (*path, "overall")
    blocks: list[Block] = [facts(doc, [
        ("people sampled", (*path, "sample_size"), {"fmt": fmt_count, "optional": True}),
        ("people measured (with a friend)", (*path, "measured"), {"fmt": fmt_count, "optional": True}),
        ("mean score change", (*o, "mean_score_change"), {"fmt": lambda x: f"{x:+.2f}", "ci": (*o, "mean_score_change_ci")}),
        ("moved to a worse tier", (*o, "tier_change_share"), {"fmt": fmt_pct, "ci": (*o, "tier_change_share_ci")}),
        ("newly sanctioned", (*o, "sanction_change_share"), {"fmt": fmt_pct, "ci": (*o, "sanction_change_share_ci"),
                                                            "optional": True}),
    ], id=f"{sid}-facts")]
    blocks.extend(_by_group_tables(doc, path, sid=sid, caption="Effect of one friend's penalty"))
    return blocks
