"""Disparity audit: who gets the good tiers and who gets sanctioned, by group.

Per chunk it keeps exact counts per cell (tier counts, sanction counts, score
value counts); at the end it reports, per audited attribute, each group's
``n``, favourable rate, adverse (any-sanction) rate and mean score, and the
impact ratio of each group's favourable rate to the highest group's — the
EEOC four-fifths rule (29 CFR 1607.4(D)): a ratio under 0.8 is generally
evidence of adverse impact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from audit.aggregate import Counts, ValueCounts
from audit.engine import AuditContext, ScoredChunk
from audit.groups import UNKNOWN

__all__ = ["DisparityAudit", "FOUR_FIFTHS"]

#: EEOC Uniform Guidelines, 29 CFR 1607.4(D).
FOUR_FIFTHS = 0.8


def _bincount(cells: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    if weights is not None and weights.dtype == bool:
        return np.bincount(cells[weights], minlength=n).astype(np.int64)
    return np.bincount(cells, weights=weights, minlength=n).astype(np.int64)


class DisparityAudit:
    """Streaming disparity statistics for income quintile, education and extra attributes."""

    name = "disparity"

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        n_cells = chunk.layout.n_cells
        cells = chunk.cells
        n_tiers = len(chunk.scorer.tiers)
        tier = chunk.frame["tier"].cat.codes.to_numpy().astype(np.int64)
        tiers = np.bincount(cells * n_tiers + tier, minlength=n_cells * n_tiers).reshape(n_cells, n_tiers)
        sanctions = np.stack(
            [_bincount(cells, n_cells, chunk.frame[s].to_numpy()) for s in chunk.scorer.sanctions], axis=1
        ) if chunk.scorer.sanctions else np.zeros((n_cells, 0), dtype=np.int64)
        return {
            "tiers": Counts(tiers.astype(np.int64)),
            "sanctions": Counts(sanctions),
            "any_sanction": Counts(_bincount(cells, n_cells, chunk.sanctioned)),
            "scores": ValueCounts.of(chunk.frame["score"].to_numpy(), cells, n_cells),
        }

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        scorer = ctx.scorer
        layout = ctx.layout
        tiers = merged["tiers"].array
        fav_idx = [i for i, t in enumerate(scorer.tiers) if t in scorer.favourable_tiers]
        n = tiers.sum(axis=1)
        favourable = tiers[:, fav_idx].sum(axis=1)
        adverse = merged["any_sanction"].array
        score_sum = merged["scores"].cell_sums()  # exact, chunk-order free (see ValueCounts)
        out: dict[str, Any] = {}
        for attr in layout.names:
            keep = (attr,)
            out[attr] = _attribute_section(
                labels=layout.attribute(attr).labels,
                n=layout.marginal(n, keep),
                favourable=layout.marginal(favourable, keep),
                adverse=layout.marginal(adverse, keep),
                score_sum=layout.marginal(score_sum, keep),
                min_share=ctx.options.min_cell_share,
            )
        return out


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def _attribute_section(*, labels, n, favourable, adverse, score_sum, min_share) -> dict[str, Any]:
    total = int(n.sum())
    fav_rate = _rate(favourable, n)
    known = np.array([lab != UNKNOWN for lab in labels])
    eligible = known & (n > 0) & (n >= min_share * total)
    best = int(np.argmax(np.where(eligible, fav_rate, -np.inf))) if eligible.any() else None
    best_rate = fav_rate[best] if best is not None else np.nan
    groups = []
    for i, label in enumerate(labels):
        if label == UNKNOWN:
            continue
        ratio = fav_rate[i] / best_rate if eligible[i] and best_rate > 0 else np.nan
        groups.append(
            {
                "group": label,
                "n": int(n[i]),
                "favourable_rate": _num(fav_rate[i]),
                "adverse_rate": _num(_rate(adverse[i], n[i])),
                "mean_score": _num(_rate(score_sum[i], n[i])),
                "impact_ratio": _num(ratio),
                "excluded_from_ratios": bool(not eligible[i]),
            }
        )
    ratios = [g["impact_ratio"] for g in groups if g["impact_ratio"] is not None]
    min_ratio = min(ratios) if ratios else None
    return {
        "groups": groups,
        "unknown_n": int(n[~known].sum()),
        "reference_group": labels[best] if best is not None else None,
        "min_impact_ratio": min_ratio,
        "four_fifths_violation": bool(min_ratio is not None and min_ratio < FOUR_FIFTHS),
    }


def _num(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else x
