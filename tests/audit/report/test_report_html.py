"""report.html from a real run: sections present, every number equal to results.json, readable formats."""

from __future__ import annotations

import json
import re

import pytest

from audit.report import build_report, render_html, render_markdown
from audit.report.build import build_report as build
from audit.results.load import document_problem

from .documents import whole_results
from .htmlscan import resolve, scan


def test_run_writes_both_reports_and_html_is_self_contained(run_dir, report_html):
    assert (run_dir / "report.md").read_text().startswith("# Audit report: suining, rongcheng")
    page = scan(report_html)
    assert "script" not in page.tags  # no script at all: nothing to break, nothing to inject into
    external = [(k, v) for k, v in page.attributes if k in ("src", "href") and not v.startswith("#")]
    assert external == []  # no network: every link is an anchor in the page
    assert "<style>" in report_html and "<link" not in report_html


def test_sections_follow_ll144_and_every_audit_is_present(results, report_html):
    ids = set(scan(report_html).ids)
    for top in ("findings", "summary", "about", "about-scorers", "about-unknown", "published", "published-ledger", "method"):
        assert top in ids, top
    for i, _ in enumerate(results["scorers"]):
        for part in ("disparity", "disparity-income-quintile", "disparity-education", "disparity-income-quintile-education",
                     "disparity-attribution", "disparity-ground-truth", "appeal", "reversibility", "spillover", "contagion"):
            assert f"s{i}-{part}" in ids, (i, part)
        for attr in ("income-quintile", "education"):
            assert f"s{i}-disparity-{attr}-table" in ids
            assert f"s{i}-disparity-{attr}-impact-plot" in ids  # impact ratios with the 0.8 line
            assert f"s{i}-disparity-{attr}-tier-plot" in ids  # stacked tier bars
        assert f"published-s{i}" in ids


def test_every_number_in_the_html_equals_its_source(results, published, report_html):
    docs = {"results": results, "published": published}
    figures = scan(report_html).figures
    assert len(figures) > 500
    for fig in figures:
        value = resolve(docs, fig.source)
        if fig.value is None:
            assert value is None or isinstance(value, (bool, dict, list)), fig
        elif isinstance(value, str):
            assert fig.value == value, fig
        else:
            assert json.loads(fig.value) == value, fig  # exact: JSON round-trips floats


def test_ll144_table_shows_every_group_with_readable_rates(results, report_html):
    page = scan(report_html)
    for i, scorer in enumerate(results["scorers"]):
        for attr in ("income_quintile", "education", "income_quintile×education"):
            for g, group in enumerate(scorer["disparity"][attr]["groups"]):
                base = f"results#/scorers/{i}/disparity/{attr}/groups/{g}"
                (n,) = [f for f in page.by_source(f"{base}/n") if f.tag == "td"]
                assert n.text == f"{group['n']:,}"
                (fav,) = [f for f in page.by_source(f"{base}/favourable_rate") if f.tag == "td"]
                assert fav.text.strip() == f"{100 * group['favourable_rate']:.1f}%"
                lo, hi = group["favourable_rate_ci"]
                assert [f.text for f in page.by_source(f"{base}/favourable_rate_ci/0")] == [f"{100 * lo:.1f}%"]
                assert [f.text for f in page.by_source(f"{base}/favourable_rate_ci/1")] == [f"{100 * hi:.1f}%"]
                if group["impact_ratio"] is not None:
                    (ratio,) = [f for f in page.by_source(f"{base}/impact_ratio") if f.tag == "td"]
                    assert ratio.text.strip() == f"{group['impact_ratio']:.2f}"


def test_unknown_category_counts_are_shown_per_scorer_and_attribute(results, report_html):
    page = scan(report_html)
    for i, scorer in enumerate(results["scorers"]):
        for attr in ("income_quintile", "education"):
            shown = page.by_source(f"results#/scorers/{i}/disparity/{attr}/unknown_n")
            assert shown and all(f.text == f"{scorer['disparity'][attr]['unknown_n']:,}" for f in shown)


def test_published_figures_and_ledger_come_from_published_json(published, report_html):
    page = scan(report_html)
    entries = [f for f in page.figures if f.source.startswith("published#/ledger/")]
    assert {f.source.split("/")[2] for f in entries} == {str(i) for i in range(len(published["ledger"]))}
    group = published["scorers"][0]["groups"]["income_quintile"]["groups"][0]["favourable_rate"]
    (fig,) = page.by_source("published#/scorers/0/groups/income_quintile/groups/0/favourable_rate/value")
    assert fig.text.strip() == f"{100 * group['value']:.1f}%"
    assert "published-s0-income-quintile-impact-plot" in page.ids


def test_markdown_has_the_same_findings_as_the_html(results, published):
    report = build_report(results, published)
    md = render_markdown(report)
    page = scan(render_html(report))
    assert report.findings
    for f in report.findings:
        assert f.text.replace("_", "\\_").replace("*", "\\*") in md
        assert f.text in page.text
        assert f"#{f.anchor}" in page.links and f.anchor in page.ids  # each finding links to its evidence


def test_figures_are_drawn_to_scale():
    """The stacked tier bars' segments are as wide as the shares: 0.25 / 0.75 of Q1's bar, 0.5 / 0.5 of Q5's."""
    import xml.etree.ElementTree as ET

    results = whole_results({"scorers": [{"label": "x", "tiers": ["A", "B"], "favourable_tiers": ["A"], "disparity": {"income_quintile": {
        "groups": [{"group": 1, "n": 4, "tier_shares": {"A": 0.25, "B": 0.75}, "impact_ratio": 0.5, "impact_ratio_ci": [0.4, 0.6]},
                   {"group": 5, "n": 4, "tier_shares": {"A": 0.5, "B": 0.5}, "impact_ratio": 1.0}]}}}]})
    html = render_html(build(results))
    start = html.index('<svg class="plot" id="s0-disparity-income-quintile-tier-plot"')
    svg = ET.fromstring(html[start:html.index("</svg>", start) + 6])
    ns = "{http://www.w3.org/2000/svg}"
    widths: dict[str, list[float]] = {}  # per tier (mark-<tier>-<k>), per income group: the rectangle's width
    for mark in (g for g in svg.iter(f"{ns}g") if g.get("class") == "mark"):
        (path,) = mark.iter(f"{ns}path")
        xs = [float(v) for v in re.findall(r"[ML] (-?[0-9.]+) ", path.get("d") + " ")]
        widths.setdefault(mark.get("id").rsplit("-", 2)[-2], []).append(max(xs) - min(xs))
    assert len({m.get("id") for m in svg.iter(f"{ns}g") if m.get("id")}) == len([m for m in svg.iter(f"{ns}g") if m.get("id")])
    (a1, a5), (b1, b5) = widths["0"], widths["1"]
    assert a1 / (a1 + b1) == pytest.approx(0.25, abs=0.001) and a5 / (a5 + b5) == pytest.approx(0.5, abs=0.001)
    assert a1 + b1 == pytest.approx(a5 + b5, abs=0.02)  # both bars 100%


@pytest.mark.parametrize("missing", ["disparity", "appeal", "reversibility", "spillover", "contagion", "tier_shares"])
def test_a_missing_section_is_shown_as_not_computed(results, missing):
    trimmed = json.loads(json.dumps(results))
    for s in trimmed["scorers"]:
        s.pop(missing, None)
    html = render_html(build_report(trimmed, None))
    assert "not computed" in html
    assert "nothing was published" in html  # no published.json


def test_a_foreign_document_is_refused_and_a_bare_one_renders_as_not_computed():
    """The report reads the typed model: a document of another shape is refused by the loader (naming where),
    and a whole document without any audit's section renders, each part "not computed"."""
    for foreign, where in (({}, "/schema_version"), ({"schema_version": 1, "scorers": "nonsense", "population": 3}, "/kind"),
                           (whole_results({"scorers": [{"label": "x", "tiers": "A"}]}), "/scorers/0/tiers")):
        assert document_problem(foreign, "results")[0] == where
    for bare in (whole_results({}), whole_results({"scorers": [{"label": "x"}]})):
        assert document_problem(bare, "results") is None
        html = render_html(build_report(bare, None))
        assert "<h1>" in html
        assert "not computed" in html


def test_null_values_print_as_a_dash_with_their_source():
    """A null in results.json (e.g. an excluded group's ratio) prints as a dash, never as nan or None."""
    results = whole_results({"scorers": [{"label": "x", "disparity": {"education": {"groups": [
        {"group": "tertiary", "n": 3, "favourable_rate": 0.5, "impact_ratio": None}]}}}]})
    html = render_html(build_report(results, None))
    (fig,) = [f for f in scan(html).by_source("results#/scorers/0/disparity/education/groups/0/impact_ratio") if f.tag == "td"]
    assert fig.text == "—" and fig.value is None
    assert "nan" not in scan(html).text.lower().split() and "None" not in scan(html).text


def test_sections_that_say_they_are_unavailable_show_the_reason():
    results = whole_results({"population": {"synthetic": False}, "scorers": [{"label": "x", "disparity": {"ground_truth": None},
               "appeal": {"available": False, "reason": "supplied events carry no ground truth (no 'genuine' column)"},
               "contagion": {"applicable": False, "reason": "the scorer does not read ties"}}]})
    page = scan(render_html(build_report(results, None)))
    assert "appeal audit: not computed — supplied events carry no ground truth (no 'genuine' column)." in " ".join(page.text.split())
    assert "contagion audit: not computed — the scorer does not read ties." in " ".join(page.text.split())
    assert "the population is supplied, so the truth is unknown" in page.text


def test_every_group_is_named_by_its_one_label_in_every_table(results):
    """No raw code (1, primary_or_less) where the group's label belongs: the LL144 tables, the replay audits'
    per-group tables and the rule probes' profiles all use audit.vocab.group_label."""
    from audit.report.spillover import profile_label
    from audit.vocab import group_label

    md = render_markdown(build_report(results, None))
    assert re.findall(r"\n\| [1-5] \| [0-9]", md) == []  # a quintile's row starts with its label, not its number
    assert "primary\\_or\\_less" not in md and "junior\\_secondary" not in md
    assert md.count(group_label("income_quintile", 1)) > 10 and md.count("primary or less") > 10
    assert profile_label("Q1 primary_or_less female") == "Q1 (poorest fifth), primary or less, female"
    assert profile_label("something else") == "something else"
