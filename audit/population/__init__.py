"""Who is audited: population specs, the synthetic generator, supplied tables, sources of chunks.

The stage every other one reads: :class:`Population` (people, events, ties)
comes either from a spec (:mod:`audit.population.spec`, drawn by
:mod:`audit.population.synth` and its compiled kernels) or from supplied
tables (:mod:`audit.population.table`: a deployed system's people with any
attributes, its scores, decisions and observed outcomes);
:mod:`audit.population.source` hands either out chunk by chunk. Groups of
people (income quintile, education, any ``by=`` column, bands and
intersections read by :mod:`audit.population.group_terms`) are defined in
:mod:`audit.population.groups`.

Names are imported lazily, so importing one module of this package loads no other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.lazy import lazy_exports

if TYPE_CHECKING:
    from audit.population.groups import CellLayout, layout_for
    from audit.population.model import Population, iter_chunks, load_population, synthesize
    from audit.population.source import PopulationSource, open_source
    from audit.population.spec import PopulationSpec, builtin_spec_names, load_spec
    from audit.population.view import PopulationView

_EXPORTS = {
    "Population": "audit.population.model",
    "PopulationView": "audit.population.view",
    "PopulationSpec": "audit.population.spec",
    "builtin_spec_names": "audit.population.spec",
    "load_spec": "audit.population.spec",
    "iter_chunks": "audit.population.model",
    "synthesize": "audit.population.model",
    "load_population": "audit.population.model",
    "PopulationSource": "audit.population.source",
    "open_source": "audit.population.source",
    "CellLayout": "audit.population.groups",
    "layout_for": "audit.population.groups",
}

__all__ = [
    "CellLayout",
    "Population",
    "PopulationSource",
    "PopulationSpec",
    "PopulationView",
    "builtin_spec_names",
    "iter_chunks",
    "layout_for",
    "load_population",
    "load_spec",
    "open_source",
    "synthesize",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
