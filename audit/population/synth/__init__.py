"""Synthetic populations drawn from a :class:`~audit.population.spec.PopulationSpec`.

People are generated in fixed blocks of :data:`BLOCK_SIZE` consecutive person
ids; block ``b`` draws from its own seed ``SeedSequence(seed, spawn_key=(b,))``
and ties stay within a block. So the population of a given spec, seed and size
is identical however it is chunked: a chunk is a run of whole blocks, drawn
block by block into numpy arrays and turned into frames once per chunk.

Joint structure: one latent socio-economic status ``z ~ N(0, 1)`` per person
sets the income quintile (``Phi(z)`` cut at fifths, so quintiles are exact
fifths in expectation) and, through correlated Gaussian thresholds, education
and urban residence. Thresholds are the normal quantiles of the spec's
cumulative shares, so each marginal matches the spec in expectation while
income and education are correlated (``education_ses_loading``).

Events. Each person has, for every base event kind ``k``, a Poisson number of
events over the horizon with mean ``lambda_k = rate_k * years * exp(income,
education, urban and reliability terms)``, zero outside the kind's age range.
They are drawn without a person x kind matrix of Poisson draws, in three exact
steps:

1. *Cells.* Everything in ``lambda_k`` but latent reliability is discrete
   (quintile, education, urban, which side of each age-range edge), and
   reliability is binned into :data:`_RELIABILITY_BINS` quantile bins. Within a
   cell ``c`` every person gets the bound ``B_ck`` = the largest ``lambda_k`` in
   the cell (the reliability term at the bin's worse edge).
2. *Superposition and splitting.* Independent Poisson(``B_ck``) counts for the
   ``n_c`` people of a cell are the same as a Poisson(``n_c * sum_k B_ck``)
   total, each event given a kind with probability ``B_ck / sum_k B_ck`` and a
   person uniformly among the cell's ``n_c`` members. So one Poisson draw per
   cell, an alias-table draw per event for the kind and one uniform per event
   for the person.
3. *Thinning.* An event of kind ``k`` for a person with reliability ``r`` is
   kept with probability ``lambda_k(r) / B_ck <= 1``; a thinned Poisson process
   is Poisson with the thinned rate, so kept counts are exactly Poisson(``lambda_k``).
   Only the comparison of a uniform with ``exp(log keep-probability)``
   reaches the population: a compiled ``exp`` decides it, numpy's ``exp``
   only when the two are too close to call
   (:func:`~audit.population.synth.event_kernels.thinning_kept`).

Events are then ordered by (person, month, kind) by a radix sort of one packed
integer key, from which person, month and kind are decoded.

All random numbers come from the block's numpy ``Generator``, in the order
and sizes of a plain numpy generator. Uniforms, standard normals, the
reliability beta and the bounded integers are drawn by compiled code that
steps the Generator's own PCG64 bit generator and turns its outputs into
numbers exactly as numpy's C code does
(:mod:`audit.population.synth.draw_kernels`: the same numbers and generator
state for a third to a half of numpy's CPU, checked draw for draw in
``tests/audit/test_synth_draws.py``), and so are the follow-ups' delays
(Poisson of mean below 10, numpy's multiplication method); the Poisson
totals per cell are numpy's own calls. The
deterministic work between draws (cells, alias lookups, thinning, sorting,
amounts, tie rows) is done by the compiled loops in
:mod:`audit.population.synth.event_kernels` and
:mod:`audit.population.synth.tie_kernels`, each equal to a numpy formulation (checked in
``tests/audit/test_synth_kernels.py``). The tie loop also counts how many
ties name each person, so the in-degree cap
(:func:`audit.population.tie_bound.cap_in_degree`) needs no pass of its own
over a chunk's ties when nobody is over it. A block's draws and work arrays go into
per-thread buffers reused from block to block, and the chunk's columns are
written in place (:mod:`audit.population.synth.buffers`).

The package: per-spec tables (:mod:`~audit.population.synth.tables`), one
block's draws (:mod:`~audit.population.synth.blocks`), a chunk of whole blocks
as frames (:mod:`~audit.population.synth.chunks`), one block's conduct over
later months, a stretch at a time, for the dynamics simulation
(:mod:`~audit.population.synth.months`; these two modules' names are this
package's face), and the compiled kernels and draws.
"""

from __future__ import annotations

from audit.population.synth.chunks import BLOCK_SIZE, GENERATOR_VERSION, checked_request, chunk_ranges, drawn_chunk
from audit.population.synth.months import DrawnMonths, FollowUps, draw_block_months

__all__ = ["BLOCK_SIZE", "GENERATOR_VERSION", "DrawnMonths", "FollowUps", "checked_request", "chunk_ranges",
           "draw_block_months", "drawn_chunk"]
