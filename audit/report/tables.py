"""Building tables from lists of records in a document, tolerating missing keys.

A column is declared once (:class:`Column`: heading, key, formatter, interval
key); :func:`table_of` drops columns no record has and names them in the
table's note ("not computed: ..."), so a record whose optional keys are absent
still renders. :func:`blocks_of` renders a section of
unknown shape — scalars as facts, lists of records as tables — so a section a
colleague adds tomorrow shows its real numbers today.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from audit.report.model import (
    MISSING,
    NOT_COMPUTED,
    Block,
    Cell,
    Facts,
    NotComputed,
    Ptr,
    Table,
    cell,
    fmt_number,
    fmt_pct,
    fmt_ratio,
    group_label,
    is_number,
)

__all__ = ["Column", "blocks_of", "figure", "guess_format", "humanize", "table_of"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """One column of a records table."""

    heading: str
    """Column heading."""
    key: str
    """Key of the record the value is read from."""
    fmt: Callable[[Any], str] | None = None
    """Formatter for numbers (default :func:`guess_format` by key)."""
    ci: str | None = None
    """Key of the ``[lo, hi]`` interval shown with the value, if any."""
    flag: Callable[[dict[str, Any]], str | None] | None = None
    """Given the record, a CSS flag for the cell (e.g. ``bad`` for a violation)."""
    label: Callable[[Any], str] | None = None
    """For label columns: turns the raw value into display text (the raw value stays in ``data-value``)."""


def humanize(key: str) -> str:
    """``median_months_to_remedy`` -> ``median months to remedy``."""
    return str(key).replace("_", " ")


def guess_format(key: str) -> Callable[[Any], str]:
    """A formatter chosen by a key's name: rates and shares in percent, ratios to 2 decimals."""
    k = str(key).lower()
    if k == "n" or k.startswith("n_") or k in ("count", "filed", "succeeded", "checked") \
            or k.endswith(("_n", "_count", "_filed", "_succeeded", "violations", "_checked", "size")):
        return fmt_number
    if "ratio" in k or "relative_risk" in k:
        return fmt_ratio
    if "rate" in k or "share" in k or k in ("overall", "group_min", "group_max", "difference"):
        return fmt_pct
    return fmt_number


def figure(value: Any, at: Ptr, *, fmt: Callable[[Any], str] | None = None, ci: tuple[Any, Ptr] | None = None,
           flag: str | None = None) -> Cell:
    """A cell for ``value`` read at ``at`` (format chosen by its key unless given), with its 95% interval when
    ``ci`` (the interval's value and pointer) is a pair of numbers."""
    fmt = fmt or guess_format(at.key)
    out = cell(value, at, fmt=fmt, flag=flag)
    if ci is not None and out.kind == "number":
        bounds, where = ci
        if isinstance(bounds, list) and len(bounds) == 2 and all(is_number(b) for b in bounds):
            lo = Cell(text=fmt(bounds[0]), value=bounds[0], source=(where / 0).source, kind="number")
            hi = Cell(text=fmt(bounds[1]), value=bounds[1], source=(where / 1).source, kind="number")
            out = Cell(text=out.text, value=out.value, source=out.source, kind=out.kind, flag=out.flag,
                       title=out.title, ci=(lo, hi))
    return out


def table_of(records: Any, at: Ptr, columns: Sequence[Column], *, id: str, caption: str,
             note: str | None = None) -> Table | NotComputed:
    """A table with one row per record of ``records`` (a list read at ``at``).

    The columns are declared by key (:class:`Column`), so the records are read by name: a list of typed
    records (``list[AppealGroup]``) and one of a section's own shape both render. Columns whose key no
    record has are left out and named in the note.
    """
    if not isinstance(records, list) or not records:
        return NotComputed(what=caption)
    present = [c for c in columns if any(isinstance(r, dict) and c.key in r for r in records)]
    absent = [c.heading for c in columns if c not in present]
    rows = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            continue
        row = []
        for c in present:
            where = at / i / c.key
            if c.label is not None and c.key in rec:
                row.append(Cell(text=c.label(rec[c.key]), value=_plain(rec[c.key]), source=where.source))
                continue
            flag = c.flag(rec) if c.flag is not None else None
            interval = (rec.get(c.ci, MISSING), at / i / c.ci) if c.ci else None
            row.append(figure(rec.get(c.key, MISSING), where, fmt=c.fmt or guess_format(c.key), ci=interval, flag=flag))
        rows.append(tuple(row))
    notes = [note] if note else []
    if absent:
        notes.append(f"{NOT_COMPUTED} in this results file: {', '.join(absent)}.")
    return Table(id=id, caption=caption, columns=tuple(c.heading for c in present), rows=tuple(rows),
                 note=" ".join(notes) or None)


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return None


def blocks_of(node: Any, at: Ptr, *, id: str, skip: Sequence[str] = (), depth: int = 0) -> list[Block]:
    """Render ``node`` (read at ``at``), a dict whose keys the report does not know in advance: scalars as facts,
    lists of records as tables, dicts recursively. Its keys are read by name, since nothing declares them."""
    if node is MISSING:
        return [NotComputed(what=humanize(at.key) if at.path else "section")]
    if not isinstance(node, dict):
        return [Facts(id=id, items=((humanize(at.key), figure(node, at)),))]
    blocks: list[Block] = []
    scalars = [key for key, value in node.items() if key not in skip and (value is None or isinstance(value, (str, int, float, bool)))]
    if scalars:
        items = []
        for key in scalars:
            ci_key = f"{key}_ci"
            interval = (node[ci_key], at / ci_key) if isinstance(node.get(ci_key), list) else None
            value = node[key]
            if isinstance(value, bool):
                items.append((humanize(key), Cell(text="yes" if value else "no", value=None, source=(at / key).source)))
                continue
            items.append((humanize(key), figure(value, at / key, ci=interval)))
        blocks.append(Facts(id=id, items=tuple(items)))
    for key, value in node.items():
        if key in skip:
            continue
        sub_id = f"{id}-{_slug(key)}"
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            keys: list[str] = []
            for r in value:
                for k, v in r.items():
                    if k not in keys and not k.endswith("_ci") and (v is None or isinstance(v, (str, int, float, bool))
                                                                     or (k == "group" and isinstance(v, list))):
                        keys.append(k)
            by = key.split("by_", 1)[1] if "by_" in key else None  # by_income_quintile: groups of income_quintile
            cols = [Column(heading=humanize(k), key=k, ci=f"{k}_ci" if any(f"{k}_ci" in r for r in value) else None,
                           label=partial(group_label, by) if k == "group" and by else (_label_text if k in _LABEL_KEYS else None))
                    for k in keys]
            blocks.append(table_of(value, at / key, cols, id=sub_id, caption=humanize(key)))
        elif isinstance(value, dict) and depth < 2 and value:
            if all(isinstance(v, dict) and all(is_number(x) or x is None for x in v.values()) for v in value.values()):
                blocks.append(_matrix_table(value, at / key, id=sub_id, caption=humanize(key)))
            else:
                blocks.extend(blocks_of(value, at / key, id=sub_id, depth=depth + 1))
    return blocks


def _matrix_table(node: dict[str, dict[str, Any]], at: Ptr, *, id: str, caption: str) -> Table:
    cols: list[str] = []
    for row in node.values():
        cols += [c for c in row if c not in cols]
    rows = []
    for r, row in node.items():
        rows.append((Cell(text=humanize(r), value=r),
                     *(figure(row[c], at / r / c, fmt=fmt_number) if c in row else Cell(text="—") for c in cols)))
    return Table(id=id, caption=caption, columns=("", *(humanize(c) for c in cols)), rows=tuple(rows))


_LABEL_KEYS = ("group", "rule", "kind", "name", "domain", "label", "band", "sanction", "from_domain", "to_domain")


def _label_text(value: Any) -> str:
    if isinstance(value, list):
        return " × ".join(str(v).replace("_", " ") for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _slug(text: Any) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in str(text).lower()).strip("-")
    return out or "x"
