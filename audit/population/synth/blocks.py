"""Drawing one block of the synthetic population: its people, their events, their ties.

Block ``b`` draws from its own seed ``SeedSequence(seed, spawn_key=(b,))``;
every random number is drawn here from that ``Generator`` (uniforms,
normals, the beta, the integers and the follow-ups' Poisson delays in compiled code through
:class:`~audit.population.synth.draw_kernels.Draws`, the same numbers as
numpy's methods; the cells' Poisson totals by numpy's own) and handed to the compiled kernels
(:mod:`audit.population.synth.event_kernels`,
:mod:`audit.population.synth.tie_kernels`). See :mod:`audit.population.synth`
for the method.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from audit.errors import InvalidArgument
from audit.lazy import lazy_module
from audit.population.spec import PopulationSpec
from audit.population.synth.buffers import Columns, Scratch
from audit.population.synth.tables import KIND_BITS, KIND_TO_DOMAIN, Compiled
from audit.vocab import EDUCATION_LEVELS

if TYPE_CHECKING:
    from audit.population.synth import draw_kernels, event_kernels, follow_kernels, tie_kernels
    from audit.population.synth.draw_kernels import Draws
else:  # compiled: imported where first called (see audit.lazy)
    draw_kernels = lazy_module("audit.population.synth.draw_kernels")
    event_kernels = lazy_module("audit.population.synth.event_kernels")
    follow_kernels = lazy_module("audit.population.synth.follow_kernels")
    tie_kernels = lazy_module("audit.population.synth.tie_kernels")

__all__ = ["BLOCK_SIZE", "block_events", "block_people", "draw_block", "draw_people", "release_scratch", "write_sorted_events"]

#: People per generation block. Fixed: changing it changes every population
#: (and at most ``2**16``: the tie sort packs a row number into 16 bits).
BLOCK_SIZE = 1 << 16

_AMOUNT_SIGMA = 0.5  # log-normal spread of event amounts (assumption)
_HOMOPHILY_REACH = 12  # SES neighbours a homophilous tie is drawn from, either side


def _noise_weight(loading: float) -> float:
    """Weight of a person's own noise in a Gaussian correlated with ``z`` by ``loading``."""
    return float(np.sqrt(max(0.0, 1.0 - loading * loading)))


def block_people(size: int, block: int) -> int:
    """How many people block ``block`` of a population of ``size`` holds."""
    n = min(BLOCK_SIZE, size - block * BLOCK_SIZE)
    if n <= 0:
        raise InvalidArgument(f"block {block} is past the end of a population of {size} people")
    return n


_SCRATCH = Scratch()


def release_scratch() -> None:
    """Free the work arrays kept from block to block once a chunk's blocks are drawn.

    Kept, they (about 37 MiB at 65,536-person blocks) would sit beside the
    chunk's scoring and audits, whose temporaries can reuse the memory
    instead; the next chunk allocates them again from the heap the process
    kept (:func:`audit.engine.allocator.reuse_freed_memory`).
    """
    _SCRATCH.release()


def draw_block(
    spec: PopulationSpec, c: Compiled, out: Columns, *, seed: int, block: int, size: int, row: int, people_total: int
) -> None:
    """Draw block ``block`` into ``out``: its people at rows ``row ..``, its events and ties after those already there."""
    first = block * BLOCK_SIZE
    n = block_people(size, block)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    mine = slice(row, row + n)
    z = draw_people(spec, c, rng, out, mine)
    ev_local, ev_month, ev_kind, _ = block_events(
        spec, c, rng, n=n, quintile=out.quintile[mine], edu=out.education[mine], urban=out.urban[mine],
        age=out.age[mine], reliability=out.reliability[mine],
    )  # follow-ups falling past the horizon are not drawn into the population
    write_sorted_events(spec, c, rng, out, ev_local, ev_month, ev_kind, first=first, mine=mine, people_total=people_total)

    # --- ties
    ties, most_listed = _ties(
        rng, z, out.education[mine], spec.friends_per_person, spec.homophily, first,
        out.tie_person[out.ties :], out.tie_friend[out.ties :],
    )
    out.ties += ties
    out.most_listed = max(out.most_listed, most_listed)  # ties stay within a block: a block's in-degree is the chunk's


def draw_people(spec: PopulationSpec, c: Compiled, rng: np.random.Generator, out: Columns, mine: slice) -> np.ndarray:
    """Draw the people of rows ``mine`` of ``out`` (the first draws of a block's stream); returns their
    socio-economic position ``z`` (a work array, valid until the next block)."""
    n = mine.stop - mine.start
    work = _SCRATCH.get
    with draw_kernels.Draws(rng) as draws:
        z = draws.standard_normals(work("z", n))
        e_edu = draws.standard_normals(work("e_edu", n))
        e_urban = draws.standard_normals(work("e_urban", n))
        r_male = draws.uniforms(work("r_male", n))
        r_region = draws.uniforms(work("r_region", n))
        r_band = draws.uniforms(work("r_band", n))
        r_age = draws.uniforms(work("r_age", n))
        draws.betas(spec.reliability_alpha, spec.reliability_beta, out.reliability[mine])
    u = ndtr(z, out=work("u", n))
    event_kernels.people_columns(
        u, z, e_edu, e_urban, r_male, r_region, r_band, r_age,
        c.income_bounds, spec.education_ses_loading, _noise_weight(spec.education_ses_loading), c.edu_cuts,
        spec.urban_ses_loading, _noise_weight(spec.urban_ses_loading), c.urban_cut,
        spec.male_share, c.region_cum, c.age_cum, c.age_edges,
        out.quintile[mine], out.income[mine], out.education[mine], out.urban[mine], out.male[mine], out.region[mine],
        out.age[mine],
    )
    return z


def write_sorted_events(spec: PopulationSpec, c: Compiled, rng: np.random.Generator, out: Columns, ev_local: np.ndarray,
                        ev_month: np.ndarray, ev_kind: np.ndarray, *, first: int, mine: slice, people_total: int) -> None:
    """Order events (person row, month in ``[0, spec.horizon_months)``, kind) by (person, month, kind), draw their
    amounts and genuineness and append them to ``out.events`` for the people of rows ``mine`` (ids from ``first``)."""
    work = _SCRATCH.get
    n = mine.stop - mine.start
    m = ev_local.shape[0]
    shift = max(1, (spec.horizon_months << KIND_BITS).bit_length())  # person << shift | month << kind bits | kind
    key_type = np.int32 if (n << shift) < 2**31 else np.int64  # 32-bit keys: half the memory traffic
    packed = work("packed", m, key_type)
    with_amount = event_kernels.sort_events(
        ev_local, ev_month, ev_kind, KIND_BITS, shift, c.kind_unit, work("by_key", spec.horizon_months << KIND_BITS, np.int32),
        work("by_person", n + 1, np.int32), work("unpacked", m, key_type), packed,
    )
    with draw_kernels.Draws(rng) as draws:
        noise = draws.amount_log_noise(_AMOUNT_SIGMA, work("noise", with_amount))
        u_genuine = draws.uniforms(work("u_genuine", m))
    np.exp(noise, out=noise)  # numpy's exp: its last-bit rounding is the population's
    ev = out.events
    rows = ev.reserve(m, people_done=mine.stop, people_total=people_total)
    event_kernels.write_events(
        packed, KIND_BITS, shift, first, out.income[mine], out.education[mine], c.kind_source, KIND_TO_DOMAIN,
        c.kind_unit, c.kind_scale, noise, u_genuine, c.mis_source, c.mis_edu,
        ev.person[rows], ev.month[rows], ev.kind[rows], ev.source[rows], ev.domain[rows], ev.amount[rows], ev.genuine[rows],
    )


def block_events(spec: PopulationSpec, c: Compiled, rng: np.random.Generator, *, n, quintile, edu, urban, age, reliability
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Event (person row, month, kind code) arrays over the spec's horizon, unordered (work arrays, valid until
    the next block), and the follow-ups drawn past the horizon as copies ``(person row, month, kind)``."""
    work = _SCRATCH.get
    horizon = spec.horizon_months
    n_cells = c.cell_total.shape[0]
    per_cell, start = work("per_cell", n_cells, np.int64), work("start", n_cells, np.int64)
    members, member_reliability = work("members", n, np.int32), work("member_reliability", n)
    event_kernels.event_cells(
        quintile, edu, urban, age, reliability, len(EDUCATION_LEVELS), c.age_cuts, c.n_age, c.rel_edges,
        c.n_rel_bins, work("cell", n, np.int32), per_cell, start, members, member_reliability,
    )
    present = np.flatnonzero(per_cell)

    # superposition: one Poisson total per cell, then a person and a kind per event
    totals = rng.poisson(per_cell[present] * c.cell_total[present])
    m = int(totals.sum())
    with draw_kernels.Draws(rng) as draws:
        u_person = draws.uniforms(work("u_person", m))
        u_kind = draws.uniforms(work("u_kind", m))
        person, slot, log_keep = work("person", m, np.int32), work("slot", m, np.int8), work("log_keep", m)
        n_thin = event_kernels.place_events(
            present, totals, per_cell, start, members, member_reliability, u_person, u_kind, c.alias_prob,
            c.alias_kind, c.n_rel_bins, c.n_rel, c.rel_slope, c.rel_mean, c.rel_worst, person, slot, log_keep,
        )

        # thinning: keep an event of a reliability kind with probability lambda(r) / bound
        kind = work("kind", m, np.int8)
        if c.n_rel:
            u_thin = draws.uniforms(work("u_thin", n_thin))
            kept = _thinning_kept(log_keep[:n_thin], u_thin)
            m = event_kernels.thin_events(person, slot, kept, c.n_rel, c.base_kinds, person, kind)
            person, kind = person[:m], kind[:m]
        else:
            np.take(c.base_kinds, slot, out=kind)
        month = draws.integers(0, horizon, work("month", m, np.int16))

        # follow-ups (e.g. a judgment performed some months after a default), appended; those past the horizon set aside
        late_person, late_month, late_kind = [np.zeros(0, np.int32)], [np.zeros(0, np.int64)], [np.zeros(0, np.int8)]
        for rule in c.follow:
            person, month, kind, m, (rule_person, rule_month, rule_kind) = _follow_ups(
                draws, rule, person, month, kind, m, horizon,
            )
            late_person.append(rule_person)
            late_month.append(rule_month)
            late_kind.append(rule_kind)
    return person, month, kind, (np.concatenate(late_person), np.concatenate(late_month), np.concatenate(late_kind))


def _thinning_kept(log_keep: np.ndarray, u_thin: np.ndarray) -> np.ndarray:
    """``u_thin < np.exp(log_keep)`` (a work array): decided in compiled code, numpy's ``exp`` taken only when
    some ``u_thin`` is too close to call (:func:`~audit.population.synth.event_kernels.thinning_kept`)."""
    kept = _SCRATCH.get("kept", log_keep.shape[0], np.bool_)
    if event_kernels.thinning_kept(log_keep, u_thin, kept):
        np.less(u_thin, np.exp(log_keep), out=kept)  # numpy's exp: its last-bit rounding is the population's
    return kept


def _follow_ups(draws: Draws, rule: tuple[int, int, float, float], person: np.ndarray, month: np.ndarray,
                kind: np.ndarray, m: int, horizon: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """One follow-up rule over the first ``m`` events: those within the horizon appended to the work arrays
    ``person``, ``month``, ``kind`` (returned lengthened, with the new count), the others returned as copies.

    The numpy formulation (the same draws in the same order)::

        idx = np.flatnonzero(kind == trigger)
        idx = idx[rng.random(idx.shape[0]) < prob]
        months = month[idx] + 1 + rng.poisson(max(delay - 1.0, 0.0), idx.shape[0])

    then the follow-ups with ``months < horizon`` appended as kind
    ``follow_kind`` (:func:`~audit.population.synth.follow_kernels.append_follow_ups`).
    """
    follow_kind, trigger, prob, delay = rule
    work = _SCRATCH.get
    u = draws.uniforms(work("u_follow", follow_kernels.count_equal(kind[:m], trigger)))
    followed = work("followed", u.shape[0] + 1, np.int64)  # room for one more: the kernel writes every row
    followed = followed[: follow_kernels.followed_events(kind[:m], trigger, u, prob, followed)]
    delays = draws.poissons(max(delay - 1.0, 0.0), work("follow_delay", followed.shape[0], np.int64))
    room = m + followed.shape[0]
    person = _SCRATCH.grow("person", room, keep=m)
    kind = _SCRATCH.grow("kind", room, keep=m)
    month = _SCRATCH.grow("month", room, keep=m)
    late_person, late_month = work("late_person", followed.shape[0], np.int32), work("late_month", followed.shape[0], np.int64)
    grown = follow_kernels.append_follow_ups(
        person, month, kind, m, followed, delays, horizon, follow_kind, late_person, late_month,
    )
    late = followed.shape[0] - (grown - m)
    late_ones = (late_person[:late].copy(), late_month[:late].copy(), np.full(late, follow_kind, dtype=np.int8))
    return person[:grown], month[:grown], kind[:grown], grown, late_ones


def _ties(rng, z, edu, k, homophily, first, out_person, out_friend) -> tuple[int, int]:
    """Directed ties within the block, homophilous by socio-economic position; rows sorted, no duplicates.

    Writes them to the front of ``out_person`` / ``out_friend`` (room for
    ``k`` per person) as ids ``first + row``; returns how many, and the most
    ties naming any one person as the friend.
    """
    n = z.shape[0]
    if k == 0 or n < 2:
        return 0, 0
    work = _SCRATCH.get
    reach = min(_HOMOPHILY_REACH, n - 1)
    with draw_kernels.Draws(rng) as draws:
        order = _homophily_order(z, edu, draws.standard_normals(work("tie_noise", n)))
        u_near = draws.uniforms(work("u_near", n * k))  # row-major (n, k): draw j of person i is u_near[i * k + j]
        n_near = event_kernels.count_below(u_near, homophily)
        offset = draws.integers(0, 2 * reach, work("offset", n_near, np.int64))
        random_friend = draws.integers(0, n, work("random_friend", n * k - n_near, np.int64))
    # rows, ranks and in-degrees of a block are below 2**16 (an in-degree is at most n - 1): 16-bit work arrays
    # halve what the tie loop reads and updates at random, so order, rank and in_degree fit the core's cache
    return tie_kernels.tie_rows(
        order, u_near, homophily, offset, reach, random_friend, k, first, work("rank", n, np.uint16),
        work("in_degree", n, np.uint16), out_person, out_friend,
    )


def _homophily_order(z: np.ndarray, edu: np.ndarray, tie_noise: np.ndarray) -> np.ndarray:
    """The rows ordered by their homophily key (``np.argsort`` of it; a work array, valid until the next block)."""
    n = z.shape[0]
    work = _SCRATCH.get
    key = work("tie_key", n)
    tie_kernels.tie_key(z, edu, tie_noise, key)
    packed = work("tie_packed", n, np.uint64)
    tie_kernels.pack_keys(key, packed)
    packed.sort()  # numpy's sort of plain integers is far faster than its argsort
    order = work("order", n, np.uint16)  # rows of a block fit 16 bits (BLOCK_SIZE)
    if not tie_kernels.unpack_order(key, packed, order):  # equal keys: numpy's own order of them
        order[:] = np.argsort(key)
    return order
