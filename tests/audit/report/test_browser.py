"""Open report.html in headless Chromium: no console errors, every plot laid out and painted."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from .browser import find_chromium, open_page

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (Debian: apt-get install -y chromium; .ci/run installs it when apt-get exists)",
)

_PLOTS = """JSON.stringify([...document.querySelectorAll('svg.plot')].map(svg => {
  const r = svg.getBoundingClientRect(), s = getComputedStyle(svg);
  const marks = [...svg.querySelectorAll('.mark')].filter(m => { const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
  return {id: svg.id, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
          visible: s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0, marks: marks.length};
}))"""


def test_the_error_check_can_fail(tmp_path):
    """A page with a script error is caught (so the check below means something)."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>console.error('broken'); undefinedFunction();</script></body></html>")
    page = open_page(CHROMIUM, bad)
    try:
        errors = page.errors()
    finally:
        page.close()
    assert any("broken" in e for e in errors) and any("undefinedFunction" in e for e in errors)


def test_report_opens_without_errors_and_every_plot_is_visible(run_dir):
    page = open_page(CHROMIUM, run_dir / "report.html")
    try:
        assert page.errors() == []
        assert page.evaluate("document.title").startswith("Audit report: suining, rongcheng")
        plots = json.loads(page.evaluate(_PLOTS))
        first = next(p for p in plots if p["id"].endswith("tier-plot"))
        png = page.screenshot({"x": first["x"], "y": first["y"], "width": first["width"], "height": first["height"]})
        assert page.errors() == []
    finally:
        page.close()
    kinds = {p["id"].rsplit("-", 2)[-2] + "-" + p["id"].rsplit("-", 1)[-1] for p in plots}
    assert {"tier-plot", "impact-plot"} <= kinds
    for p in plots:
        assert p["visible"] and p["width"] > 100 and p["height"] > 50, p
        assert p["marks"] >= 1, p  # bars, dots, cells or lines with a real size
    import matplotlib.image as mpimg

    pixels = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    blue = np.abs(pixels - np.array([0x21, 0x66, 0xAC]) / 255).max(axis=-1) < 0.08  # the best tier's colour
    assert blue.mean() > 0.05  # the bars are painted, not just laid out


_GRID = """JSON.stringify((() => {
  const t = document.querySelector('#verdict-grid table'), r = t.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: innerHeight, width: innerWidth,
          rows: [...t.querySelectorAll('tbody tr')].map(tr => [...tr.children].map(c => c.textContent.trim())),
          classes: [...t.querySelectorAll('tbody td')].map(c => [c.textContent.trim(), c.className])};
})())"""

_CLIPPED = """JSON.stringify([...document.querySelectorAll('svg.plot')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => {
    const b = t.getBoundingClientRect();
    return {plot: svg.id, text: t.textContent, inside: b.left >= box.left - 0.5 && b.right <= box.right + 0.5 &&
            b.top >= box.top - 0.5 && b.bottom <= box.bottom + 0.5, width: b.width};
  });
}))"""


def test_the_first_screen_shows_the_whole_verdict_grid(run_dir, results):
    page = open_page(CHROMIUM, run_dir / "report.html")  # 1280 x 900, a laptop's first screen
    try:
        grid = json.loads(page.evaluate(_GRID))
    finally:
        page.close()
    assert 0 <= grid["top"] and grid["bottom"] <= grid["height"] and grid["right"] <= grid["width"], grid
    assert [row[0] for row in grid["rows"]] == [s["label"] for s in results["scorers"]]
    assert all(len(row) == 6 for row in grid["rows"])  # scorer + five audits
    for text, cls in grid["classes"]:  # "not enough evidence" is never drawn as a pass
        if text.startswith("not enough evidence"):
            assert "nee" in cls.split() and "good" not in cls.split()
        if text.startswith("holds"):
            assert "good" in cls.split()


def test_no_label_in_any_figure_is_clipped(run_dir):
    page = open_page(CHROMIUM, run_dir / "report.html")
    try:
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        texts = json.loads(page.evaluate(_CLIPPED))
    finally:
        page.close()
    assert len(texts) > 100 and {t["plot"] for t in texts}  # every figure's tick labels, legends and titles
    clipped = [t for t in texts if not t["inside"]]
    assert clipped == []
    labels = {t["text"] for t in texts}
    assert {"Q1 (poorest fifth)", "Q5 (richest fifth)", "primary or less"} <= labels  # one category per tick, by its label


def test_the_check_for_clipped_labels_can_fail(tmp_path):
    """A label drawn past the SVG's edge (what the hand-written figures did) is caught."""
    bad = tmp_path / "clipped.html"
    bad.write_text('<!DOCTYPE html><html><body><svg class="plot" id="p" width="100" height="40" viewBox="0 0 100 40">'
                   '<text x="-20" y="20">orest fifth) × primary or less</text></svg></body></html>')
    page = open_page(CHROMIUM, bad)
    try:
        texts = json.loads(page.evaluate(_CLIPPED))
    finally:
        page.close()
    assert [t["inside"] for t in texts] == [False]


def test_the_executive_summary_fits_two_printed_a4_pages(run_dir):
    """In print media at an A4 page's printable width (210 mm less 2 x 12 mm margins), the header and the front
    matter (summary, how to read) are at most two printable heights (297 mm less 2 x 14 mm) tall."""
    mm = 96 / 25.4  # CSS pixels per millimetre
    page = open_page(CHROMIUM, run_dir / "report.html", width=round(186 * mm), height=round(269 * mm))
    try:
        page.call("Emulation.setEmulatedMedia", {"media": "print"}, session=True)
        height = page.evaluate("document.querySelector('.appendix').getBoundingClientRect().top + scrollY")
        summary = page.evaluate("document.querySelector('#summary').getBoundingClientRect().height")
    finally:
        page.close()
    assert summary > 200  # laid out, not empty
    assert height <= 2 * 269 * mm, f"{height / (269 * mm):.2f} printed pages before the appendix"
