"""A chunk of the synthetic population: whole blocks drawn in place, turned into frames once.

The public entry points of the generator (:func:`chunk_ranges`,
:func:`drawn_chunk`, :func:`checked_request`); see :mod:`audit.population.synth`
for the method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument
from audit.population.spec import PopulationSpec, load_spec
from audit.population.synth.blocks import BLOCK_SIZE, block_people, draw_block, release_scratch
from audit.population.synth.buffers import Columns, Events
from audit.population.synth.tables import (
    DOMAIN_CATEGORIES,
    EDUCATION_CATEGORIES,
    KIND_CATEGORIES,
    SEX_CATEGORIES,
    SOURCE_CATEGORIES,
    Compiled,
    compiled,
)
from audit.population.tie_bound import cap_in_degree_in_place, check_in_degree_bound

__all__ = ["BLOCK_SIZE", "GENERATOR_VERSION", "checked_request", "chunk_ranges", "drawn_chunk"]

#: Version of the generation algorithm; bumped whenever the same spec, seed and
#: size would give a different population (resumed runs check it).
GENERATOR_VERSION = 2



def _draw_chunk(spec: PopulationSpec, c: Compiled, *, seed: int, size: int, blocks: tuple[int, int]) -> Columns:
    people = sum(block_people(size, b) for b in range(*blocks))
    out = Columns.allocate(people, spec.friends_per_person)
    row = 0
    for b in range(*blocks):
        draw_block(spec, c, out, seed=seed, block=b, size=size, row=row, people_total=people)
        row += block_people(size, b)
    release_scratch()
    return out


def _categorical(codes: np.ndarray, dtype: pd.CategoricalDtype) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def events_frame(ev: Events) -> pd.DataFrame:
    """The filled rows of ``ev`` as the canonical event frame (over the columns themselves, not copies)."""
    m = ev.used
    return pd.DataFrame(
        {
            "person_id": ev.person[:m],
            "month": ev.month[:m],
            "kind": _categorical(ev.kind[:m], KIND_CATEGORIES),
            "domain": _categorical(ev.domain[:m], DOMAIN_CATEGORIES),
            "source": _categorical(ev.source[:m], SOURCE_CATEGORIES),
            "amount": ev.amount[:m],
            "genuine": ev.genuine[:m],
        },
        copy=False,
    )


def _assemble(spec: PopulationSpec, c: Compiled, seed: int, first: int, out: Columns) -> dict[str, Any]:
    n = out.age.shape[0]
    people = pd.DataFrame(
        {
            "person_id": np.arange(first, first + n, dtype=np.int64),
            "age": out.age,
            "sex": _categorical(out.male.view(np.int8), SEX_CATEGORIES),
            "urban": out.urban,
            "region": _categorical(out.region, c.region_categories),
            "income": out.income,
            "income_quintile": out.quintile,
            "education": _categorical(out.education, EDUCATION_CATEGORIES),
            "reliability": out.reliability,
        },
        copy=False,
    )
    events = events_frame(out.events)
    ties = pd.DataFrame({"person_id": out.tie_person[: out.ties], "friend_id": out.tie_friend[: out.ties]}, copy=False)
    return dict(
        people=people, events=events, ties=ties, horizon_months=spec.horizon_months,
        synthetic=True, spec=spec, seed=seed,
    )


def chunk_ranges(size: int, chunk_size: int) -> list[tuple[int, int]]:
    """Block ranges ``[(first_block, end_block), ...]`` covering ``size`` people in chunks.

    ``chunk_size`` is rounded up to whole blocks so every chunk starts on a block boundary.
    """
    if size < 1:
        raise InvalidArgument(f"size = {size}; a population needs at least 1 person")
    if chunk_size < 1:
        raise InvalidArgument(f"chunk_size = {chunk_size}; use a positive number of people")
    n_blocks = -(-size // BLOCK_SIZE)
    per = max(1, -(-chunk_size // BLOCK_SIZE))
    return [(b, min(b + per, n_blocks)) for b in range(0, n_blocks, per)]


def drawn_chunk(spec: PopulationSpec, *, seed: int, size: int, blocks: tuple[int, int],
                max_in_degree: int | None = None) -> tuple[dict[str, Any], int]:
    """The population of blocks ``blocks[0] .. blocks[1] - 1``, and the most ties naming any one person as the friend.

    The first is the fields of a :class:`~audit.population.model.Population`
    (:func:`audit.population.model.synthesize_chunk`); the second its largest
    in-degree as drawn (before any cap).

    The tie kernel counts in-degrees as it writes the ties, so the in-degree
    bound can skip its own pass over them. With ``max_in_degree`` the ties
    are capped (:func:`audit.population.tie_bound.cap_in_degree`, the same
    rows) in the generator's own columns before the frames are built
    (:func:`audit.population.tie_bound.cap_in_degree_in_place`), rather than
    copied into a second table beside the chunk.
    """
    c = compiled(spec)
    out = _draw_chunk(spec, c, seed=seed, size=size, blocks=blocks)
    if max_in_degree is not None:
        check_in_degree_bound(max_in_degree)
        if out.most_listed > max_in_degree:
            out.ties = cap_in_degree_in_place(out.tie_person[: out.ties], out.tie_friend[: out.ties], max_in_degree)
    return _assemble(spec, c, seed, blocks[0] * BLOCK_SIZE, out), out.most_listed


def checked_request(spec: PopulationSpec | str, *, size: Any, seed: Any) -> tuple[PopulationSpec, int, int]:
    """``(spec, size, seed)`` of a whole population, the spec loaded; a bad size or seed is refused."""
    spec = load_spec(spec) if isinstance(spec, str) else spec
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidArgument(f"size = {size!r}; give a whole number of people >= 1")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument(f"seed = {seed!r}; give a whole number >= 0")
    return spec, int(size), int(seed)
