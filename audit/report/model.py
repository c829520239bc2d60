"""The report model: what a report shows, independent of HTML or Markdown.

A report is built once from the results document (``results.json``, a dict)
and, when present, the published document (``published.json``) into
:class:`Section` objects holding :class:`Table`, :class:`Plot`, :class:`Facts`
and :class:`NotComputed` blocks. The HTML and Markdown renderers walk the same
model, so both say the same thing.

Every number shown keeps a link to where it came from: a :class:`Cell` carries
the exact value and its JSON pointer (RFC 6901) into the document, written as
``results#/scorers/0/disparity/income_quintile/groups/0/favourable_rate``. The
HTML puts both in ``data-value`` / ``data-source`` attributes, so a test (or a
reader) can check every figure against the file it came from.

The report reads the typed result model (:mod:`audit.results.model`):
:func:`audit.results.load.load_results` checks a file's version and shape
before anything is built, and a section builder reads its keys by subscript,
which mypy checks, walking a :class:`Ptr` beside the value so each
:func:`cell` keeps its pointer. An optional section (a ``NotRequired`` key)
that is absent is shown as "not computed".

:class:`Doc` is the older, tolerant reader (``doc.get(*path)``, ``doc.cell(*path)``). Every
section builder, the findings and the comparison (``compare.json``,
:class:`audit.results.model.compare.CompareDocument`) read the typed model; the
verdict grid still reads the audits' sections by name (see
:mod:`audit.report.verdicts`). Tables of records whose columns are declared by
key (:func:`audit.report.tables.table_of`) and sections of keys the report does
not know in advance (:func:`audit.report.tables.blocks_of`) read those keys by
name, by design.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from audit.evidence import Evidence
from audit.results.load import json_pointer
from audit.vocab import group_label

if TYPE_CHECKING:
    from audit.results.model import ResultsDocument

__all__ = [
    "MISSING",
    "Cell",
    "Doc",
    "Facts",
    "Finding",
    "NotComputed",
    "Paragraph",
    "Plot",
    "Ptr",
    "Report",
    "Section",
    "Table",
    "anchor",
    "attribute_words",
    "audited_attributes",
    "cell",
    "fmt_ci",
    "fmt_count",
    "fmt_months",
    "fmt_number",
    "fmt_pct",
    "fmt_ratio",
    "group_label",
    "humanize_key",
    "is_number",
    "pointer",
    "slug",
    "text_cell",
]


class _Missing:
    """The marker for a key absent from a document (distinct from a JSON ``null``); one instance, :data:`MISSING`."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"


#: A key that is not in the document.
MISSING: Any = _Missing()

#: What the report prints for a section or value the results file does not contain.
NOT_COMPUTED = "not computed"

CellKind = Literal["text", "number", "missing", "null"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One value shown in a report, with the exact value and where it came from."""

    text: str
    """The value as printed (formatted, not yet escaped)."""
    value: Any = None
    """The exact value from the document (a number, string or ``None``)."""
    source: str | None = None
    """``results#/json/pointer`` or ``published#/json/pointer`` of the value; ``None`` for derived text."""
    kind: CellKind = "text"
    """``number`` for figures, ``missing`` for keys absent from the document, ``null`` for JSON nulls."""
    flag: str | None = None
    """A CSS class hint: ``bad`` (e.g. a four-fifths violation), ``warn``, ``good`` or ``None``."""
    title: str | None = None
    """A tooltip: e.g. why a value is empty."""
    ci: tuple[Cell, Cell] | None = None
    """The 95% interval's bounds, when the document gives one."""
    href: str | None = None
    """A link inside the report (``#anchor``) the text leads to, e.g. a finding's evidence."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Table:
    """A table of cells; the first column names the row."""

    id: str
    """Anchor id (unique in the report)."""
    caption: str
    """One line saying what the table shows."""
    columns: tuple[str, ...]
    """Column headings."""
    rows: tuple[tuple[Cell, ...], ...]
    """Rows of cells, one per column."""
    note: str | None = None
    """A sentence under the table (e.g. which columns were not computed)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plot:
    """An inline SVG figure and the table of the numbers it draws."""

    id: str
    """Anchor id (unique in the report)."""
    caption: str
    """What the figure shows, in words (also the SVG's accessible title)."""
    svg: str
    """The SVG element (already escaped; safe to embed)."""
    data: Table | None = None
    """The plotted numbers (Markdown shows this table instead of the figure)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """A short list of labelled values (a definition list)."""

    id: str
    """Anchor id."""
    items: tuple[tuple[str, Cell], ...]
    """``(label, value)`` pairs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Paragraph:
    """A sentence or two of plain text."""

    text: str
    """Unescaped text."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotComputed:
    """A part of the report the documents do not contain."""

    what: str
    """What is missing, e.g. "appeal audit"."""
    reason: str = "the results file has no such section"
    """Why, when known (e.g. the section's own ``reason``)."""


Block = Table | Plot | Facts | Paragraph | NotComputed


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """A titled part of a report; sections nest."""

    id: str
    """Anchor id (unique in the report)."""
    title: str
    """Heading text (unescaped)."""
    blocks: tuple[Block, ...] = ()
    """Content in order."""
    children: tuple[Section, ...] = ()
    """Subsections."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One finding in plain words, linked to its evidence."""

    text: str
    """The sentence (unescaped)."""
    anchor: str
    """Id of the section or table holding the evidence."""
    level: Literal["violation", "warning", "info", "ok"] = "info"
    """How serious: a rule broken, a concern, a neutral fact, or a check passed."""
    scorer: str | None = None
    """Label of the scorer the finding is about, if any."""
    evidence: Evidence | None = None
    """The check's three-outcome verdict and how many observations it rests on; ``None`` for a neutral fact."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """A whole report: header facts, findings, sections."""

    title: str
    """Title of the page."""
    subtitle: str
    """One line under the title (population, size, date)."""
    findings: tuple[Finding, ...]
    """Plain-words findings, most serious first."""
    sections: tuple[Section, ...]
    """The body: the appendix, linked from the front matter."""
    front: tuple[Section, ...] = ()
    """Read first: the executive summary (verdict grid, top findings, what was audited) and how to read the report."""
    private: bool = True
    """Whether the report contains exact (non-DP) figures."""
    generated_by: str = ""
    """Package and version that rendered the report."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Anything a template needs besides the above (e.g. compare's summary)."""


# ----------------------------------------------------------------------------- document access


def pointer(path: Sequence[Any]) -> str:
    """The JSON pointer (RFC 6901) of ``path``: ``("a", 0, "b/c")`` -> ``/a/0/b~1c``."""
    return json_pointer(path)


@dataclass(frozen=True, slots=True)
class Ptr:
    """Where a value sits in a document: the document's name and the keys and indexes leading to it.

    Section builders read the typed model (``entry["label"]``, ``population.get("seed", MISSING)``, keys
    mypy checks) and walk a :class:`Ptr` beside it (``at / "label"``), so every cell they make keeps the
    JSON pointer of its value: ``cell(entry["label"], at / "label")``.
    """

    doc: str
    """``results`` or ``published``."""
    path: tuple[str | int, ...] = ()
    """Keys and list indexes from the document's top."""

    def __truediv__(self, step: str | int) -> Ptr:
        return Ptr(self.doc, (*self.path, step))

    @property
    def source(self) -> str:
        """``results#/scorers/0/label``: what a cell's ``data-source`` holds."""
        return f"{self.doc}#{pointer(self.path)}"

    @property
    def key(self) -> str:
        """The last step as text (``""`` at the top), e.g. to choose a number format by the key's name."""
        return str(self.path[-1]) if self.path else ""


def cell(value: Any, at: Ptr, *, fmt: Any = None, flag: str | None = None, missing: str = NOT_COMPUTED) -> Cell:
    """A cell showing ``value`` (read from the document at ``at``; :data:`MISSING` when absent) formatted by
    ``fmt`` (default: str or number), carrying the exact value and its pointer."""
    if value is MISSING:
        return Cell(text=missing, kind="missing", title="this key is not in the results file")
    if value is None:
        return Cell(text="—", value=None, source=at.source, kind="null", title="no value (empty group or not defined)")
    if isinstance(value, bool):
        return Cell(text="yes" if value else "no", source=at.source, flag=flag)
    if is_number(value):
        text = fmt(value) if fmt is not None else fmt_number(value)
        return Cell(text=text, value=value, source=at.source, kind="number", flag=flag)
    text = str(value)
    if fmt is not None:
        try:
            text = fmt(value)
        except (TypeError, ValueError):  # a number formatter given a string: show the string
            pass
    return Cell(text=text, value=value if isinstance(value, str) else None, source=at.source, flag=flag)


class Doc:
    """A JSON document with tolerant access and pointers to what was read (see the module's docstring for who
    still reads through it).

    ``Doc(data, "results").get("scorers", 0, "label")`` returns the value, or
    :data:`MISSING` when any step of the path is absent or of the wrong type.
    """

    __slots__ = ("data", "name")

    def __init__(self, data: Any, name: str) -> None:
        self.data = data
        self.name = name

    def get(self, *path: Any) -> Any:
        node = self.data
        for step in path:
            if isinstance(node, dict) and isinstance(step, str):
                if step not in node:
                    return MISSING
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
                node = node[step]
            else:
                return MISSING
        return node

    def has(self, *path: Any) -> bool:
        return self.get(*path) is not MISSING

    def source(self, *path: Any) -> str:
        return Ptr(self.name, path).source

    def cell(self, *path: Any, fmt: Any = None, flag: str | None = None, missing: str = NOT_COMPUTED) -> Cell:
        """A cell showing the value at ``path`` formatted by ``fmt`` (default: str or number)."""
        return cell(self.get(*path), Ptr(self.name, path), fmt=fmt, flag=flag, missing=missing)


def text_cell(text: Any, *, flag: str | None = None) -> Cell:
    """A cell of derived or label text (no pointer)."""
    return Cell(text=str(text), flag=flag)


def is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ----------------------------------------------------------------------------- formatting


def fmt_pct(x: float, digits: int = 1) -> str:
    """``0.6123`` -> ``61.2%``; a small non-zero share keeps two significant digits (``0.000092`` -> ``0.0092%``),
    so the upper bound of a rate of 0 of n never reads as 0."""
    text = f"{100 * x:.{digits}f}%"
    if x and float(text[:-1]) == 0.0:
        return f"{100 * x:.2g}%"
    return text


def fmt_ratio(x: float) -> str:
    """``0.6123`` -> ``0.61``."""
    return f"{x:.2f}"


def fmt_count(x: float) -> str:
    """``3978`` -> ``3,978``."""
    return f"{round(x):,}"


def fmt_number(x: float) -> str:
    """Integers with separators; other numbers to 4 significant figures (1 decimal at least for big ones)."""
    if isinstance(x, int) or float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def fmt_months(x: float) -> str:
    """Months to one decimal, or a whole number."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def fmt_ci(ci: Any, fmt: Any) -> str | None:
    """``[lo, hi]`` formatted as ``lo–hi``; ``None`` when not a pair of numbers."""
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(is_number(v) for v in ci):
        return f"{fmt(ci[0])}–{fmt(ci[1])}"
    return None


def slug(text: Any) -> str:
    """An ASCII anchor fragment: ``income_quintile×education`` -> ``income-quintile-education``."""
    out = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in str(text).lower())
    out = "-".join(p for p in out.split("-") if p)
    return out or "x"


def anchor(index: int, *parts: Any) -> str:
    """Anchor id of scorer ``index``'s part: ``anchor(0, "disparity", "education")`` -> ``s0-disparity-education``.

    Ids never contain a scorer's name, so a hostile name cannot break them.
    """
    return "-".join([f"s{index}", *(slug(p) for p in parts)])


def audited_attributes(results: ResultsDocument) -> list[str]:
    """The attributes the run audited (``audited_attributes``); income quintile and education when it names none."""
    return list(results["audited_attributes"]) or ["income_quintile", "education"]


def attribute_words(attr: str) -> str:
    """An attribute in a heading: ``income_quintile`` -> ``income``, ``age_band`` -> ``age band``."""
    return {"income_quintile": "income"}.get(attr, attr.replace("_", " "))


def humanize_key(key: Any) -> str:
    """``median_months_to_remedy`` -> ``median months to remedy``."""
    return str(key).replace("_", " ")
