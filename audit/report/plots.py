"""Inline SVG figures for reports, built by hand (no external references).

Each function returns one ``<svg>`` element as a string that is safe to embed
in HTML: every piece of text in it (group labels, tier names, titles, which
may come from a scorer plugin or a supplied table) passes through
:func:`markupsafe.escape`. Figures carry a ``<title>`` for screen readers and
per-mark ``<title>`` tooltips with the exact figure. Colours are from the
Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), readable with
the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from markupsafe import escape

from audit.report.model import fmt_pct as _pct

__all__ = ["PALETTE", "funnel", "heatmap", "interval_dots", "line_chart", "stacked_bars", "tier_colours"]

#: Okabe–Ito colours (blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_BAD, _WARN, _OK = "#D55E00", "#E69F00", "#0072B2"
_FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
#: A blue (best) to red (worst) ramp for ordered tiers (ColorBrewer RdBu, reversed).
_RAMP = ("#2166ac", "#67a9cf", "#d1e5f0", "#fddbc7", "#ef8a60", "#b2182b")


def _e(text: Any) -> str:
    return str(escape(str(text)))


def _f(x: float) -> str:
    return f"{x:.1f}"


def _svg(plot_id: str, width: float, height: float, title: str, body: list[str]) -> str:
    tid = _e(f"{plot_id}-title")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" id="{_e(plot_id)}" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" role="img" aria-labelledby="{tid}" {_FONT} font-size="12">'
        f'<title id="{tid}">{_e(title)}</title>' + "".join(body) + "</svg>"
    )


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
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#fff"


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step - 1e-9) * step
    ticks = []
    v = start
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[list[str], float]:
    """Swatches in rows; returns the elements and the height used."""
    out, cx, cy = [], x, y
    for label, colour in items:
        w = 18 + 7 * len(str(label)) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        out.append(f'<rect x="{_f(cx)}" y="{_f(cy)}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{_f(cx + 16)}" y="{_f(cy + 10)}">{_e(label)}</text>')
        cx += w
    return out, cy - y + 18


def stacked_bars(plot_id: str, title: str, groups: Sequence[str], tiers: Sequence[str],
                 shares: Sequence[Sequence[float | None]]) -> str:
    """Horizontal 100% stacked bars: one bar per group, one segment per tier (best first).

    ``shares[i][j]`` is group ``i``'s share in tier ``j``; ``None`` draws nothing.
    """
    label_w, bar_w, row_h, pad = 170.0, 480.0, 24.0, 8.0
    width = label_w + bar_w + 20
    colours = tier_colours(len(tiers))
    body, legend_h = _legend(list(zip(tiers, colours)), label_w, pad, bar_w)
    top = pad + legend_h + 6
    for i, (group, row) in enumerate(zip(groups, shares)):
        y = top + i * row_h
        body.append(f'<text x="{_f(label_w - 6)}" y="{_f(y + row_h / 2 + 4)}" text-anchor="end">{_e(group)}</text>')
        x = label_w
        for tier, colour, share in zip(tiers, colours, row):
            if share is None or not math.isfinite(share) or share <= 0:
                continue
            w = bar_w * min(share, 1.0)
            body.append(
                f'<rect class="mark" x="{_f(x)}" y="{_f(y + 3)}" width="{_f(w)}" height="{_f(row_h - 6)}" fill="{colour}">'
                f"<title>{_e(group)}: {_e(tier)} {_pct(share)}</title></rect>"
            )
            if w >= 38:
                body.append(f'<text x="{_f(x + w / 2)}" y="{_f(y + row_h / 2 + 4)}" text-anchor="middle" '
                            f'fill="{_text_colour(colour)}" font-size="11">{_pct(share)}</text>')
            x += w
    height = top + len(groups) * row_h + pad
    return _svg(plot_id, width, height, title, body)


def interval_dots(plot_id: str, title: str, groups: Sequence[str], values: Sequence[float | None],
                  intervals: Sequence[Sequence[float] | None], *, threshold: float | None = 0.8,
                  threshold_label: str = "four-fifths line (0.8)", xmax: float | None = None) -> str:
    """Dots with interval whiskers on a horizontal axis from 0, and a dashed threshold line.

    A dot is red when its whole interval is under the threshold (a violation),
    orange when the interval straddles it (inconclusive), blue otherwise.
    """
    label_w, plot_w, row_h, pad = 170.0, 440.0, 24.0, 8.0
    width = label_w + plot_w + 60
    finite = [v for v in values if v is not None and math.isfinite(v)]
    finite += [c[1] for c in intervals if c is not None and len(c) == 2 and c[1] is not None and math.isfinite(c[1])]
    hi = xmax if xmax is not None else max([1.0, *finite]) * 1.05

    def sx(v: float) -> float:
        return label_w + plot_w * max(0.0, min(v, hi)) / hi

    top = pad + 18
    bottom = top + len(groups) * row_h
    body = []
    for t in _nice_ticks(0.0, hi):
        body.append(f'<line x1="{_f(sx(t))}" x2="{_f(sx(t))}" y1="{_f(top)}" y2="{_f(bottom)}" stroke="#ddd"/>')
        body.append(f'<text x="{_f(sx(t))}" y="{_f(bottom + 14)}" text-anchor="middle" font-size="11">{t:g}</text>')
    if threshold is not None:
        body.append(f'<line class="threshold" x1="{_f(sx(threshold))}" x2="{_f(sx(threshold))}" y1="{_f(top - 4)}" '
                    f'y2="{_f(bottom)}" stroke="{_BAD}" stroke-dasharray="5 3" stroke-width="1.5"/>')
        body.append(f'<text x="{_f(sx(threshold) - 4)}" y="{_f(top - 8)}" text-anchor="end" fill="{_BAD}" '
                    f'font-size="11">{_e(threshold_label)}</text>')
    for i, (group, v, ci) in enumerate(zip(groups, values, intervals)):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="{_f(label_w - 6)}" y="{_f(y + 4)}" text-anchor="end">{_e(group)}</text>')
        if v is None or not math.isfinite(v):
            body.append(f'<text x="{_f(label_w + 4)}" y="{_f(y + 4)}" fill="#777" font-size="11">excluded / no value</text>')
            continue
        bounds = (float(ci[0]), float(ci[1])) if ci is not None and len(ci) == 2 and all(
            c is not None and math.isfinite(c) for c in ci) else None
        colour = _OK
        if threshold is not None:
            if bounds is not None:
                colour = _BAD if bounds[1] < threshold else (_WARN if bounds[0] < threshold else _OK)
            elif v < threshold:
                colour = _BAD
        tip = f"{group}: {v:.3f}" + (f" (95% CI {bounds[0]:.3f}–{bounds[1]:.3f})" if bounds is not None else "")
        if bounds is not None:
            body.append(f'<line x1="{_f(sx(bounds[0]))}" x2="{_f(sx(bounds[1]))}" y1="{_f(y)}" y2="{_f(y)}" stroke="{colour}" '
                        'stroke-width="2"/>')
            for c in bounds:
                body.append(f'<line x1="{_f(sx(c))}" x2="{_f(sx(c))}" y1="{_f(y - 5)}" y2="{_f(y + 5)}" stroke="{colour}" stroke-width="2"/>')
        body.append(f'<circle class="mark" cx="{_f(sx(v))}" cy="{_f(y)}" r="5" fill="{colour}"><title>{_e(tip)}</title></circle>')
        body.append(f'<text x="{_f(label_w + plot_w + 8)}" y="{_f(y + 4)}" font-size="11">{v:.2f}</text>')
    return _svg(plot_id, width, bottom + 22, title, body)


def funnel(plot_id: str, title: str, groups: Sequence[str], stages: Sequence[str],
           counts: Sequence[Sequence[int | None]]) -> str:
    """For each group, one bar per stage, as a share of the group's first stage.

    ``counts[i][k]`` is group ``i``'s count at stage ``k`` (e.g. wrongly
    sanctioned → appealed → sanction lifted).
    """
    label_w, bar_w, bar_h, pad = 170.0, 400.0, 14.0, 8.0
    width = label_w + bar_w + 110
    colours = [PALETTE[k % len(PALETTE)] for k in range(len(stages))]
    body, legend_h = _legend(list(zip(stages, colours)), label_w, pad, bar_w)
    y = pad + legend_h + 6
    for group, row in zip(groups, counts):
        base = row[0] if row and row[0] else 0
        block_h = bar_h * len(stages) + 10
        body.append(f'<text x="{_f(label_w - 6)}" y="{_f(y + block_h / 2)}" text-anchor="end">{_e(group)}</text>')
        for k, (stage, colour) in enumerate(zip(stages, colours)):
            c = row[k] if k < len(row) else None
            yy = y + k * bar_h
            if c is None:
                body.append(f'<text x="{_f(label_w + 4)}" y="{_f(yy + bar_h - 3)}" font-size="10" fill="#777">not computed</text>')
                continue
            share = c / base if base else 0.0
            w = bar_w * min(share, 1.0)
            body.append(f'<rect class="mark" x="{_f(label_w)}" y="{_f(yy + 1)}" width="{_f(max(w, 0.5))}" height="{_f(bar_h - 2)}" '
                        f'fill="{colour}"><title>{_e(group)}: {_e(stage)} {c:,} ({_pct(share)} of {base:,})</title></rect>')
            body.append(f'<text x="{_f(label_w + w + 4)}" y="{_f(yy + bar_h - 3)}" font-size="10">{c:,} ({_pct(share)})</text>')
        y += block_h
    return _svg(plot_id, width, y + pad, title, body)


def line_chart(plot_id: str, title: str, series: Sequence[dict[str, Any]], *, xlabel: str, ylabel: str,
               ylim: tuple[float, float] | None = None, step: bool = False, percent: bool = False) -> str:
    """Lines over a shared x axis.

    Each series is ``{"name", "x", "y"}`` with optional ``"lo"``/``"hi"`` (an
    interval band) and ``"colour"``. ``step=True`` draws a step function
    (recovery curves); ``percent=True`` labels the y axis in percent.
    """
    left, plot_w, plot_h, pad = 60.0, 460.0, 220.0, 10.0
    width = left + plot_w + 170
    xs = [x for s in series for x in s["x"] if x is not None and math.isfinite(x)]
    ys = [y for s in series for key in ("y", "lo", "hi") for y in s.get(key) or [] if y is not None and math.isfinite(y)]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x1 <= x0:
        x0, x1 = x0 - 1, x1 + 1
    y0, y1 = ylim if ylim is not None else ((min(ys), max(ys)) if ys else (0.0, 1.0))
    if y1 <= y0:
        y0, y1 = y0 - 1, y1 + 1
    top = pad + 6

    def sx(v: float) -> float:
        return left + plot_w * (v - x0) / (x1 - x0)

    def sy(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, y0), y1) - y0) / (y1 - y0))

    body = []
    for t in _nice_ticks(y0, y1):
        body.append(f'<line x1="{_f(left)}" x2="{_f(left + plot_w)}" y1="{_f(sy(t))}" y2="{_f(sy(t))}" stroke="#e5e5e5"/>')
        label = f"{100 * t:.0f}%" if percent else f"{t:g}"
        body.append(f'<text x="{_f(left - 6)}" y="{_f(sy(t) + 4)}" text-anchor="end" font-size="11">{label}</text>')
    for t in _nice_ticks(x0, x1, 6):
        body.append(f'<text x="{_f(sx(t))}" y="{_f(top + plot_h + 16)}" text-anchor="middle" font-size="11">{t:g}</text>')
    body.append(f'<line x1="{_f(left)}" x2="{_f(left + plot_w)}" y1="{_f(top + plot_h)}" y2="{_f(top + plot_h)}" stroke="#555"/>')
    body.append(f'<line x1="{_f(left)}" x2="{_f(left)}" y1="{_f(top)}" y2="{_f(top + plot_h)}" stroke="#555"/>')
    body.append(f'<text x="{_f(left + plot_w / 2)}" y="{_f(top + plot_h + 34)}" text-anchor="middle">{_e(xlabel)}</text>')
    body.append(f'<text transform="translate(14 {_f(top + plot_h / 2)}) rotate(-90)" text-anchor="middle">{_e(ylabel)}</text>')
    legend_y = top
    for k, s in enumerate(series):
        colour = s.get("colour") or PALETTE[k % len(PALETTE)]
        pts = [(x, y) for x, y in zip(s["x"], s["y"]) if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)]
        if s.get("lo") and s.get("hi"):
            band = [(x, lo, hi) for x, lo, hi in zip(s["x"], s["lo"], s["hi"])
                    if None not in (x, lo, hi) and all(math.isfinite(v) for v in (x, lo, hi))]
            if band:
                poly = [f"{_f(sx(x))},{_f(sy(hi))}" for x, _, hi in band] + [f"{_f(sx(x))},{_f(sy(lo))}" for x, lo, _ in reversed(band)]
                body.append(f'<polygon points="{" ".join(poly)}" fill="{colour}" fill-opacity="0.15" stroke="none"/>')
        if pts:
            coords = []
            for i, (x, y) in enumerate(pts):
                if step and i > 0:
                    coords.append(f"{_f(sx(x))},{_f(sy(pts[i - 1][1]))}")
                coords.append(f"{_f(sx(x))},{_f(sy(y))}")
            body.append(f'<polyline class="mark" points="{" ".join(coords)}" fill="none" stroke="{colour}" stroke-width="2">'
                        f"<title>{_e(s['name'])}</title></polyline>")
            if len(pts) <= 12:
                for x, y in pts:
                    tip = f"{s['name']}: {x:g} → {_pct(y) if percent else f'{y:.3g}'}"
                    body.append(f'<circle cx="{_f(sx(x))}" cy="{_f(sy(y))}" r="3" fill="{colour}"><title>{_e(tip)}</title></circle>')
        body.append(f'<rect x="{_f(left + plot_w + 14)}" y="{_f(legend_y)}" width="12" height="3" fill="{colour}"/>')
        body.append(f'<text x="{_f(left + plot_w + 30)}" y="{_f(legend_y + 5)}" font-size="11">{_e(s["name"])}</text>')
        legend_y += 16
    return _svg(plot_id, width, top + plot_h + 44, title, body)


def heatmap(plot_id: str, title: str, rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float | None]],
            *, row_title: str, col_title: str, marked: set[tuple[int, int]] | None = None,
            fmt: Any = None) -> str:
    """A matrix of coloured cells (white → blue by value), each labelled with its value.

    ``marked`` cells (row, col) get a black outline (e.g. related domains).
    """
    fmt = fmt or (lambda v: f"{v:,.0f}")
    label_w, cell_w, cell_h, head_h = 110.0, 62.0, 26.0, 70.0
    width = label_w + cell_w * len(cols) + 10
    finite = [v for row in values for v in row if v is not None and math.isfinite(v)]
    vmax = max(finite) if finite and max(finite) > 0 else 1.0
    body = [f'<text x="{_f(label_w + cell_w * len(cols) / 2)}" y="12" text-anchor="middle" font-weight="bold">{_e(col_title)}</text>',
            f'<text x="4" y="{_f(head_h - 6)}" font-weight="bold" font-size="11">{_e(row_title)}</text>']
    for j, c in enumerate(cols):
        x = label_w + j * cell_w + cell_w / 2
        body.append(f'<text transform="translate({_f(x)} {_f(head_h - 6)}) rotate(-35)" font-size="11">{_e(c)}</text>')
    for i, r in enumerate(rows):
        y = head_h + i * cell_h
        body.append(f'<text x="{_f(label_w - 6)}" y="{_f(y + cell_h / 2 + 4)}" text-anchor="end">{_e(r)}</text>')
        for j, c in enumerate(cols):
            v = values[i][j] if j < len(values[i]) else None
            x = label_w + j * cell_w
            fill = "#f4f4f4" if v is None or not math.isfinite(v) else _mix("#ffffff", "#08306b", (v / vmax) ** 0.5 if v > 0 else 0.0)
            stroke = ' stroke="#000" stroke-width="2"' if marked and (i, j) in marked else ' stroke="#fff"'
            tip = f"{r} → {c}: " + ("no value" if v is None else fmt(v))
            body.append(f'<rect class="mark" x="{_f(x)}" y="{_f(y)}" width="{_f(cell_w)}" height="{_f(cell_h)}" fill="{fill}"{stroke}>'
                        f"<title>{_e(tip)}</title></rect>")
            if v is not None and math.isfinite(v):
                body.append(f'<text x="{_f(x + cell_w / 2)}" y="{_f(y + cell_h / 2 + 4)}" text-anchor="middle" font-size="11" '
                            f'fill="{_text_colour(fill)}">{_e(fmt(v))}</text>')
    return _svg(plot_id, width, head_h + len(rows) * cell_h + 10, title, body)
