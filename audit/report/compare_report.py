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
    Block,
    Cell,
    Doc,
    Facts,
    Finding,
    NotComputed,
    Paragraph,
    Report,
    Section,
    Table,
    fmt_count,
    fmt_pct,
    fmt_ratio,
    is_number,
)
from audit.report.plots import line_chart, plot_block
from audit.report.tables import facts, value_cell

__all__ = ["build_compare_report", "write_compare"]


def _measures(doc: Doc) -> list[dict[str, Any]]:
    ms = doc.get("measures")
    return [m for m in ms if isinstance(m, dict) and "key" in m] if isinstance(ms, list) else []


def _digits(doc: Doc, m: dict[str, Any]) -> int:
    """Decimals for measure ``m``: enough that every paired difference and every value shown is visibly non-zero."""
    pairs, variants = doc.get("pairs"), doc.get("variants")
    numbers = [((p.get("measures") or {}).get(m["key"]) or {}).get("difference")
               for p in (pairs if isinstance(pairs, list) else []) if isinstance(p, dict)]
    numbers += [((v.get("measures") or {}).get(m["key"]) or {}).get("value")
                for v in (variants if isinstance(variants, list) else []) if isinstance(v, dict)]
    return decimals(m, [x for x in numbers if is_number(x)])


def _fmt(m: dict[str, Any], digits: int):
    return lambda x: fmt_value(m, x, digits)


def _fmt_diff(m: dict[str, Any], digits: int):
    if m.get("percent"):
        return lambda d: f"{100 * d:+.{digits}f} pts"
    return lambda d: f"{d:+.{digits}f}"


def _variants(doc: Doc) -> list[dict[str, Any]]:
    vs = doc.get("variants")
    return [v for v in vs if isinstance(v, dict)] if isinstance(vs, list) else []


def side_by_side(doc: Doc) -> Table | NotComputed:
    """Rows: measures; columns: variants; the best value on each measure flagged."""
    variants = _variants(doc)
    if not any("measures" in v for v in variants):
        return NotComputed(what="paired measures", reason=str(doc.get("paired", "reason") or "no joint outcomes were collected"))
    rows = []
    for m in _measures(doc):
        digits = _digits(doc, m)
        best = doc.get("best", m["key"], "label")
        clear = doc.get("best", m["key"], "clear") is True
        row = [Cell(text=f"{m.get('title', m['key'])} ({m.get('better', '?')} is {'fairer' if m.get('fairness') else 'better'})")]
        for j, v in enumerate(variants):
            flag = "good" if v.get("label") == best and clear else None
            row.append(value_cell(doc, ("variants", j, "measures", m["key"], "value"), fmt=_fmt(m, digits),
                                  ci=("variants", j, "measures", m["key"], "ci"), flag=flag))
        rows.append(tuple(row))
    return Table(id="compare-side-by-side", caption="Each variant on the same people (95% paired-bootstrap intervals); "
                 "highlighted: best on the measure, separated from every other variant by the paired intervals",
                 columns=("measure", *(str(v.get("label", "?")) for v in variants)), rows=tuple(rows))


def differences(doc: Doc, *, reference_only: bool) -> list[Block]:
    pairs = doc.get("pairs")
    ref = doc.get("reference")
    if not isinstance(pairs, list) or not pairs:
        return [NotComputed(what="paired differences", reason=str(doc.get("paired", "reason") or "fewer than two variants"))]
    out: list[Block] = []
    rows = []
    for p_i, pair in enumerate(pairs):
        if not isinstance(pair, dict) or (reference_only and pair.get("a") != ref):
            continue
        for m in _measures(doc):
            if m["key"] not in (pair.get("measures") or {}):
                continue
            base = ("pairs", p_i, "measures", m["key"])
            record = doc.get(*base)
            digits = record_decimals(m, record) if isinstance(record, dict) else 2
            winner = doc.get(*base, "winner")
            flag = "good" if winner == pair.get("b") else ("bad" if winner == pair.get("a") else None)
            rows.append((Cell(text=f"{pair.get('b')} vs {pair.get('a')}"), Cell(text=m.get("title", m["key"])),
                         value_cell(doc, (*base, "a"), fmt=_fmt(m, digits)), value_cell(doc, (*base, "b"), fmt=_fmt(m, digits)),
                         value_cell(doc, (*base, "difference"), fmt=_fmt_diff(m, digits), ci=(*base, "difference_ci")),
                         doc.cell(*base, "verdict", fmt=str, flag=flag)))
    caption = ("Differences against the reference" if reference_only else "Every pair of variants") + \
        " (difference = second minus first; paired 95% intervals)"
    out.append(Table(id="compare-differences" if reference_only else "compare-pairs", caption=caption,
                     columns=("pair", "measure", "first", "second", "difference", "verdict"), rows=tuple(rows)))
    return out


def grid_plots(doc: Doc) -> list[Block]:
    """Measures against the swept parameter, with 95% interval bands."""
    key = doc.get("grid", "key")
    values = doc.get("grid", "values")
    if not isinstance(key, str) or not isinstance(values, list) or not values:
        return []
    variants = _variants(doc)
    numeric = all(is_number(v) for v in values)
    xs = [float(v) for v in values] if numeric else [float(i) for i in range(len(values))]
    per_spec = max(1, len(variants) // len(values))
    out: list[Block] = []
    if not numeric:
        out.append(Paragraph(text="The parameter's values are not all numbers, so they are categories on the x axis, "
                                  "in the order given (the spacing between them means nothing)."))
    groups = (("fairness between groups", [m for m in _measures(doc) if m.get("fairness") and not m.get("percent")], False),
              ("rates", [m for m in _measures(doc) if m.get("percent")], True))
    for title, ms, percent in groups:
        series = []
        for s in range(per_spec):
            chunk = variants[s * len(values):(s + 1) * len(values)]
            name = str(chunk[0].get("name", "")) if chunk else ""
            for m in ms:
                ys, lo, hi = [], [], []
                for v in chunk:
                    rec = (v.get("measures") or {}).get(m["key"]) or {}
                    ys.append(rec.get("value"))
                    ci = rec["ci"] if isinstance(rec.get("ci"), list) and len(rec["ci"]) == 2 else [None, None]
                    lo.append(ci[0])
                    hi.append(ci[1])
                label = m.get("title", m["key"]) + (f" · {name}" if per_spec > 1 else "")
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


def other_audits(doc: Doc) -> Table | NotComputed:
    """Headline figures of every audit, per variant (each with its own interval, not paired)."""
    audits = doc.get("audits")
    if not isinstance(audits, dict) or not audits:
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
        cells = [value_cell(doc, ("audits", label, *path), fmt=fmt,
                            ci=("audits", label, *path[:-1], f"{path[-1]}_ci")) for label in labels]
        rows.append((Cell(text=title), *cells))
    return Table(id="compare-other-audits", caption="Every audit's headline figure per variant (own intervals, not paired)",
                 columns=("figure", *labels), rows=tuple(rows))


def _summary_level(line: str) -> Literal["warning", "ok", "info"]:
    """A summary line's level: a cost or a failure is a warning, a measurable gain at no cost is ok."""
    if ". Costs: " in line or "failed" in line:
        return "warning"
    return "info" if "not measurably fairer or better" in line else "ok"


def build_compare_report(compare: dict[str, Any]) -> Report:
    """The report model of a comparison."""
    doc = Doc(compare if isinstance(compare, dict) else {}, "compare")
    variants = _variants(doc)
    labels = [str(v.get("label", "?")) for v in variants]
    summary = doc.get("summary")
    findings = tuple(Finding(text=str(s), anchor="compare-differences", level=_summary_level(str(s)))
                     for s in (summary if isinstance(summary, list) else []))
    about: Facts = facts(doc, [
        ("date (UTC)", ("created",), {"fmt": str}),
        ("population", ("population", "name"), {"fmt": str}),
        ("people", ("population", "size"), {"fmt": fmt_count}),
        ("seed", ("population", "seed"), {"fmt": str, "optional": True}),
        ("reference variant", ("reference",), {"fmt": str}),
        ("parameter swept", ("grid", "key"), {"fmt": str, "optional": True}),
        ("bootstrap replicates", ("bootstrap_replicates",), {"fmt": fmt_count}),
        ("interval method", ("interval_method",), {"fmt": str}),
        ("distinct joint outcomes", ("paired", "joint_outcomes"), {"fmt": fmt_count, "optional": True}),
    ], id="compare-about")
    sections = [
        Section(id="compare-variants", title="Variants side by side", blocks=(side_by_side(doc),)),
        Section(id="compare-diff", title="What changes against the reference", blocks=tuple(differences(doc, reference_only=True))),
    ]
    if len(variants) > 2:
        sections.append(Section(id="compare-all-pairs", title="Every pair", blocks=tuple(differences(doc, reference_only=False))))
    grid = grid_plots(doc)
    if grid:
        sections.append(Section(id="compare-grid", title=f"Sweeping {doc.get('grid', 'key')}", blocks=tuple(grid)))
    sections += [
        Section(id="compare-audits", title="The other audits, per variant", blocks=(other_audits(doc),)),
        Section(id="compare-about-section", title="About this comparison", blocks=(about, Paragraph(text=(
            "All variants were scored on the same people in one run. Each interval for a difference comes from the same "
            "bootstrap weights for every variant (paired), so it reflects only how the variants disagree about people. "
            "A variant is called fairer or better only when that interval excludes zero; otherwise there is no "
            "measurable difference. Figures carry enough decimals that a difference shown is visible.")))),
    ]
    version = doc.get("package_version")
    pop = doc.get("population", "name")
    size = doc.get("population", "size")
    subtitle = " · ".join(x for x in (f"population {pop}" if isinstance(pop, str) else None,
                                      f"{size:,} people" if is_number(size) else None,
                                      f"reference {doc.get('reference')}" if isinstance(doc.get("reference"), str) else None) if x)
    return Report(title="Comparison: " + (" · ".join(labels) or "no variants"), subtitle=subtitle, findings=findings,
                  sections=tuple(sections), private=doc.get("private") is not False,
                  generated_by=f"scs-audit {version}" if isinstance(version, str) else "scs-audit",
                  extra={"fold_findings": False})


def write_compare(directory: str | Path, compare: dict[str, Any]) -> tuple[Path, Path, Path]:
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
