"""Names, reasons and params from a scorer or a user are text, never markup, in HTML, SVG and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import ClassVar

import pandas as pd
import pytest

from audit.engine.contract import AuditOptions
from audit.report import build_report, render_html, render_markdown
from audit.report.markdown import md_escape
from audit.report.plots import funnel, heatmap, interval_dots, line_chart, stacked_bars
from audit.results.document import results_document
from audit.runner import RunConfig, run
from scorers.registry import load_scorer

from .htmlscan import scan

SCRIPT = "<script>alert(1)</script>"


class HostileScorer:
    """Suining's rules under hostile names: every string a plugin controls tries to become markup."""

    name = SCRIPT
    version = '1"><img src=x onerror=alert(2)>'
    description = "<b>bold</b> & <i>friends</i> | a | pipe ]] ` `"
    default_params: ClassVar[dict] = {}

    def __init__(self) -> None:
        self._inner = load_scorer("suining")
        self.params = {"<k>": "<v onload=alert(3)>"}
        self.tiers = tuple(f"<t>{t}</t>" for t in self._inner.tiers)
        self.favourable_tiers = frozenset(f"<t>{t}</t>" for t in self._inner.favourable_tiers)
        self.sanctions = {"<ban onclick=alert(4)>": "travel"}

    def score(self, view, *, as_of):
        frame = self._inner.score(view, as_of=as_of)
        banned = frame[list(self._inner.sanctions)].any(axis=1).to_numpy()
        return pd.DataFrame({"score": frame["score"].to_numpy(), "tier": [f"<t>{t}</t>" for t in frame["tier"].astype(str)],
                             "<ban onclick=alert(4)>": banned})

    def with_params(self, **params):
        return self


@pytest.fixture(scope="module")
def hostile_results():
    result = run([HostileScorer()], RunConfig(population="tiny", size=600, options=AuditOptions(bootstrap=20)))
    assert not result.failed, result.failed
    return results_document(result)


def test_a_scorer_named_script_renders_as_text(hostile_results):
    assert hostile_results["scorers"][0]["label"].startswith(SCRIPT)
    html = render_html(build_report(hostile_results, None))
    page = scan(html)
    assert "script" not in page.tags and "img" not in page.tags and "t" not in page.tags and "b" not in page.tags
    assert SCRIPT in page.text  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not [k for k, _ in page.attributes if k.startswith("on")]  # no event-handler attribute got through


def test_hostile_names_inside_figures_stay_text(hostile_results):
    html = render_html(build_report(hostile_results, None))
    for start in [i for i in range(len(html)) if html.startswith("<svg ", i)]:
        svg = html[start:html.index("</svg>", start) + 6]
        root = ET.fromstring(svg)  # well-formed XML: nothing injected broke it
        assert not [el for el in root.iter() if el.tag.split("}")[-1] in ("script", "foreignObject", "image", "t", "b")]
    assert "&lt;t&gt;A&lt;/t&gt;" in html  # a tier name drawn in a legend


def test_markdown_escapes_markup_and_table_pipes(hostile_results):
    md = render_markdown(build_report(hostile_results, None))
    assert SCRIPT not in md and "<b>" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    for line in md.splitlines():
        if line.startswith("| ") and "bold" in line:  # the scorers table row with the description
            cells = line.strip("|").split(" | ")
            assert len(cells) == 7  # the pipes in the description did not add columns
    assert md_escape("a|b") == "a\\|b" and md_escape("<x>") == "&lt;x&gt;" and md_escape("**") == "\\*\\*"


@pytest.mark.parametrize("draw", [
    lambda t: stacked_bars("p", t, [t], [t, "B"], [[0.5, 0.5]]),
    lambda t: interval_dots("p", t, [t], [0.5], [[0.4, 0.6]], threshold_label=t),
    lambda t: funnel("p", t, [t], [t, "x", "y"], [[4, 2, 1]]),
    lambda t: line_chart("p", t, [{"name": t, "x": [0, 1], "y": [0, 1]}], xlabel=t, ylabel=t),
    lambda t: heatmap("p", t, [t], [t], [[3]], row_title=t, col_title=t, fmt=lambda v: t),
])
def test_every_plot_escapes_its_text(draw):
    svg = draw(SCRIPT + "&")
    root = ET.fromstring(svg)
    assert [el for el in root.iter() if el.tag.endswith("script")] == []
    assert any((el.text or "").startswith(SCRIPT) for el in root.iter())
