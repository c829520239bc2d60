"""Hand-built run results with known exact aggregates (no scoring needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np

from audit.aggregate import Counts, Records, ValueCounts
from audit.engine.contract import AuditOptions
from audit.population.groups import Attribute, CellLayout, layout_for
from audit.runner import ScorerRun
from scorers.protocol import ScorerTags


@dataclass(frozen=True)
class FakeScorer:
    name: str = "fake"
    version: str = "2.1"
    description: str = "test scorer"
    params: Any = field(default_factory=lambda: MappingProxyType({"k": 3}))
    tiers: tuple = ("good", "fair", "bad")
    favourable_tiers: frozenset = frozenset({"good"})
    sanctions: Any = field(default_factory=lambda: MappingProxyType({"ban": "travel"}))
    score_bounds: tuple = (0.0, 100.0)
    tags: Any = field(default_factory=ScorerTags)  # reads no ties: sensitivities without the tie term


def fake_result(*, rng_seed: int = 7, scale: int = 1, synthetic: bool = True, extra: Attribute | None = None,
                appeal: dict | None = None, scorers: int = 1, failed: bool = False) -> SimpleNamespace:
    """A run result whose exact tables are drawn once from a fixed seed (the truth, not noise).

    ``scale`` multiplies every count; ``appeal`` gives per-person appeal columns
    (``person_id``, ``cell``, ``filed``, ``succeeded``, ``wrong_filed``, ``wrong_succeeded``). Each person has score 10 * tier_code + 5 + cell % 7
    (an integer in [5, 31]), so exact sums are easy to recompute.
    """
    layout = layout_for(())
    if extra is not None:
        layout = CellLayout(attributes=(*layout.attributes, extra))
    rng = np.random.default_rng(rng_seed)
    n_cells = layout.n_cells
    runs = []
    for j in range(scorers):
        scorer = FakeScorer(name=f"fake{j}" if j else "fake")
        tiers = rng.integers(50, 400, size=(n_cells, 3)) * scale
        adverse = (tiers[:, 2] * 0.6).astype(np.int64)
        # scores: per (cell, tier) all people share one value
        keys, counts = [], []
        for c in range(n_cells):
            for t in range(3):
                value = 10 * t + 5 + c % 7
                keys.append(value * 100 * n_cells + c)
                counts.append(tiers[c, t])
        order = np.argsort(keys)
        scores = ValueCounts(np.asarray(keys, dtype=np.int64)[order], np.asarray(counts, dtype=np.int64)[order],
                             n_cells, 2)
        aggregates = {"disparity": {"tiers": Counts(tiers.astype(np.int64)), "sanctions": Counts(adverse[:, None]),
                                    "any_sanction": Counts(adverse), "scores": scores}}
        sections = {"disparity": {}}
        if appeal is not None:  # per-person appeal records, as audit.replay.appeal keeps them
            aggregates["appeal"] = {"people": Records({k: np.asarray(v) for k, v in appeal.items()})}
        error = "boom" if failed and j == scorers - 1 else None
        runs.append(ScorerRun(label=scorer.name, scorer=scorer, sections=sections if error is None else {},
                              aggregates=aggregates if error is None else {}, error=error))
    population = {"name": "fake", "synthetic": synthetic, "size": int(sum(r.aggregates["disparity"]["tiers"].array.sum()
                  for r in runs[:1])), "seed": 3 if synthetic else None, "fingerprint": "f" * 64,
                  "horizon_months": 24, "ties": {"max_in_degree": 20, "max_out_degree": 5}}
    if not synthetic:
        population["person_ids"] = {"fingerprint": "a" * 64, "sketch": list(range(100)), "count": 100}
    return SimpleNamespace(population=population, options=AuditOptions(), layout=layout, runs=tuple(runs),
                           started="2026-01-01T00:00:00+00:00", seconds={})


def exact_cells(result: SimpleNamespace, j: int = 0) -> np.ndarray:
    """Exact tier counts summed to (income quintile, education, tier)."""
    tiers = result.runs[j].aggregates["disparity"]["tiers"].array
    return result.layout.marginal(tiers, ("income_quintile", "education"))


def walk_figures(node: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every figure (a dict with ``value`` and ``ci95``) in a document, with its path."""
    out = []
    if isinstance(node, dict):
        if "value" in node and "ci95" in node:
            return [(path, node)]
        for k, v in node.items():
            out += walk_figures(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += walk_figures(v, f"{path}[{i}]")
    return out
