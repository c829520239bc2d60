"""Paired statistics for comparing scorer variants on the same people.

:class:`PairedAudit` is a :class:`~audit.engine.contract.CrossScorerAudit` that, for every
person, records the joint outcome under all variants — favourable or not and
sanctioned or not under each — and counts people per (cell, joint outcome).
Those joint counts are exact and merge by addition, so they stream.

:func:`paired_bootstrap` draws a Poisson bootstrap from them: every joint
count ``c`` becomes ``Poisson(c)``, independently. Because a sum of ``c``
independent Poisson(1) weights is Poisson(c), this is the same as giving each
person a Poisson(1) weight — a bootstrap over people — and the *same* weight
under every variant, so differences between variants get paired intervals
(narrower than unpaired ones when the variants agree on most people).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from audit.aggregate import ValueCounts
from audit.engine.contract import AuditContext, ScoredChunk
from audit.errors import InvalidArgument

__all__ = ["MAX_VARIANTS", "JointCounts", "PairedAudit", "joint_counts", "paired_bootstrap"]

#: Two bits per variant in an int64 joint code, below the cell factor: at most 20 variants.
MAX_VARIANTS = 20


class PairedAudit:
    """Joint (favourable, sanctioned) outcome counts per cell across all variants of a run.

    A :class:`~audit.engine.contract.CrossScorerAudit`: the engine hands
    :meth:`collect_across` every variant's scoring of a chunk at once, and the
    joint counts are merged under the last variant's label. A chunk on which
    a variant failed contributes nothing (the comparison then reports its
    joint outcomes as incomplete). It holds nothing but its labels.
    """

    __slots__ = ("labels",)
    name = "paired"

    def __init__(self, labels: Sequence[str]) -> None:
        labels = tuple(labels)
        if len(labels) > MAX_VARIANTS:
            raise InvalidArgument(
                f"compare: {len(labels)} variants; at most {MAX_VARIANTS} can be compared in one run — split the grid"
            )
        self.labels = labels

    def collect(self, chunk: ScoredChunk) -> dict[str, Any]:
        """Nothing per variant: the joint outcomes need every variant (:meth:`collect_across`)."""
        return {}

    def collect_across(self, chunks: Mapping[str, ScoredChunk]) -> dict[str, dict[str, Any]]:
        """``{last label: {"joint": counts per (joint outcome, cell)}}``, or nothing when a variant is missing."""
        if not self.labels or any(label not in chunks for label in self.labels):
            return {}
        first = chunks[self.labels[0]]
        joint = np.zeros(len(first.cells), dtype=np.int64)
        for j, label in enumerate(self.labels):
            chunk = chunks[label]
            code = chunk.favourable.astype(np.int64) + 2 * chunk.sanctioned.astype(np.int64)
            joint += code << (2 * j)
        n_cells = first.layout.n_cells
        keys, counts = np.unique(joint * n_cells + first.cells, return_counts=True)
        return {self.labels[-1]: {"joint": ValueCounts(keys, counts.astype(np.int64), n_cells, 0)}}

    def finalize(self, merged: Mapping[str, Any], ctx: AuditContext) -> dict[str, Any]:
        joint = merged.get("joint") if isinstance(merged, Mapping) else None
        if joint is None:
            return {}
        return {"variants": list(self.labels), "people": int(joint.counts.sum()), "joint_outcomes": int(joint.keys.size)}


@dataclass(frozen=True, slots=True, kw_only=True)
class JointCounts:
    """People per (cell, joint outcome) over several variants."""

    labels: tuple[str, ...]
    """Variant labels, in bit order."""
    cells: np.ndarray
    """Cell code of each entry."""
    favourable: np.ndarray
    """Bool [entries, variants]: favourable under each variant."""
    sanctioned: np.ndarray
    """Bool [entries, variants]: sanctioned under each variant."""
    counts: np.ndarray
    """People in each entry."""


def joint_counts(joint: ValueCounts, labels: Sequence[str]) -> JointCounts:
    """Decode the merged joint counts of :class:`PairedAudit`."""
    codes = np.floor_divide(joint.keys, joint.n_cells)
    shifts = 2 * np.arange(len(labels), dtype=np.int64)
    bits = (codes[:, None] >> shifts[None, :]) & 3
    return JointCounts(labels=tuple(labels), cells=np.mod(joint.keys, joint.n_cells), favourable=(bits & 1).astype(bool),
                       sanctioned=(bits >> 1).astype(bool), counts=joint.counts.astype(np.int64))


def paired_bootstrap(counts: np.ndarray, replicates: int, rng: np.random.Generator, batch: int = 64):
    """Yield ``(start, weights)`` batches: ``weights[r, k] ~ Poisson(counts[k])``, independent.

    Batched so memory stays bounded by ``batch x entries`` whatever the number of replicates.
    """
    lam = np.asarray(counts, dtype=np.float64)
    for start in range(0, replicates, batch):
        size = min(batch, replicates - start)
        yield start, rng.poisson(lam, size=(size, lam.size)).astype(np.float64)
