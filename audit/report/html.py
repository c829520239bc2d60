"""Render a report model to one self-contained HTML file (inline CSS and SVG, no script, no network).

The jinja2 environment autoescapes everything: a scorer named
``<script>alert(1)</script>`` is printed as text. The only markup inserted
unescaped is an SVG from :mod:`audit.report.plots`, which escapes every piece
of text it draws.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from audit.report.model import Facts, NotComputed, Paragraph, Plot, Report, Table

__all__ = ["environment", "render_html"]


def _block_kind(block: Any) -> str:
    if isinstance(block, Table):
        return "table"
    if isinstance(block, Plot):
        return "plot"
    if isinstance(block, Facts):
        return "facts"
    if isinstance(block, Paragraph):
        return "paragraph"
    if isinstance(block, NotComputed):
        return "not_computed"
    raise TypeError(f"cannot render a {type(block).__name__} block")


def _svg(plot: Plot) -> Markup:
    if not isinstance(plot, Plot) or not plot.svg.startswith("<svg "):
        raise TypeError("only SVG figures built by audit.report.plots may be embedded")
    return Markup(plot.svg)


def _data_value(value: Any) -> str:
    """The exact value for ``data-value``: JSON for numbers (round-trips exactly), the text itself for strings."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The jinja2 environment for report templates (autoescape on, undefined names are errors)."""
    env = Environment(loader=PackageLoader("audit.report", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)
    env.filters["block_kind"] = _block_kind
    env.filters["svg"] = _svg
    env.filters["data_value"] = _data_value
    return env


def render_html(report: Report, *, template: str = "report.html.j2") -> str:
    """The report as one HTML document."""
    return environment().get_template(template).render(report=report)
