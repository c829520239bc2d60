"""Report sections for the disparity audit (NYC LL144-style tables and figures).

Per audited attribute: the unknown-category count, each group's n, rates and
impact ratios with 95% intervals, the four-fifths verdict, the tier
distribution (stacked bars), the impact ratios against the 0.8 line, and the
rule that drives the gap; then the attribution over rules and the
ground-truth error rates.
"""

from __future__ import annotations

from typing import Any, Literal

from audit.report.explain import attribution_section, ground_truth_section
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
    audited_attributes,
    fmt_count,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    group_label,
    is_number,
    slug,
)
from audit.report.plots import interval_dots, plot_block, stacked_bars
from audit.report.tables import Column, figure, humanize, table_of
from audit.results.model import AttributeDisparity, DisparityGroup, ResultsDocument, attribute_section

__all__ = ["ATTRIBUTE_TITLES", "FOUR_FIFTHS", "attribute_names", "disparity_section"]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D): a rate under four-fifths of the highest group's.
FOUR_FIFTHS = 0.8

ATTRIBUTE_TITLES = {
    "income_quintile": "income quintile",
    "education": "education",
    "income_quintile×education": "income quintile × education",
}


def attribute_names(section: Any) -> list[str]:
    """Attributes in a disparity section: entries that hold a ``groups`` list, in document order."""
    if not isinstance(section, dict):
        return []
    return [k for k, v in section.items() if isinstance(v, dict) and isinstance(v.get("groups"), list)]


def _flag_four_fifths(rec: dict[str, Any]) -> str | None:
    verdict = rec.get("four_fifths")
    if verdict == "violation":
        return "bad"
    if verdict == "inconclusive":
        return "warn"
    ratio = rec.get("impact_ratio")
    if verdict is None and is_number(ratio) and ratio < FOUR_FIFTHS:
        return "bad"
    return None


def _verdict_flag(verdict: Any) -> str | None:
    return {"violation": "bad", "inconclusive": "warn", "no violation": "good"}.get(verdict)


def _verdict_words(verdict: Any) -> str:
    """A four-fifths verdict in the three outcomes' words: an undecided one is not enough evidence."""
    return "not enough evidence" if verdict == "inconclusive" else str(verdict)


def ll144_columns(attr: str) -> list[Column]:
    """The columns of the per-group table (LL144 published summary, extended)."""

    def label(g: Any) -> str:
        return group_label(attr, g)

    return [
        Column(heading="group", key="group", label=label),
        Column(heading="n", key="n", fmt=fmt_count),
        Column(heading="share of people", key="share", fmt=fmt_pct),
        Column(heading="favourable rate", key="favourable_rate", fmt=fmt_pct, ci="favourable_rate_ci"),
        Column(heading="impact ratio", key="impact_ratio", fmt=fmt_ratio, ci="impact_ratio_ci", flag=_flag_four_fifths),
        Column(heading="four-fifths", key="four_fifths", fmt=_verdict_words, flag=lambda r: _verdict_flag(r.get("four_fifths"))),
        Column(heading="scoring rate (LL144)", key="scoring_rate", fmt=fmt_pct, ci="scoring_rate_ci"),
        Column(heading="scoring impact ratio", key="scoring_impact_ratio", fmt=fmt_ratio, ci="scoring_impact_ratio_ci"),
        Column(heading="adverse (sanction) rate", key="adverse_rate", fmt=fmt_pct, ci="adverse_rate_ci"),
        Column(heading="adverse relative risk", key="adverse_relative_risk", fmt=fmt_ratio, ci="adverse_relative_risk_ci"),
        Column(heading="mean score", key="mean_score", fmt=fmt_number),
        Column(heading="median score", key="median_score", fmt=fmt_number),
        Column(heading="excluded from ratios", key="excluded_from_ratios"),
    ]


def _group_labels(attr: str, groups: list[DisparityGroup]) -> list[str]:
    return [group_label(attr, g["group"]) for g in groups]


def tier_plot(node: AttributeDisparity, at: Ptr, attr: str, tiers: list[str], *, id: str) -> Block:
    """Stacked bars of each group's tier shares (best tier first); ``at`` points to ``node``."""
    groups = node["groups"]
    title = f"Tier distribution by {ATTRIBUTE_TITLES.get(attr, humanize(attr))}"
    if not groups:
        return NotComputed(what=title.lower(), reason="the results file has no per-group tier shares")
    tiers = tiers or list(groups[0]["tier_shares"])
    shares = [[g["tier_shares"].get(t) for t in tiers] for g in groups]
    labels = _group_labels(attr, groups)
    rows = []
    for i, (label, g) in enumerate(zip(labels, groups, strict=True)):
        shown = at / "groups" / i / "tier_shares"
        rows.append((Cell(text=label), *(figure(g["tier_shares"].get(t, MISSING), shown / t, fmt=fmt_pct) for t in tiers)))
    data = Table(id=f"{id}-data", caption=f"{title}: share of each group in each tier", columns=("group", *tiers), rows=tuple(rows))
    drawn = stacked_bars(id, title, labels, tiers, shares)
    return plot_block(id, f"{title} (share of each group in each tier, best tier first)", drawn, data)


def impact_plot(node: AttributeDisparity, attr: str, *, id: str) -> Block:
    """Impact ratios with their intervals against the four-fifths line."""
    groups = node["groups"]
    name = ATTRIBUTE_TITLES.get(attr, humanize(attr))
    if not groups:
        return NotComputed(what=f"impact ratios by {name}")
    values = [g["impact_ratio"] if is_number(g["impact_ratio"]) else None for g in groups]
    cis = [g["impact_ratio_ci"] for g in groups]
    ref = node["reference_group"]
    ref_text = f" (reference: {group_label(attr, ref)})" if ref is not None else ""
    title = f"Impact ratio of the favourable rate by {name}{ref_text}, with 95% intervals and the four-fifths line"
    return plot_block(id, title, interval_dots(id, title, _group_labels(attr, groups), values, cis))


def _attribute_section(node: AttributeDisparity, at: Ptr, attr: str, tiers: list[str], *, sid: str) -> Section:
    name = ATTRIBUTE_TITLES.get(attr, humanize(attr))
    verdict, driver = node["four_fifths_verdict"], node["driver"]
    why = "rule" if driver["rule"] is not None or "reason" not in driver else "reason"
    labelled = lambda g: group_label(attr, g)  # noqa: E731 - a formatter
    summary = Facts(id=f"{sid}-facts", items=(
        ("people in the unknown category", figure(node["unknown_n"], at / "unknown_n", fmt=fmt_count)),
        ("reference group (highest favourable rate)", figure(node["reference_group"], at / "reference_group", fmt=labelled)),
        ("lowest impact ratio", figure(node["min_impact_ratio"], at / "min_impact_ratio", fmt=fmt_ratio,
                                       ci=(node["min_impact_ratio_ci"], at / "min_impact_ratio_ci"))),
        ("group with the lowest ratio", figure(node["worst_group"], at / "worst_group", fmt=labelled)),
        ("four-fifths verdict", figure(verdict, at / "four_fifths_verdict", fmt=_verdict_words, flag=_verdict_flag(verdict))),
        ("point estimate under 0.8", figure(node["four_fifths_violation"], at / "four_fifths_violation")),
        ("rule that drives the gap", figure(driver["rule"] if why == "rule" else driver["reason"] if "reason" in driver else MISSING,
                                            at / "driver" / why, fmt=str)),
        ("its share of the gap", figure(driver["share_of_gap"], at / "driver" / "share_of_gap", fmt=fmt_pct)),
        ("favourable outcomes in the reference group", figure(node["reference_events"], at / "reference_events", fmt=fmt_count)),
        ("impact ratios unstable (reference group under 10 events)",
         figure(node["impact_ratio_unstable"], at / "impact_ratio_unstable")),
        ("sanctioned people in the least-sanctioned group",
         figure(node["adverse_reference_events"], at / "adverse_reference_events", fmt=fmt_count)),
        ("relative risks unstable (reference group under 10 events)",
         figure(node["adverse_relative_risk_unstable"], at / "adverse_relative_risk_unstable")),
        ("lowest scoring-rate ratio, ties at the median counted as above",
         figure(node["min_scoring_impact_ratio_ties_above"], at / "min_scoring_impact_ratio_ties_above", fmt=fmt_ratio)),
    ))
    # the per-group table through the column-declared records table (its columns are DisparityGroup's keys)
    table = table_of(node["groups"], at / "groups", ll144_columns(attr), id=f"{sid}-table",
                          caption=f"Per {name} group: n, rates and impact ratios (95% intervals in brackets)",
                          note="Impact ratio: the group's favourable rate over the reference group's. Groups under "
                               "the minimum cell share are shown with their counts but excluded from ratios (LL144).")
    blocks: list[Block] = [summary, table, _vocabulary_table(node, at, id=f"{sid}-vocab"),
                           impact_plot(node, attr, id=f"{sid}-impact-plot")]
    if "×" not in attr:
        blocks.append(tier_plot(node, at, attr, tiers, id=f"{sid}-tier-plot"))
    return Section(id=sid, title=f"By {name}", blocks=tuple(blocks))


_VOCABULARY: tuple[Literal["overall", "group_min", "group_max", "difference", "ratio"], ...] = (
    "overall", "group_min", "group_max", "difference", "ratio")


def _vocabulary_table(node: AttributeDisparity, at: Ptr, *, id: str) -> Table:
    """fairlearn's vocabulary per outcome: overall, group_min, group_max, difference, ratio."""
    rows = []
    for outcome, summary in (("favourable", node["favourable"]), ("adverse", node["adverse"]),
                             ("scoring_rate", node["scoring_rate"])):
        rows.append((Cell(text=humanize(outcome)),
                     *(figure(summary[k], at / outcome / k, fmt=fmt_ratio if k == "ratio" else fmt_pct) for k in _VOCABULARY)))
    return Table(id=id, caption="Between-group summary (fairlearn's vocabulary)", columns=("outcome", *_VOCABULARY),
                 rows=tuple(rows))


def disparity_section(results: ResultsDocument, index: int, *, sid: str) -> Section:
    """The disparity audit of scorer ``index``."""
    entry = results["scorers"][index]
    at = Ptr("results", ("scorers", index, "disparity"))
    title = "Disparity: who gets the favourable tiers, who is sanctioned"
    if "disparity" not in entry:
        return Section(id=sid, title=title, blocks=(NotComputed(what="disparity audit"),))
    section = entry["disparity"]
    tiers = [str(t) for t in entry["tiers"]]
    adverse = ("Adverse outcome: none declared — the scorer imposes no sanctions, so its sanction rates are 0 by "
               "construction; its unfavourable tiers are everyone not in a favourable one."
               if entry["sanctions"] == {} else "Adverse outcome: any declared sanction.")
    blocks: list[Block] = [
        Paragraph(text=f"Favourable outcome: tier {' or '.join(str(t) for t in entry['favourable_tiers'])}. {adverse}"),
        Facts(id=f"{sid}-facts", items=(
            ("population median score", figure(section["median_score"], at / "median_score", fmt=fmt_number)),
            ("minimum cell share for ratios", figure(section["min_cell_share"], at / "min_cell_share", fmt=fmt_pct)),
            ("bootstrap replicates", figure(section["bootstrap_replicates"], at / "bootstrap_replicates", fmt=fmt_count)),
        )),
        Paragraph(text=section["median_note"]),
    ]
    children = [_attribute_section(attribute_section(section, attr), at / attr, attr, tiers, sid=f"{sid}-{slug(attr)}")
                for attr in attribute_names(section)]
    for attr in audited_attributes(results):  # an attribute the run meant to audit but could not is said, not dropped
        if attr not in attribute_names(section) and attr in ATTRIBUTE_TITLES:
            children.append(Section(id=f"{sid}-{slug(attr)}", title=f"By {ATTRIBUTE_TITLES[attr]}",
                                    blocks=(NotComputed(what=f"disparity by {ATTRIBUTE_TITLES[attr]}"),)))
    children.append(attribution_section(section["attribution"], at / "attribution", sid=f"{sid}-attribution"))
    children.append(ground_truth_section(section["ground_truth"], at / "ground_truth", sid=f"{sid}-ground-truth"))
    return Section(id=sid, title=title, blocks=tuple(blocks), children=tuple(children))
