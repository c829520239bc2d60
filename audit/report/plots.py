"""Report figures drawn by matplotlib and embedded as inline SVG (no script, no external reference).

matplotlib lays out the axes, ticks and legends, so labels are never cut:
every figure is saved with ``bbox_inches="tight"``, which grows the canvas
to hold every label, legend and title. Categories (income quintiles,
education levels, tiers, domains) sit on categorical axes, one tick per
category. A figure with nothing to draw (no values, or every value zero) is
not drawn: the drawing functions return :class:`Empty` with the reason, and
:func:`plot_block` turns it into a sentence in the report.

Figures are made with :class:`matplotlib.figure.Figure` on the Agg canvas,
never through ``pyplot``: no global figure state, no GUI backend, safe in a
worker process or a web server (matplotlib's "Embedding in a web application
server" recipe). Text stays text in the SVG (``svg.fonttype = "none"``, so a
browser test can measure it and a screen reader can read it); matplotlib's
SVG writer escapes it, and math parsing is off (``text.parse_math``), so a
scorer named ``$\\x$`` or ``<script>`` is drawn literally. Output is
reproducible: no date in the metadata and a fixed ``svg.hashsalt``.

Colours are from the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
Design"), readable with the common colour-vision deficiencies; ordered tiers
run blue (best) to red (worst) (ColorBrewer RdBu, reversed).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeGuard

from markupsafe import escape

from audit.report.model import Block, Paragraph, Plot, Table
from audit.report.model import fmt_pct as _pct

__all__ = [
    "PALETTE",
    "Empty",
    "funnel",
    "heatmap",
    "interval_dots",
    "line_chart",
    "plot_block",
    "stacked_bars",
    "tier_colours",
]

#: Okabe–Ito colours (blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_BAD, _WARN, _OK = "#D55E00", "#E69F00", "#0072B2"
#: A blue (best) to red (worst) ramp for ordered tiers (ColorBrewer RdBu, reversed).
_RAMP = ("#2166ac", "#67a9cf", "#d1e5f0", "#fddbc7", "#ef8a60", "#b2182b")
#: Width of a figure in inches (at matplotlib's 72 points per inch in SVG: 576 px before tight cropping).
_WIDTH = 8.0
#: matplotlib settings of every figure (typed loosely: matplotlib types rc keys as a Literal of every name).
_RC: Any = {
    "svg.fonttype": "none",
    "svg.hashsalt": "scs-audit",
    "text.parse_math": False,
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans"],  # bundled with matplotlib, so the layout is measured with the font it names
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9.0,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Empty:
    """A figure that was not drawn, and why (said in words instead of an empty chart)."""

    reason: str
    """E.g. "every count is zero"."""


def _finite(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _hex(c: str) -> tuple[int, int, int]:
    return int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16)


def _mix(a: str, b: str, t: float) -> str:
    ra, ga, ba = _hex(a)
    rb, gb, bb = _hex(b)
    red, green, blue = (round(x0 + (x1 - x0) * t) for x0, x1 in ((ra, rb), (ga, gb), (ba, bb)))
    return f"#{red:02x}{green:02x}{blue:02x}"


def tier_colours(n: int) -> list[str]:
    """``n`` colours from best (blue) to worst (red)."""
    if n <= 1:
        return [_RAMP[0]]
    out = []
    for i in range(n):
        pos = i / (n - 1) * (len(_RAMP) - 1)
        lo = min(int(pos), len(_RAMP) - 2)
        out.append(_mix(_RAMP[lo], _RAMP[lo + 1], pos - lo))
    return out


def _text_colour(fill: str) -> str:
    r, g, b = _hex(fill)
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


@contextmanager
def _figure(height: float) -> Iterator[Any]:
    """A matplotlib Figure on the Agg canvas, with the report's style; never registered with pyplot."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(_WIDTH, max(1.2, height)), dpi=72)  # 72 dpi: SVG's own unit, so the layout is the one drawn
        FigureCanvasAgg(fig)
        yield fig


_FONT_CSS = "'DejaVu Sans', sans-serif"
_ID = re.compile(r'(\bid="|url\(#|href="#)')
_NUMBER = re.compile(r"(-?\d+\.\d\d)\d+")
_GEOMETRY = re.compile(r'\b(d|x|y|width|height|viewBox|transform|points)="([^"]*)"')


def _compact(text: str) -> str:
    """matplotlib's SVG made small enough to inline many: no metadata block or indentation, coordinates to 1/100 pt,
    no ids nothing refers to (matplotlib names every group), no null rotations, the font named once on the root."""
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r">\s+<", "><", text)
    text = re.sub(r"\s*\n\s*", " ", text)
    used = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', text))
    text = re.sub(r' id="([^"]*)"', lambda m: m.group(0) if m.group(1) in used or m.group(1).startswith("mark-") else "", text)
    text = re.sub(r' transform="rotate\(-?0 [^)]*\)"', "", text)
    text = text.replace(f"font-family: {_FONT_CSS}; ", "").replace(f"; font-family: {_FONT_CSS}", "")
    text = text.replace("<svg ", f'<svg font-family="{_FONT_CSS}" ', 1).replace("<style type=\"text/css\">*{", "<style type=\"text/css\">svg.plot *{")
    return _GEOMETRY.sub(_round_geometry, text)


def _round_geometry(m: re.Match[str]) -> str:
    return f'{m.group(1)}="{_NUMBER.sub(_first_group, m.group(2))}"'


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


def _svg(fig: Any, plot_id: str, title: str) -> str:
    """The figure as one ``<svg>`` element: ids made unique to the figure, marks classed, an accessible title."""
    buf = io.StringIO()
    # the tight bounding box of every label, legend and title, measured on the Agg canvas: what bbox_inches="tight"
    # computes, without the extra full draw it makes to find it (half the cost of a figure)
    tight = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.05)
    fig.savefig(buf, format="svg", bbox_inches=tight, metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = _compact(text[text.index("<svg "):])
    prefix = f"{plot_id}-"
    text = _ID.sub(lambda m: m.group(1) + prefix, text)
    counter = iter(range(1, 1 << 30))  # matplotlib gives every patch of a bar container its gid: number them apart
    text = re.sub(f'<g id="{re.escape(prefix)}mark-([^"]*)"',
                  lambda m: f'<g class="mark" id="{prefix}mark-{m.group(1)}-{next(counter)}"', text)
    title_id = escape(f"{plot_id}-title")
    head_end = text.index(">") + 1
    head = text[:head_end].replace("<svg ", f'<svg class="plot" id="{escape(plot_id)}" role="img" '
                                            f'aria-labelledby="{title_id}" ', 1)
    return f'{head}<title id="{title_id}">{escape(title)}</title>{text[head_end:]}'


def plot_block(plot_id: str, caption: str, drawn: str | Empty, data: Table | None = None) -> Block:
    """A :class:`Plot` of a drawn figure, or a sentence saying why there is no figure."""
    if isinstance(drawn, Empty):
        return Paragraph(text=f"{caption}: no figure — {drawn.reason}.")
    return Plot(id=plot_id, caption=caption, svg=drawn, data=data)


def _categorical_y(ax: Any, labels: Sequence[str]) -> list[int]:
    """One tick per category, the first at the top."""
    ys = list(range(len(labels)))
    ax.set_yticks(ys, [str(g) for g in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    return ys


def stacked_bars(plot_id: str, title: str, groups: Sequence[str], tiers: Sequence[str],
                 shares: Sequence[Sequence[float | None]]) -> str | Empty:
    """Horizontal 100% stacked bars: one bar per group, one segment per tier (best first).

    ``shares[i][j]`` is group ``i``'s share in tier ``j``; ``None`` draws nothing.
    """
    if not any(_finite(v) and v > 0 for row in shares for v in row):
        return Empty(reason="no group has a share in any tier")
    colours = tier_colours(len(tiers))
    with _figure(0.9 + 0.32 * len(groups)) as fig:
        ax = fig.add_subplot()
        ys = _categorical_y(ax, groups)
        left = [0.0] * len(groups)
        for j, (tier, colour) in enumerate(zip(tiers, colours)):
            widths = [min(v, 1.0) if _finite(v := (row[j] if j < len(row) else None)) and v > 0 else 0.0 for row in shares]
            bars = ax.barh(ys, widths, left=left, height=0.7, color=colour, label=str(tier), gid=f"mark-{j}")
            ax.bar_label(bars, labels=[_pct(w) if w >= 0.07 else "" for w in widths], label_type="center",
                         fontsize=7.5, color=_text_colour(colour))
            left = [a + w for a, w in zip(left, widths)]
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_xlabel("share of the group")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=min(len(tiers), 6), title="tier (best first)",
                  title_fontsize=8, alignment="left")
        return _svg(fig, plot_id, title)


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{100 * v:.0f}%")


def interval_dots(plot_id: str, title: str, groups: Sequence[str], values: Sequence[float | None],
                  intervals: Sequence[Sequence[float] | None], *, threshold: float | None = 0.8,
                  threshold_label: str = "four-fifths line (0.8)", xmax: float | None = None) -> str | Empty:
    """Dots with 95% interval whiskers on a horizontal axis from 0, and a dashed threshold line.

    A dot is red when its whole interval is under the threshold (a violation),
    orange when the interval straddles it (not enough evidence), blue otherwise.
    """
    if not any(_finite(v) for v in values):
        return Empty(reason="no group has a value (every group is excluded from ratios or empty)")
    finite = [float(v) for v in values if v is not None and _finite(v)]
    finite += [float(c[1]) for c in intervals if c is not None and len(c) == 2 and _finite(c[1])]
    hi_x = xmax if xmax is not None else max([1.0, *finite]) * 1.05
    with _figure(0.8 + 0.3 * len(groups)) as fig:
        ax = fig.add_subplot()
        ys = _categorical_y(ax, groups)
        if threshold is not None:
            ax.axvline(threshold, color=_BAD, linestyle="--", linewidth=1.2, label=threshold_label)
        marks: dict[str, tuple[list[float], list[int], list[float], list[float]]] = {}
        for y, v, ci in zip(ys, values, intervals):
            if v is None or not _finite(v):
                ax.text(0.01, y, "excluded / no value", va="center", fontsize=7.5, color="#666666",
                        transform=ax.get_yaxis_transform())
                continue
            bounds = (float(ci[0]), float(ci[1])) if ci is not None and len(ci) == 2 and all(_finite(c) for c in ci) else (v, v)
            colour = _OK
            if threshold is not None:
                colour = _BAD if bounds[1] < threshold else (_WARN if min(bounds[0], v) < threshold else _OK)
            xs, rows, lo, hi = marks.setdefault(colour, ([], [], [], []))
            xs.append(float(v))
            rows.append(y)
            lo.append(max(0.0, v - bounds[0]))
            hi.append(max(0.0, bounds[1] - v))
            ax.annotate(f"{v:.2f}", (1.0, y), xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=7.5)
        for colour, (xs, rows, lo, hi) in marks.items():  # one call per colour: few artists, fast to draw
            ax.errorbar(xs, rows, xerr=[lo, hi], fmt="o", color=colour, capsize=4, markersize=6, gid=f"mark-{colour[1:]}")
        ax.set_xlim(0, hi_x)
        ax.set_xlabel("impact ratio (group's rate ÷ reference group's)")
        if threshold is not None:
            ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0))
        return _svg(fig, plot_id, title)


def funnel(plot_id: str, title: str, groups: Sequence[str], stages: Sequence[str],
           counts: Sequence[Sequence[int | None]]) -> str | Empty:
    """For each group, one bar per stage, as a share of the group's first stage.

    ``counts[i][k]`` is group ``i``'s count at stage ``k`` (e.g. wrongly
    sanctioned → appealed → sanction lifted).
    """
    if not any(_finite(c) and c > 0 for row in counts for c in row):
        return Empty(reason="every count is zero (no misrecorded adverse event in the replay sample)")
    k = len(stages)
    height = 0.8 / max(k, 1)
    with _figure(0.9 + 0.22 * k * len(groups)) as fig:
        ax = fig.add_subplot()
        ys = _categorical_y(ax, groups)
        for s, stage in enumerate(stages):
            offsets = [y - 0.4 + height * (s + 0.5) for y in ys]
            widths, labels = [], []
            for row in counts:
                base = row[0] if row and _finite(row[0]) else 0
                c = row[s] if s < len(row) else None
                if c is None or not _finite(c):
                    widths.append(0.0)
                    labels.append("not computed")
                    continue
                share = c / base if base else 0.0
                widths.append(min(share, 1.0))
                labels.append(f"{int(c):,} ({_pct(share)})")
            bars = ax.barh(offsets, widths, height=height * 0.9, color=PALETTE[s % len(PALETTE)], label=str(stage),
                           gid=f"mark-{s}")
            ax.bar_label(bars, labels=labels, padding=3, fontsize=7)
        ax.set_xlim(0, 1.25)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_xlabel("share of the group's first stage")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=min(k, 4))
        return _svg(fig, plot_id, title)


def line_chart(plot_id: str, title: str, series: Sequence[dict[str, Any]], *, xlabel: str, ylabel: str,
               ylim: tuple[float, float] | None = None, step: bool = False, percent: bool = False,
               xcategories: Sequence[str] | None = None) -> str | Empty:
    """Lines over a shared x axis.

    Each series is ``{"name", "x", "y"}`` with optional ``"lo"``/``"hi"`` (an
    interval band) and ``"colour"``. ``step=True`` draws a step function
    (recovery curves); ``percent=True`` labels the y axis in percent;
    ``xcategories`` names the x positions 0, 1, … when x is categorical.
    """
    points = [(x, y) for s in series for x, y in zip(s["x"], s["y"]) if _finite(x) and _finite(y)]
    if not points:
        return Empty(reason="no series has a value")
    if all(y == 0 for _, y in points):
        return Empty(reason="every value is zero" + (f" ({ylabel} is 0 throughout)" if ylabel else ""))
    with _figure(3.0) as fig:
        ax = fig.add_subplot()
        for k, s in enumerate(series):
            colour = s.get("colour") or PALETTE[k % len(PALETTE)]
            pts = [(float(x), float(y)) for x, y in zip(s["x"], s["y"]) if _finite(x) and _finite(y)]
            band = [(float(x), float(lo), float(hi)) for x, lo, hi in zip(s["x"], s.get("lo") or [], s.get("hi") or [])
                    if _finite(x) and _finite(lo) and _finite(hi)]
            if band:
                ax.fill_between([b[0] for b in band], [b[1] for b in band], [b[2] for b in band], color=colour, alpha=0.15,
                                linewidth=0, step="post" if step else None)
            if not pts:
                continue
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            ax.plot(xs, ys, color=colour, linewidth=1.8, label=str(s["name"]), drawstyle="steps-post" if step else "default",
                    marker="o" if len(pts) <= 12 else None, markersize=3.5, gid=f"mark-{k}")
        if ylim is not None:
            ax.set_ylim(*ylim)
        if xcategories is not None:
            ax.set_xticks(range(len(xcategories)), [str(c) for c in xcategories])
        if percent:
            ax.yaxis.set_major_formatter(_percent_formatter())
        ax.grid(axis="y", color="#e5e5e5")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _svg(fig, plot_id, title)


def heatmap(plot_id: str, title: str, rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float | None]],
            *, row_title: str, col_title: str, marked: set[tuple[int, int]] | None = None,
            fmt: Callable[[float], str] | None = None) -> str | Empty:
    """A matrix of coloured cells (white → blue by value), each labelled with its value.

    ``marked`` cells (row, col) get a black outline (e.g. related domains).
    """
    cells = [v for row in values for v in row if _finite(v)]
    if not cells:
        return Empty(reason="no cell has a value")
    if all(v == 0 for v in cells):
        return Empty(reason="every count is zero")
    from matplotlib.patches import Rectangle

    fmt = fmt or (lambda v: f"{v:,.0f}")
    vmax = max(max(cells), 1e-12)
    with _figure(1.2 + 0.32 * len(rows)) as fig:
        ax = fig.add_subplot()
        for i in range(len(rows)):
            for j in range(len(cols)):
                v = values[i][j] if j < len(values[i]) else None
                fill = "#f4f4f4" if v is None or not _finite(v) else _mix("#ffffff", "#08306b", (v / vmax) ** 0.5 if v > 0 else 0.0)
                edge, lw = ("#000000", 1.8) if marked and (i, j) in marked else ("#ffffff", 1.0)
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=fill, edgecolor=edge, linewidth=lw,
                                       gid=f"mark-{i}-{j}"))
                if v is not None and _finite(v):
                    ax.text(j, i, fmt(v), ha="center", va="center", fontsize=7.5, color=_text_colour(fill))
        ax.set_xlim(-0.5, len(cols) - 0.5)
        ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=30, ha="right", rotation_mode="anchor")
        _categorical_y(ax, rows)
        ax.set_ylabel(row_title)
        ax.set_xlabel(col_title)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ax.set_aspect("auto")
        return _svg(fig, plot_id, title)
