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
