"""The comparison report (compare.html, compare.md) built from a compare document (compare.json).

Same model and templates as a run's report: findings first (one sentence per
variant against the reference), then the variants side by side, the
differences with paired intervals and which variant is fairer, the grid plot
when a parameter was swept, and the other audits' headline figures.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from audit.report.compare import decimals, fmt_value, record_decimals
from audit.report.model import (
    MISSING,
    Block,
    Cell,
    Facts,
    Finding,
    NotComputed,
    Paragraph,
    Ptr,
    Report,
    Section,
    Table,
    cell,
    fmt_count,
    fmt_pct,
    fmt_ratio,
    is_number,
)
from audit.report.plots import line_chart, plot_block
from audit.report.tables import figure
from audit.results.model.compare import CompareDocument, MeasureSpec

__all__ = ["build_compare_report", "write_compare"]


#: Where a compare.json value sits: ``compare#/json/pointer``.
COMPARE = Ptr("compare")


def _digits(doc: CompareDocument, m: MeasureSpec) -> int:
    """Decimals for measure ``m``: enough that every paired difference and every value shown is visibly non-zero."""
    numbers = [p["measures"][m["key"]]["difference"] for p in doc["pairs"] if m["key"] in p["measures"]]
    numbers += [v["measures"][m["key"]]["value"] for v in doc["variants"] if "measures" in v and m["key"] in v["measures"]]
    return decimals(m, [x for x in numbers if is_number(x)])


def _fmt(m: MeasureSpec, digits: int) -> Callable[[Any], str]:
    return lambda x: fmt_value(m, x, digits)


def _fmt_diff(m: MeasureSpec, digits: int) -> Callable[[Any], str]:
    if m["percent"]:
        return lambda d: f"{100 * d:+.{digits}f} pts"
    return lambda d: f"{d:+.{digits}f}"


def _no_pairs_reason(doc: CompareDocument, default: str) -> str:
    paired = doc["paired"]
    return paired["reason"] if "reason" in paired and paired["reason"] else default


def side_by_side(doc: CompareDocument) -> Table | NotComputed:
    """Rows: measures; columns: variants; the best value on each measure flagged."""
    variants = doc["variants"]
    if not any("measures" in v for v in variants):
        return NotComputed(what="paired measures", reason=_no_pairs_reason(doc, "no joint outcomes were collected"))
    rows = []
    for m in doc["measures"]:
        digits = _digits(doc, m)
        best = doc["best"].get(m["key"])
        row = [Cell(text=f"{m['title']} ({m['better']} is {'fairer' if m['fairness'] else 'better'})")]
        for j, v in enumerate(variants):
            flag = "good" if best is not None and v["label"] == best["label"] and best["clear"] else None
            at = COMPARE / "variants" / j / "measures" / m["key"]
            measure = v["measures"].get(m["key"]) if "measures" in v else None
            row.append(figure(measure["value"] if measure is not None else MISSING, at / "value", fmt=_fmt(m, digits),
                              ci=(measure["ci"] if measure is not None else MISSING, at / "ci"), flag=flag))
        rows.append(tuple(row))
    return Table(id="compare-side-by-side", caption="Each variant on the same people (95% paired-bootstrap intervals); "
                 "highlighted: best on the measure, separated from every other variant by the paired intervals",
                 columns=("measure", *(v["label"] for v in variants)), rows=tuple(rows))


def differences(doc: CompareDocument, *, reference_only: bool) -> list[Block]:
    pairs = doc["pairs"]
    ref = doc["reference"]
    if not pairs:
        return [NotComputed(what="paired differences", reason=_no_pairs_reason(doc, "fewer than two variants"))]
    rows = []
    for p_i, pair in enumerate(pairs):
        if reference_only and pair["a"] != ref:
            continue
        for m in doc["measures"]:
            if m["key"] not in pair["measures"]:
                continue
            at = COMPARE / "pairs" / p_i / "measures" / m["key"]
            record = pair["measures"][m["key"]]
            digits = record_decimals(m, record)
            winner = record["winner"]
            flag = "good" if winner == pair["b"] else ("bad" if winner == pair["a"] else None)
            rows.append((Cell(text=f"{pair['b']} vs {pair['a']}"), Cell(text=m["title"]),
                         figure(record["a"], at / "a", fmt=_fmt(m, digits)), figure(record["b"], at / "b", fmt=_fmt(m, digits)),
                         figure(record["difference"], at / "difference", fmt=_fmt_diff(m, digits),
                                ci=(record["difference_ci"], at / "difference_ci")),
                         cell(record["verdict"], at / "verdict", fmt=str, flag=flag)))
    caption = ("Differences against the reference" if reference_only else "Every pair of variants") + \
        " (difference = second minus first; paired 95% intervals)"
    return [Table(id="compare-differences" if reference_only else "compare-pairs", caption=caption,
                  columns=("pair", "measure", "first", "second", "difference", "verdict"), rows=tuple(rows))]


def grid_plots(doc: CompareDocument) -> list[Block]:
    """Measures against the swept parameter, with 95% interval bands."""
    grid = doc["grid"]
    if grid is None or not grid["values"]:
        return []
    key, values = grid["key"], grid["values"]
    variants = doc["variants"]
    numeric = all(is_number(v) for v in values)
    xs = [float(v) for v in values] if numeric else [float(i) for i in range(len(values))]
    per_spec = max(1, len(variants) // len(values))
    out: list[Block] = []
    if not numeric:
        out.append(Paragraph(text="The parameter's values are not all numbers, so they are categories on the x axis, "
                                  "in the order given (the spacing between them means nothing)."))
    groups = (("fairness between groups", [m for m in doc["measures"] if m["fairness"] and not m["percent"]], False),
              ("rates", [m for m in doc["measures"] if m["percent"]], True))
    for title, ms, percent in groups:
        series = []
        for s in range(per_spec):
            chunk = variants[s * len(values):(s + 1) * len(values)]
            name = (chunk[0]["name"] if "name" in chunk[0] else "") if chunk else ""
            for m in ms:
                ys, lo, hi = [], [], []
                for v in chunk:
                    rec = v["measures"].get(m["key"]) if "measures" in v else None
                    ys.append(rec["value"] if rec is not None else None)
                    ci = rec["ci"] if rec is not None and rec["ci"] is not None else [None, None]
                    lo.append(ci[0])
                    hi.append(ci[1])
                label = m["title"] + (f" · {name}" if per_spec > 1 else "")
                series.append({"name": label, "x": xs, "y": ys, "lo": lo, "hi": hi})
        if not series:
            continue
        pid = f"compare-grid-{'fairness' if not percent else 'rates'}"
        caption = f"{title.capitalize()} against {key} (bands: 95% paired-bootstrap intervals)"
        drawn = line_chart(pid, caption, series, xlabel=key, ylabel="ratio" if not percent else "share of people",
                           ylim=(0.0, 1.0) if not percent else None, percent=percent,
                           xcategories=None if numeric else [str(v) for v in values])
        out.append(plot_block(pid, caption, drawn))
    return out


def other_audits(doc: CompareDocument) -> Table | NotComputed:
    """Headline figures of every audit, per variant (each with its own interval, not paired).

    ``audits`` holds each variant's results.json sections; the headline figures are read by path (a figure is a
    path into a variant's sections, so one list of paths makes the table's rows), each cell keeping its pointer.
    """
    audits = doc["audits"]
    if not audits:
        return NotComputed(what="other audits")
    figures: list[tuple[str, tuple[str, ...], Callable[[Any], str]]] = [
        ("lowest impact ratio · income (disparity audit)", ("disparity", "income_quintile", "min_impact_ratio"), fmt_ratio),
        ("four-fifths verdict · income", ("disparity", "income_quintile", "four_fifths_verdict"), str),
        ("lowest impact ratio · education (disparity audit)", ("disparity", "education", "min_impact_ratio"), fmt_ratio),
        ("four-fifths verdict · education", ("disparity", "education", "four_fifths_verdict"), str),
        ("rule driving the income gap", ("disparity", "income_quintile", "driver", "rule"), str),
        ("overturn violations", ("reversibility", "overturn_violations"), fmt_count),
        ("sanctioned in an absorbing state", ("reversibility", "absorbing_share"), fmt_pct),
        ("median months to recover", ("reversibility", "recovery", "median_months"), str),
        ("recourse cost ratio, poorest ÷ richest", ("reversibility", "recourse_cost_ratio"), fmt_ratio),
        ("sanctions in an unrelated domain", ("spillover", "unrelated_share"), fmt_pct),
    ]
    labels = list(audits)
    rows = []
    for title, path, fmt in figures:
        cells = []
        for label in labels:
            at = COMPARE / "audits" / label
            ci_path = (*path[:-1], f"{path[-1]}_ci")
            cells.append(figure(_at_path(audits[label], path), _walk(at, path), fmt=fmt,
                                ci=(_at_path(audits[label], ci_path), _walk(at, ci_path))))
        rows.append((Cell(text=title), *cells))
    return Table(id="compare-other-audits", caption="Every audit's headline figure per variant (own intervals, not paired)",
                 columns=("figure", *labels), rows=tuple(rows))


def _at_path(node: object, path: tuple[str, ...]) -> Any:
    """The value at ``path`` inside ``node``, or :data:`MISSING` when a step is absent (a failed variant has no sections)."""
    for step in path:
        if not isinstance(node, dict) or step not in node:
            return MISSING
        node = node[step]
    return node


def _walk(at: Ptr, path: tuple[str, ...]) -> Ptr:
    for step in path:
        at = at / step
    return at


def _summary_level(line: str) -> Literal["warning", "ok", "info"]:
    """A summary line's level: a cost or a failure is a warning, a measurable gain at no cost is ok."""
    if ". Costs: " in line or "failed" in line:
        return "warning"
    return "info" if "not measurably fairer or better" in line else "ok"


def build_compare_report(compare: CompareDocument) -> Report:
    """The report model of a comparison (``compare.json``, as :func:`audit.report.compare.compare_document` writes it)."""
    doc = compare
    variants = doc["variants"]
    labels = [v["label"] for v in variants]
    findings = tuple(Finding(text=s, anchor="compare-differences", level=_summary_level(s)) for s in doc["summary"])
    population, grid, paired = doc["population"], doc["grid"], doc["paired"]
    items = [
        ("date (UTC)", figure(doc["created"], COMPARE / "created", fmt=str)),
        ("population", figure(population["name"], COMPARE / "population" / "name", fmt=str)),
        ("people", figure(population["size"], COMPARE / "population" / "size", fmt=fmt_count)),
        ("seed", figure(population["seed"], COMPARE / "population" / "seed", fmt=str)),
        ("reference variant", figure(doc["reference"], COMPARE / "reference", fmt=str)),
    ]
    if grid is not None:
        items.append(("parameter swept", figure(grid["key"], COMPARE / "grid" / "key", fmt=str)))
    items += [
        ("bootstrap replicates", figure(doc["bootstrap_replicates"], COMPARE / "bootstrap_replicates", fmt=fmt_count)),
        ("interval method", figure(doc["interval_method"], COMPARE / "interval_method", fmt=str)),
    ]
    if "joint_outcomes" in paired:
        items.append(("distinct joint outcomes", figure(paired["joint_outcomes"], COMPARE / "paired" / "joint_outcomes",
                                                        fmt=fmt_count)))
    about = Facts(id="compare-about", items=tuple(items))
    sections = [
        Section(id="compare-variants", title="Variants side by side", blocks=(side_by_side(doc),)),
        Section(id="compare-diff", title="What changes against the reference", blocks=tuple(differences(doc, reference_only=True))),
    ]
    if len(variants) > 2:
        sections.append(Section(id="compare-all-pairs", title="Every pair", blocks=tuple(differences(doc, reference_only=False))))
    plots = grid_plots(doc)
    if plots and grid is not None:
        sections.append(Section(id="compare-grid", title=f"Sweeping {grid['key']}", blocks=tuple(plots)))
    sections += [
        Section(id="compare-audits", title="The other audits, per variant", blocks=(other_audits(doc),)),
        Section(id="compare-about-section", title="About this comparison", blocks=(about, Paragraph(text=(
            "All variants were scored on the same people in one run. Each interval for a difference comes from the same "
            "bootstrap weights for every variant (paired), so it reflects only how the variants disagree about people. "
            "A variant is called fairer or better only when that interval excludes zero; otherwise there is no "
            "measurable difference. Figures carry enough decimals that a difference shown is visible.")))),
    ]
    subtitle = " · ".join((f"population {population['name']}", f"{population['size']:,} people", f"reference {doc['reference']}"))
    return Report(title="Comparison: " + (" · ".join(labels) or "no variants"), subtitle=subtitle, findings=findings,
                  sections=tuple(sections), private=doc["private"] is not False,
                  generated_by=f"scs-audit {doc['package_version']}", extra={"fold_findings": False})


def write_compare(directory: str | Path, compare: CompareDocument) -> tuple[Path, Path, Path]:
    """Write compare.json, compare.html and compare.md into ``directory`` (atomically)."""
    from audit.output.artefacts import atomic_write_json, atomic_write_text, exact_artefact_mode
    from audit.report.html import render_html
    from audit.report.markdown import render_markdown

    directory = Path(directory)
    report = build_compare_report(compare)
    mode = exact_artefact_mode(compare)  # exact figures about real people: user-only
    j = atomic_write_json(directory / "compare.json", compare, mode=mode)
    h = atomic_write_text(directory / "compare.html", render_html(report), mode=mode)
    m = atomic_write_text(directory / "compare.md", render_markdown(report), mode=mode)
    return j, h, m
