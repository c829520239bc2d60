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
    MISSING,
    Block,
    Cell,
    Facts,
    NotComputed,
    Paragraph,
    Ptr,
    Section,
    Table,
    cell,
    fmt_count,
    fmt_number,
    fmt_pct,
    group_label,
)
from audit.report.plots import heatmap, plot_block
from audit.report.replay import guess_columns, replay_section, section_of
from audit.report.tables import Column, figure, table_of
from audit.results.model import ContagionSection, ScorerEntry, SpilloverSection
from audit.results.model.replay import Inversion, ProbesSection, ProportionalitySection, Witness

__all__ = ["contagion_section", "profile_label", "spillover_plot", "spillover_section"]



def profile_label(profile: Any) -> str:
    """A rule probe's constructed person, with the one label of each group: ``"Q1 primary_or_less female"`` ->
    ``"Q1 (poorest fifth), primary or less, female"`` (the probes name profiles by their codes)."""
    parts = str(profile).split(" ")
    if len(parts) == 3 and parts[0][:1] == "Q" and parts[0][1:].isdigit():
        return ", ".join((group_label("income_quintile", int(parts[0][1:])), group_label("education", parts[1]),
                          parts[2].replace("_", " ")))
    return str(profile)

def spillover_plot(node: SpilloverSection, at: Ptr, *, id: str) -> Block:
    """The conduct domain → sanction domain matrix as a heat map (same or related domains outlined); ``at`` points
    to the spill-over section ``node``."""
    matrix = node["matrix"]
    title = "Spill-over: sanctions in each domain of life (columns) caused by conduct in each domain (rows)"
    if not matrix:
        return NotComputed(what="spill-over matrix")
    rows = list(matrix)
    cols: list[str] = []
    for r in rows:
        cols += [c for c in matrix[r] if c not in cols]
    values: list[list[float | None]] = [[matrix[r].get(c) for c in cols] for r in rows]
    related = {(str(p[0]), str(p[1])) for p in node["related_domains"] if len(p) == 2}
    marked = {(i, j) for i, r in enumerate(rows) for j, c in enumerate(cols) if r == c or (r, c) in related or (c, r) in related}
    drawn = heatmap(id, title, [r.replace("_", " ") for r in rows], [c.replace("_", " ") for c in cols], values,
                  row_title="conduct domain", col_title="sanction domain", marked=marked)
    table_rows = [(Cell(text=r.replace("_", " "), value=r),
                   *(cell(matrix[r][c], at / "matrix" / r / c, fmt=fmt_number) if c in matrix[r] else Cell(text="—")
                     for c in cols))
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


def _proportionality(node: ProportionalitySection, at: Ptr, *, sid: str) -> list[Block]:
    blocks: list[Block] = [Facts(id=f"{sid}-proportionality-facts", items=(
        ("measure", figure(node["measure"], at / "measure", fmt=str)),
        ("disproportions flagged", figure(node["flag_count"], at / "flag_count", fmt=fmt_count)),
    ))]
    blocks.append(table_of(node["by_kind"], at / "by_kind", _KIND_COLUMNS, id=f"{sid}-proportionality",
                           caption="Sanctions one more event of each kind brings (sampled people)"))
    if node["flags"]:
        blocks.append(table_of(node["flags"], at / "flags", _FLAG_COLUMNS, id=f"{sid}-flags",
                               caption="Disproportion: lighter conduct bringing heavier sanctions",
                               note="significant: the 95% intervals of the two weights do not overlap."))
    return blocks


def _by_group_tables(node: SpilloverSection | ContagionSection, at: Ptr, *, sid: str, caption: str) -> list[Block]:
    """A table per ``by_income_quintile`` / ``by_education`` list the section holds, its columns guessed from the records."""
    by = {"income_quintile": node["by_income_quintile"] if "by_income_quintile" in node else None,
          "education": node["by_education"] if "by_education" in node else None}
    return [table_of(groups, at / f"by_{attr}", guess_columns(groups, attr), id=f"{sid}-{attr}",
                     caption=f"{caption}, by {attr.replace('_', ' ')}")
            for attr, groups in by.items() if groups is not None]


_SPILLOVER_KNOWN = {"sample_size", "sanctions", "unrelated_sanctions", "unrelated_share", "unrelated_share_ci", "combined", "matrix",
                    "by_income_quintile", "by_education", "related_pairs", "related_domains", "proportionality", "available",
                    "probes", "sanctioned_people", "without_conduct"}


def spillover_section(entry: ScorerEntry, at: Ptr, *, sid: str) -> Section:
    """Spill-over of the scorer ``entry`` (read at ``at``): detriment in domains unrelated to the conduct (EU AI Act
    Art. 5(1)(c))."""
    return replay_section(section_of(entry, "spillover"), at / "spillover", sid=sid,
                          title="Spill-over: sanctions in unrelated parts of life",
                          what="spill-over audit", known=_SPILLOVER_KNOWN, body=_spillover_blocks)


def _spillover_blocks(node: SpilloverSection, at: Ptr, sid: str) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(text="EU AI Act Art. 5(1)(c) bans scoring that leads to detriment in social contexts unrelated to "
                       "those where the data was generated, or detriment disproportionate to the conduct."),
        Facts(id=f"{sid}-facts", items=(
            ("people sampled", figure(node["sample_size"], at / "sample_size", fmt=fmt_count)),
            ("sanctions held (person × sanction)", figure(node["sanctions"], at / "sanctions", fmt=fmt_count)),
            ("in an unrelated domain", figure(node["unrelated_sanctions"], at / "unrelated_sanctions", fmt=fmt_count)),
            ("share of sanctions in an unrelated domain", figure(node["unrelated_share"], at / "unrelated_share", fmt=fmt_pct,
                                                                 ci=(node["unrelated_share_ci"], at / "unrelated_share_ci"))),
            ("sanctions no single domain explains (combined)", figure(node["combined"], at / "combined", fmt=fmt_count)),
            ("sanctioned people in the sample", figure(node["sanctioned_people"], at / "sanctioned_people", fmt=fmt_count)),
            ("sanctions no conduct is needed for", figure(node["without_conduct"], at / "without_conduct", fmt=fmt_count)),
        )),
        spillover_plot(node, at, id=f"{sid}-heatmap"),
    ]
    blocks.extend(_by_group_tables(node, at, sid=sid, caption="Sanctions in an unrelated domain"))
    blocks.extend(_proportionality(node["proportionality"], at / "proportionality", sid=sid))
    blocks.extend(_probes(node["probes"], at / "probes", sid=sid))
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


def _probes(probes: ProbesSection, at: Ptr, *, sid: str) -> list[Block]:
    """Rule probes: what can happen, shown on constructed people (:mod:`audit.replay.probes`), apart from the sample."""
    if "available" in probes and probes["available"] is False:
        return [NotComputed(what="rule probes", reason=str(probes["reason"] if "reason" in probes else MISSING))]
    blocks: list[Block] = [
        Paragraph(text="Rule probes show what can happen, with certainty: constructed people, one per income quintile, "
                       "education level and sex, each with one kind of conduct alone (1, 2, 3 or 5 records), compared with "
                       "a person of the same profile with no record. The sample above shows how often it happens."),
        Facts(id=f"{sid}-probe-facts", items=(
            ("constructed people", figure(probes["people"] if "people" in probes else MISSING, at / "people", fmt=fmt_count)),
            ("any record changes the output", figure(probes["conduct_matters"] if "conduct_matters" in probes else MISSING,
                                                     at / "conduct_matters", fmt=str)),
        )),
    ]
    witnesses: tuple[tuple[str, list[Witness] | list[Inversion], tuple[Column, ...], str], ...] = (
        ("spillover", probes["spillover"] if "spillover" in probes else [], _WITNESS_COLUMNS,
         "Rule probes: conduct that can cause a sanction in another domain (first witness each)"),
        ("never_lifted", probes["never_lifted"] if "never_lifted" in probes else [], _WITNESS_COLUMNS,
         "Rule probes: sanctions still in force at the last check, doing nothing or the best plan"),
        ("inversions", probes["inversions"] if "inversions" in probes else [], _INVERSION_COLUMNS,
         "Rule probes: lighter conduct punished harder than graver conduct"),
    )
    for key, records, columns, caption in witnesses:
        if records:
            blocks.append(table_of(records, at / key, columns, id=f"{sid}-probe-{key.replace('_', '-')}", caption=caption))
    return blocks


_CONTAGION_KNOWN = ("by_income_quintile", "by_education", "overall", "sample_size", "measured", "applicable")


def contagion_section(entry: ScorerEntry, at: Ptr, *, sid: str) -> Section:
    """Contagion of the scorer ``entry`` (read at ``at``): what one friend's penalty does to a person's score, tier
    and sanctions."""
    return replay_section(section_of(entry, "contagion"), at / "contagion", sid=sid, title="Contagion: a friend's penalty",
                          what="contagion audit", known=_CONTAGION_KNOWN, body=_contagion_blocks)


def _contagion_blocks(node: ContagionSection, at: Ptr, sid: str) -> list[Block]:
    items = []
    if "sample_size" in node:
        items.append(("people sampled", figure(node["sample_size"], at / "sample_size", fmt=fmt_count)))
    if "measured" in node:
        items.append(("people measured (with a friend)", figure(node["measured"], at / "measured", fmt=fmt_count)))
    o = at / "overall"
    if "overall" in node:
        overall = node["overall"]
        items += [
            ("mean score change", figure(overall["mean_score_change"], o / "mean_score_change", fmt=lambda x: f"{x:+.2f}",
                                         ci=(overall["mean_score_change_ci"], o / "mean_score_change_ci"))),
            ("moved to a worse tier", figure(overall["tier_change_share"], o / "tier_change_share", fmt=fmt_pct,
                                             ci=(overall["tier_change_share_ci"], o / "tier_change_share_ci"))),
            ("newly sanctioned", figure(overall["sanction_change_share"], o / "sanction_change_share", fmt=fmt_pct,
                                        ci=(overall["sanction_change_share_ci"], o / "sanction_change_share_ci"))),
        ]
    else:
        items += [("mean score change", figure(MISSING, o / "mean_score_change")),
                  ("moved to a worse tier", figure(MISSING, o / "tier_change_share"))]
    blocks: list[Block] = [Facts(id=f"{sid}-facts", items=tuple(items))]
    blocks.extend(_by_group_tables(node, at, sid=sid, caption="Effect of one friend's penalty"))
    return blocks
