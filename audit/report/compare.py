"""Compare scorer variants on the same people: ``scs-audit compare SPEC SPEC [...] [--grid key=v1,v2]``.

Every variant is scored in one run over one population, so differences
between variants are differences for the same people. Intervals for a
difference are paired: a Poisson bootstrap of the joint outcome counts (see
:mod:`audit.report.paired`), one set of person weights per replicate shared by
all variants. The first variant is the reference; each other variant is
compared with it and all pairs are in ``compare.json``.

Measures (``better`` says which direction is fairer or better for people):

- ``favourable_rate`` (higher): share of everyone in a favourable tier;
- ``adverse_rate`` (lower): share of everyone under any sanction;
- ``min_impact_ratio:<attr>`` (higher; fairness): lowest group favourable rate
  over the highest, groups under the minimum cell share and the unknown
  category excluded (as in the disparity audit; EEOC four-fifths rule);
- ``adverse_difference:<attr>`` (lower; fairness): highest minus lowest group
  sanction rate (fairlearn's ``difference``).

A variant is called fairer (or better) on a measure only when the paired 95%
interval of the difference excludes zero; otherwise the verdict is "no
measurable difference". Figures are shown with enough decimals that a
difference shown is visible (:func:`decimals`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from audit.engine.contract import ChunkAudit
from audit.errors import InvalidArgument
from audit.output.artefacts import finite_or_none as _num
from audit.population.groups import UNKNOWN, CellLayout
from audit.randomness import stream_id
from audit.report.paired import PairedAudit, joint_counts, paired_bootstrap
from audit.results.model.compare import CompareDocument

__all__ = [
    "COMPARE_SCHEMA_VERSION",
    "MEASURES",
    "NO_DIFFERENCE",
    "Measure",
    "decimals",
    "fmt_difference",
    "fmt_value",
    "record_decimals",
    "build_variants",
    "compare_document",
    "measure_values",
    "parse_grid",
    "run_compare",
]

COMPARE_SCHEMA_VERSION = 1
#: The verdict when the paired 95% interval of a difference includes zero.
NO_DIFFERENCE = "no measurable difference"
_ATTRS = ("income_quintile", "education")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measure:
    """One measure a comparison reports."""

    key: str
    """Key in ``compare.json``."""
    title: str
    """Plain-words name."""
    better: str
    """``higher`` or ``lower``: the direction that is fairer or better for the people scored."""
    fairness: bool
    """Whether the measure is about fairness between groups (else it is a level: how many are favoured or sanctioned)."""
    percent: bool
    """Shown in percent (rates) or as a ratio."""


MEASURES: tuple[Measure, ...] = (
    *(Measure(key=f"min_impact_ratio:{a}", title=f"lowest impact ratio by {a.replace('_', ' ')}", better="higher",
              fairness=True, percent=False) for a in _ATTRS),
    *(Measure(key=f"adverse_difference:{a}", title=f"gap in sanction rate by {a.replace('_', ' ')}", better="lower",
              fairness=True, percent=True) for a in _ATTRS),
    Measure(key="favourable_rate", title="favourable rate", better="higher", fairness=False, percent=True),
    Measure(key="adverse_rate", title="sanction rate", better="lower", fairness=False, percent=True),
)


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``"penalty_expiry_months=12,24,none"`` -> ``("penalty_expiry_months", [12, 24, None])``."""
    from scorers.registry import parse_value

    key, sep, values = str(text).partition("=")
    key = key.strip()
    items = [v for v in values.split(",") if v.strip()]
    if not sep or not key.isidentifier() or not items:
        raise InvalidArgument(f"grid={text!r}: write one parameter and its values as key=v1,v2,v3 "
                              "(e.g. grid=penalty_expiry_months=12,24,36)")
    return key, [parse_value(v) for v in items]


def build_variants(specs: Sequence[str], grid: tuple[str, list[Any]] | None = None) -> list[Any]:
    """Scorer objects: each spec, or with a grid each spec at each grid value."""
    from scorers.adapter import variant_of
    from scorers.registry import load_scorer

    if not specs:
        raise InvalidArgument("compare: name at least one scorer spec, e.g. `scs-audit compare suining suining:penalty_expiry_months=24`")
    bases = [load_scorer(s) for s in specs]
    if grid is None:
        variants = bases
    else:
        key, values = grid
        variants = []
        for spec, base in zip(specs, bases):
            known = dict(getattr(base, "params", {}) or {})
            if key not in known:
                raise InvalidArgument(f"grid={key}=...: scorer {spec!r} has no parameter {key!r}; "
                                      f"its parameters are {', '.join(sorted(known)) or '(none)'}")
            variants += [variant_of(base, {key: v}, spec) for v in values]  # a plugin's error names the scorer
    if len(variants) < 2:
        raise InvalidArgument("compare: need at least two variants; give two specs "
                              "(`scs-audit compare suining suining:penalty_expiry_months=24`) or a --grid with two values")
    return variants


# ----------------------------------------------------------------------------- measures


def _group_index(layout: CellLayout, cells: np.ndarray, attr: str) -> np.ndarray:
    axis = layout.names.index(attr)
    return np.unravel_index(cells, layout.shape)[axis]


def measure_values(jc: Any, layout: CellLayout, weights: np.ndarray, *, min_cell_share: float,
                   eligible: dict[str, np.ndarray] | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every measure for every variant under each row of person weights.

    ``weights`` is ``[replicates, entries]`` (the exact counts as one row give
    the point estimates). Returns ``({measure: [replicates, variants]}, eligible)``
    where ``eligible[attr]`` marks the groups that enter ratios — fixed from the
    exact counts when not given, so every replicate compares the same groups.
    """
    fav = jc.favourable.astype(np.float64)
    adv = jc.sanctioned.astype(np.float64)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = {"favourable_rate": (weights @ fav) / total[:, None], "adverse_rate": (weights @ adv) / total[:, None]}
        decided = {} if eligible is None else dict(eligible)
        for attr in _ATTRS:
            if attr not in layout.names:
                continue
            labels = layout.attribute(attr).labels
            g = _group_index(layout, jc.cells, attr)
            onehot = np.zeros((g.size, len(labels)))
            onehot[np.arange(g.size), g] = 1.0
            n = weights @ onehot  # [R, G]
            if attr not in decided:
                exact = jc.counts.astype(np.float64) @ onehot
                known = np.array([lab != UNKNOWN for lab in labels])
                decided[attr] = known & (exact > 0) & (exact >= min_cell_share * exact.sum())
            ok = decided[attr]
            ratio = np.full((weights.shape[0], fav.shape[1]), np.nan)
            gap = np.full_like(ratio, np.nan)
            for v in range(fav.shape[1]):
                f_rate = (weights @ (onehot * fav[:, v:v + 1])) / n
                a_rate = (weights @ (onehot * adv[:, v:v + 1])) / n
                if ok.any():
                    fr = np.where(ok[None, :], f_rate, np.nan)
                    best = np.nanmax(np.where(np.isnan(fr), -np.inf, fr), axis=1)
                    worst = np.nanmin(np.where(np.isnan(fr), np.inf, fr), axis=1)
                    ratio[:, v] = np.where(best > 0, worst / np.where(best > 0, best, 1.0), np.nan)
                    ar = np.where(ok[None, :], a_rate, np.nan)
                    gap[:, v] = np.max(np.where(np.isnan(ar), -np.inf, ar), axis=1) - np.min(np.where(np.isnan(ar), np.inf, ar), axis=1)
            gap[~np.isfinite(gap)] = np.nan
            out[f"min_impact_ratio:{attr}"] = ratio
            out[f"adverse_difference:{attr}"] = gap
    return out, decided


def _interval(samples: np.ndarray) -> list[float] | None:
    finite = samples[np.isfinite(samples)]
    if finite.size < max(10, 0.9 * samples.size):
        return None
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return [float(lo), float(hi)]


def _verdict(m: Measure, diff: float | None, ci: list[float] | None, a: str, b: str) -> dict[str, Any]:
    """Which of ``a`` (reference) and ``b`` is fairer/better on ``m``, if the paired interval decides it."""
    if diff is None or ci is None:
        return {"winner": None, "verdict": "undetermined"}
    sign = 1 if m.better == "higher" else -1
    word = "fairer" if m.fairness else "better"
    lo, hi = sorted((sign * ci[0], sign * ci[1]))
    if lo > 0:
        return {"winner": b, "verdict": f"{b} {word}"}
    if hi < 0:
        return {"winner": a, "verdict": f"{a} {word}"}
    return {"winner": None, "verdict": NO_DIFFERENCE}


# ----------------------------------------------------------------------------- the run


def run_compare(specs: Sequence[Any], config: Any = None, *, grid: tuple[str, list[Any]] | None = None,
                progress: bool = False, variants: Sequence[Any] | None = None) -> tuple[Any, CompareDocument]:
    """Audit every variant on one population; returns ``(RunResult, compare document)``."""
    from audit.runner import RunConfig, default_audits, run, unique_labels

    config = config or RunConfig()
    scorers = list(variants) if variants is not None else build_variants([str(s) for s in specs], grid)
    labels = [label for label, _ in unique_labels(scorers)]
    audits: list[ChunkAudit] = [*default_audits(config.options), PairedAudit(labels)]
    result = run(scorers, config, audits=audits, progress=progress)
    return result, compare_document(result, labels, grid=grid)


def compare_document(result: Any, labels: Sequence[str], *, grid: tuple[str, list[Any]] | None = None) -> CompareDocument:
    """The JSON-ready comparison of a run's variants (``compare.json``, typed by
    :class:`~audit.results.model.compare.CompareDocument`)."""
    from audit.output.artefacts import to_jsonable
    from audit.results.document import package_version, results_document

    options = result.options
    doc_runs = results_document(result)["scorers"]
    for entry in doc_runs:
        entry.pop("paired", None)
    failed = [r.label for r in result.runs if r.error]
    variants: list[dict[str, Any]] = [
        {k: e.get(k) for k in ("label", "name", "version", "params", "status", "error") if k in e} for e in doc_runs
    ]
    joint = None
    for r in result.runs:
        if r.error is None and isinstance(r.aggregates.get("paired"), dict) and "joint" in r.aggregates["paired"]:
            joint = r.aggregates["paired"]["joint"]
    doc: dict[str, Any] = {
        "schema_version": COMPARE_SCHEMA_VERSION,
        "kind": "scs-audit comparison (exact, private)",
        "private": True,
        "package_version": package_version(),
        "created": result.started or _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "population": result.population,
        "options": dataclasses.asdict(options),
        "reference": labels[0],
        "grid": {"key": grid[0], "values": list(grid[1])} if grid else None,
        "bootstrap_replicates": int(options.bootstrap),
        "interval_method": "paired Poisson bootstrap over people (each joint outcome count c drawn as Poisson(c))",
        "measures": [dataclasses.asdict(m) for m in MEASURES],
        "variants": variants,
        "pairs": [],
        "best": {},
        "summary": [],
        "audits": {e["label"]: {k: v for k, v in e.items() if k not in ("label", "name", "version", "params", "status", "error")}
                   for e in doc_runs},
    }
    if failed:
        doc["summary"].append(f"variant(s) {', '.join(failed)} failed and are not compared: "
                              + "; ".join(f"{r.label}: {r.error}" for r in result.runs if r.error))
    people = int(joint.counts.sum()) if joint is not None else 0
    if joint is None or people != result.population.get("size", people) or failed:
        doc["paired"] = {"available": False, "reason": "a variant failed on some chunk, so joint outcomes are incomplete"}
        return cast(CompareDocument, to_jsonable(doc))
    jc = joint_counts(joint, labels)
    point, eligible = measure_values(jc, result.layout, jc.counts[None, :].astype(np.float64), min_cell_share=options.min_cell_share)
    rng = np.random.default_rng([options.seed, stream_id("compare")])
    reps = {k: np.empty((options.bootstrap, len(labels))) for k in point}
    for start, w in paired_bootstrap(jc.counts, options.bootstrap, rng):
        vals, _ = measure_values(jc, result.layout, w, min_cell_share=options.min_cell_share, eligible=eligible)
        for k, values in vals.items():
            reps[k][start:start + w.shape[0]] = values
    doc["paired"] = {"available": True, "people": people, "joint_outcomes": int(jc.counts.size)}
    for j, v in enumerate(variants):
        v["measures"] = {m.key: {"value": _num(point[m.key][0, j]), "ci": _interval(reps[m.key][:, j])} for m in MEASURES if m.key in point}
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            pair: dict[str, Any] = {"a": labels[a], "b": labels[b], "measures": {}}
            for m in MEASURES:
                if m.key not in point:
                    continue
                diff = _num(point[m.key][0, b] - point[m.key][0, a])
                ci = _interval(reps[m.key][:, b] - reps[m.key][:, a])
                pair["measures"][m.key] = {"a": _num(point[m.key][0, a]), "b": _num(point[m.key][0, b]), "difference": diff,
                                           "difference_ci": ci, **_verdict(m, diff, ci, labels[a], labels[b])}
            doc["pairs"].append(pair)
    doc["best"] = _best(doc, labels)
    doc["summary"] += _summary(doc, labels)
    return cast(CompareDocument, to_jsonable(doc))


def _best(doc: dict[str, Any], labels: Sequence[str]) -> dict[str, Any]:
    """Per measure: the variant with the best point value, and whether every paired interval separates it."""
    out = {}
    for m in MEASURES:
        vals = [(v["measures"].get(m.key, {}).get("value"), v["label"]) for v in doc["variants"] if "measures" in v]
        vals = [(x, label) for x, label in vals if x is not None]
        if not vals:
            continue
        best_value, best = max(vals) if m.better == "higher" else min(vals)
        clear = all(p["measures"][m.key]["winner"] == best for p in doc["pairs"] if best in (p["a"], p["b"]) and m.key in p["measures"])
        out[m.key] = {"label": best, "value": best_value, "clear": bool(clear and len(vals) > 1)}
    return out


def decimals(m: Any, differences: Sequence[float | None]) -> int:
    """Decimals that make every non-zero difference (or value) visible: at least 2 for ratios and 1 for percentage
    points, at most 6.

    A difference of 0.004 between two ratios shown to 2 decimals would read "0.97 vs 0.97 (+0.00)"; with 3 it is
    "0.971 vs 0.967 (+0.004)". ``m`` is a :class:`Measure` or its dict in ``compare.json``.
    """
    percent = m["percent"] if isinstance(m, dict) else m.percent
    base, scale = (1, 100.0) if percent else (2, 1.0)
    small = [abs(d) * scale for d in differences if d is not None and math.isfinite(d) and d != 0]
    if not small:
        return base
    return min(6, max(base, -math.floor(math.log10(min(small)))))


def record_decimals(m: Any, record: Mapping[str, Any]) -> int:
    """Decimals for one paired record (``{a, b, difference, difference_ci, winner}``): the values and the difference
    visibly non-zero, and, when the interval decides a winner, its bound nearest zero too (so "fairer" never sits
    beside an interval that reads "+0.00 to …")."""
    numbers = [record.get("difference"), record.get("a"), record.get("b")]
    ci = record.get("difference_ci")
    if record.get("winner") is not None and isinstance(ci, (list, tuple)):
        numbers += list(ci)
    return decimals(m, [x for x in numbers if isinstance(x, (int, float))])


def fmt_value(m: Any, x: float | None, digits: int) -> str:
    """A measure's value: a percentage for rates, a ratio otherwise; ``—`` when undefined."""
    if x is None:
        return "—"
    percent = m["percent"] if isinstance(m, dict) else m.percent
    return f"{100 * x:.{digits}f}%" if percent else f"{x:.{digits}f}"


def fmt_difference(m: Any, d: float | None, ci: Sequence[float] | None, digits: int) -> str:
    """``+2.6 points (95% CI +2.4 to +2.8)`` or ``+0.004 (95% CI +0.001 to +0.007)``; ``—`` when undefined."""
    if d is None:
        return "—"
    percent = m["percent"] if isinstance(m, dict) else m.percent
    scale, unit = (100.0, " points") if percent else (1.0, "")
    text = f"{scale * d:+.{digits}f}{unit}"
    if ci:
        text += f" (95% CI {scale * ci[0]:+.{digits}f} to {scale * ci[1]:+.{digits}f})"
    return text


def _summary(doc: dict[str, Any], labels: Sequence[str]) -> list[str]:
    """One line per variant against the reference: where it is fairer or better, what it costs, and where the paired
    interval includes zero ("no measurable difference"); the CLI and the report show the same as a table."""
    ref = labels[0]
    out = []
    for pair in doc["pairs"]:
        if pair["a"] != ref:
            continue
        b = pair["b"]
        gains, costs, same = [], [], []
        for m in MEASURES:
            r = pair["measures"].get(m.key)
            if r is None:
                continue
            k = record_decimals(m, r)
            what = (f"{m.title} {fmt_value(m, r['b'], k)} vs {fmt_value(m, r['a'], k)}, "
                    f"{fmt_difference(m, r['difference'], r['difference_ci'], k)}")
            if r["winner"] == b:
                gains.append(f"{'fairer' if m.fairness else 'better'} on {what}")
            elif r["winner"] == ref:
                costs.append(what)
            else:
                same.append(m.title)
        parts = ["; ".join(gains) if gains else f"not measurably fairer or better than {ref} on any measure"]
        if costs:
            parts.append("Costs: " + "; ".join(costs))
        if same:
            parts.append(f"{NO_DIFFERENCE.capitalize()} in " + ", ".join(same))
        out.append(f"{b} against {ref}: " + ". ".join(parts) + ".")
    return out
