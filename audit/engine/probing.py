"""The probe at the start of a run: each scorer checked on a small population before the expensive run.

Each scorer scores a small population (``AuditOptions.probe_size`` people,
default 1,000) twice, each time on a deep copy of the view. A content digest
of the copy taken before and after the first call tells whether the scorer
wrote to its input; comparing the two outputs tells whether it is
deterministic. The probe also meets every contract fault (raises, wrong row
count, NaN scores, undeclared tier or sanction column) on a few people before
the expensive run starts. Its cost is two calls on ``probe_size`` people per
scorer plus hashing those people's frames — independent of the population's size.

The probe is a sample: a scorer that misbehaves only on people the probe does
not contain, or only on some calls, can pass it. Everything it checks is also
checked (or, for mutation, made harmless) elsewhere: contract faults on every
chunk by :func:`audit.engine.contract.score_checked`, determinism and chunk invariance by
:func:`scorers.testing.check_scorer`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.engine.contract import score_checked
from audit.engine.guard import plugin_section, scorer_name, time_limited
from audit.engine.workers import Fault
from audit.errors import ScorerContractError, ScorerFailed
from audit.output.artefacts import plain_scalar as _plain
from audit.population.model import Population, PopulationView
from scorers.adapter import sharing_view
from scorers.protocol import Scorer, validate_declarations

__all__ = [
    "DEFAULT_PROBE_SIZE",
    "view_digest",
    "probe_population",
    "probe_one",
    "probe_scorer",
    "probe_scorers",
    "ProbeTask",
    "SyntheticProbe",
]

#: People in the start-of-run probe. Assumption: a thousand people exercise every
#: rule of the reference scorers on the builtin specs while costing milliseconds.
DEFAULT_PROBE_SIZE = 1000


# ----------------------------------------------------------------------------- input digests


def _frame_digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(repr([str(c) for c in frame.columns]).encode())
    for col in frame.columns:
        dtype = frame[col].dtype
        h.update(str(dtype).encode())
        if isinstance(dtype, pd.CategoricalDtype):
            h.update(repr((list(dtype.categories), dtype.ordered)).encode())
    h.update(pd.util.hash_pandas_object(frame.index).to_numpy().tobytes())
    if len(frame.columns):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def view_digest(view: PopulationView) -> dict[str, str]:
    """A content digest of each frame of a view (columns, dtypes, index and values)."""
    return {
        "people": _frame_digest(view.people),
        "events": _frame_digest(view.events),
        "ties": _frame_digest(view.ties),
        "horizon_months": str(view.horizon_months),
    }


def _copy_view(view: PopulationView) -> PopulationView:
    return PopulationView(
        people=view.people.copy(deep=True),
        events=view.events.copy(deep=True),
        ties=view.ties.copy(deep=True),
        horizon_months=view.horizon_months,
    )


# ----------------------------------------------------------------------------- the probe


def probe_population(source: Any, size: int) -> Population:
    """A small population like the run's: ``size`` synthetic people from the run's spec and seed,
    or the first ``size`` people (by id) of a supplied table with their events and the ties among them."""
    if source.supplied is None:
        from audit.population.model import synthesize_block

        return synthesize_block(source.spec, seed=source.seed, block=0, size=max(1, min(size, source.size)))
    pop = source.supplied
    if len(pop) <= size:
        return pop
    people = pop.people.iloc[:size].reset_index(drop=True)
    ids = people["person_id"].to_numpy()
    ev = pop.events
    events = ev[np.isin(ev["person_id"].to_numpy(), ids)].reset_index(drop=True)
    ties = pop.ties
    keep = np.isin(ties["person_id"].to_numpy(), ids) & np.isin(ties["friend_id"].to_numpy(), ids)
    from dataclasses import replace

    return replace(pop, people=people, events=events, ties=ties[keep].reset_index(drop=True), _fingerprint=[], _sorted={})


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [f"view.{k}" for k in before if before[k] != after[k]]


def _first_difference(a: pd.DataFrame, b: pd.DataFrame, people: pd.DataFrame) -> str | None:
    """Where two validated score frames of the same people differ, described; ``None`` if equal."""
    for col in a.columns:
        if col not in b.columns:
            return f"column {col!r} only in the first result"
        x, y = a[col], b[col]
        if isinstance(x.dtype, pd.CategoricalDtype):
            differ = x.astype(object).to_numpy() != y.astype(object).to_numpy()
        elif col == "reasons":
            differ = np.array([repr(p) != repr(q) for p, q in zip(x.tolist(), y.tolist())], dtype=bool)
        else:
            differ = x.to_numpy() != y.to_numpy()
        differ = np.asarray(differ, dtype=bool)
        if differ.any():
            i = int(np.argmax(differ))
            pid = people["person_id"].iloc[i]
            return (
                f"{col!r} differs for {int(differ.sum())} of {len(differ)} people "
                f"(first: person_id {_plain(pid)}, {_plain(x.iloc[i])!r} then {_plain(y.iloc[i])!r})"
            )
    return None


def probe_scorer(scorer: Scorer, population: Population, *, as_of: int) -> None:
    """Score ``population`` twice on deep copies; raise if the scorer mutates its input or is not deterministic.

    Raises
    ------
    ScorerFailed
        The scorer raised, exceeded its time limit, wrote to its input, or gave
        two different results for the same input.
    ScorerContractError
        Its output breaks the contract (see :func:`scorers.protocol.validate_score_frame`).
    """
    name = scorer_name(scorer)
    view = population.view()
    before = view_digest(view)
    first = _copy_view(view)
    a = score_checked(scorer, first, as_of=as_of)
    changed = _changed(before, view_digest(first))
    if changed:
        raise ScorerFailed(
            f"scorer {name!r} modified its input ({', '.join(changed)} changed while scoring "
            f"{len(view.people):,} probe people); score() must not write to the view — copy a frame before changing it"
        )
    b = score_checked(scorer, _copy_view(view), as_of=as_of)
    diff = _first_difference(a, b, view.people)
    if diff is not None:
        raise ScorerFailed(
            f"scorer {name!r} is not deterministic: scoring the same {len(view.people):,} probe people twice, {diff}; "
            "derive any randomness from the input (e.g. a seeded generator per call), never from global state"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticProbe:
    """The probe population of a synthetic source, drawn where it is used (:func:`probe_population`).

    A worker draws it with the generation kernels it inherited from the
    forkserver; drawing it in the main process instead loaded those kernels
    there too (about 20-35 MiB of the command's memory for the whole run),
    only to pickle a thousand people to every worker.
    """

    source: Any
    """The run's :class:`~audit.population.source.PopulationSource` (a spec, a size and a seed: small)."""
    size: int

    def population(self) -> Population:
        return probe_population(self.source, self.size)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeTask:
    """One scorer's probe, as a supervised worker runs it (:mod:`audit.engine.workers`)."""

    label: str
    scorer: Scorer
    population: Population | SyntheticProbe
    """The probe population, or how to draw it in the worker (a synthetic source)."""
    as_of: int | None
    """The month scored; ``None``: the population's last."""
    timeout: float | None


def probe_one(task: ProbeTask) -> str | None:
    """Why ``task``'s scorer failed its probe, or ``None`` (the function a supervised pool maps)."""
    population = task.population.population() if isinstance(task.population, SyntheticProbe) else task.population
    as_of = population.horizon_months - 1 if task.as_of is None else task.as_of
    with plugin_section(task.label):
        try:
            probe_scorer(time_limited(sharing_view(task.scorer), task.timeout), population, as_of=as_of)
        except ScorerFailed as exc:
            return str(exc)
        except ScorerContractError as exc:
            return f"ScorerContractError: {exc}"
    return None


def _probe_fault(task: ProbeTask, label: str, message: str) -> Any:
    return Fault(result=message)


def probe_scorers(
    scorers: Sequence[tuple[str, Any]],
    source: Any,
    options: Any,
    *,
    executor: Any = None,
) -> dict[str, str]:
    """Check each labelled scorer's declarations, then probe it on a small population.

    Returns label -> why it failed (failures only). ``source`` is the run's
    :class:`~audit.population.source.PopulationSource`; ``options`` its
    :class:`~audit.engine.contract.AuditOptions` (``probe_size`` 0 skips the probe, not the declarations).
    ``executor``: a supervised pool (:class:`audit.engine.workers.ProcessExecutor`) to
    probe in, so that a scorer that ends or hangs its process fails alone.
    """
    failed: dict[str, str] = {}
    declared_order = list(scorers)
    for label, scorer in scorers:
        try:
            validate_declarations(scorer)
        except ScorerContractError as exc:
            failed[label] = f"ScorerContractError: {exc}"
    scorers = [(label, s) for label, s in scorers if label not in failed]
    size = int(getattr(options, "probe_size", DEFAULT_PROBE_SIZE))
    if size <= 0 or not scorers:
        return failed
    # a synthetic probe population is drawn in the workers, which have the generator loaded; a supplied one is cut here
    population: Population | SyntheticProbe = (
        SyntheticProbe(source=source, size=size) if executor is not None and source.supplied is None
        else probe_population(source, size)
    )
    timeout = getattr(options, "scorer_timeout", None)
    tasks = [ProbeTask(label=label, scorer=s, population=population, as_of=options.as_of, timeout=timeout)
             for label, s in scorers]
    if executor is None:
        done = ((task, probe_one(task)) for task in tasks)
    else:
        done = executor.imap_unordered(probe_one, iter(tasks), on_fault=_probe_fault)
    for task, why in done:
        if why is not None:
            failed[task.label] = why
    return {label: failed[label] for label, _ in declared_order if label in failed}
