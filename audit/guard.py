"""Guarding a run against faulty scorer plugins.

Two protections, both reported against the scorer's label so that the other
scorers in the run still complete:

- **a time limit per call** (``--scorer-timeout SECONDS``):
  :func:`time_limited` wraps a scorer so that every ``score`` call — the main
  scoring of a chunk and every replay an audit makes — is stopped after the
  limit. In the main thread on POSIX the call is interrupted with
  ``SIGALRM`` (``signal.setitimer``); elsewhere (worker threads, Windows) the
  call runs to its end and is failed afterwards if it took too long. A call
  that ignores the alarm is killed with its worker process by the supervisor
  of :mod:`audit.workers`, which learns of each call and of the scorer being
  run through :class:`plugin_call` and :class:`plugin_section`.
- **a probe at the start of a run** (:func:`probe_scorers`): each scorer scores
  a small population (``AuditOptions.probe_size`` people, default 1,000) twice,
  each time on a deep copy of the view. A content digest of the copy taken
  before and after the first call tells whether the scorer wrote to its input;
  comparing the two outputs tells whether it is deterministic. The probe also
  meets every contract fault (raises, wrong row count, NaN scores, undeclared
  tier or sanction column) on a few people before the expensive run starts.
  Its cost is two calls on ``probe_size`` people per scorer plus hashing those
  people's frames — independent of the population's size.

The probe is a sample: a scorer that misbehaves only on people the probe does
not contain, or only on some calls, can pass it. Everything it checks is also
checked (or, for mutation, made harmless) elsewhere: contract faults on every
chunk by :func:`audit.engine.score_checked`, determinism and chunk invariance by
:func:`scorers.testing.check_scorer`.
"""

from __future__ import annotations

import hashlib
import math
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.errors import InvalidArgument, ScorerContractError, ScorerFailed
from audit.artefacts import plain_scalar as _plain
from audit.population import Population, PopulationView

__all__ = [
    "DEFAULT_PROBE_SIZE",
    "faulted",
    "hand_over",
    "note_fault",
    "plugin_call",
    "plugin_section",
    "set_reporter",
    "declared_meta",
    "TimeLimitedScorer",
    "time_limited",
    "time_limit",
    "view_digest",
    "probe_population",
    "probe_one",
    "probe_scorer",
    "probe_scorers",
    "ProbeTask",
]

#: People in the start-of-run probe. Assumption: a thousand people exercise every
#: rule of the reference scorers on the builtin specs while costing milliseconds.
DEFAULT_PROBE_SIZE = 1000


def _scorer_name(scorer: Any) -> str:
    try:
        return str(scorer.name)
    except Exception:  # noqa: BLE001 - a plugin's attribute may raise anything
        return type(scorer).__name__


def check_timeout(seconds: Any) -> float | None:
    """Validate a ``--scorer-timeout`` value: ``None`` or a positive finite number of seconds."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise InvalidArgument(f"--scorer-timeout {seconds!r}: give a positive number of seconds, e.g. 600")
    return float(seconds)


def declared_meta(scorer: Any) -> dict[str, Any]:
    """A scorer's declarations for ``results.json``, read defensively: the keys and types of
    :meth:`audit.runner.ScorerRun.meta`, with an empty value for each declaration that cannot be read."""

    def attempt(read: Any, empty: Any) -> Any:
        try:
            return read()
        except Exception:  # noqa: BLE001 - a faulty plugin's attributes may raise anything
            return empty

    tiers = attempt(lambda: [str(t) for t in scorer.tiers], [])
    return {
        "name": _scorer_name(scorer),
        "version": attempt(lambda: str(scorer.version), ""),
        "description": attempt(lambda: str(scorer.description), ""),
        "params": attempt(lambda: {str(k): v for k, v in dict(scorer.params or {}).items()}, {}),
        "tiers": tiers,
        "favourable_tiers": attempt(lambda: [t for t in tiers if t in scorer.favourable_tiers], []),
        "sanctions": attempt(lambda: {str(k): str(v) for k, v in dict(scorer.sanctions).items()}, {}),
    }


# ----------------------------------------------------------------------------- reporting to a supervisor

_REPORTER: list[Any] = []


def set_reporter(conn: Any) -> None:
    """In a supervised worker (:mod:`audit.workers`): the connection to report sections, calls and rows on
    (``None``: nowhere)."""
    _REPORTER.clear()
    if conn is not None:
        _REPORTER.append(conn)


def _report(message: tuple) -> None:
    if _REPORTER:
        _REPORTER[0].send(message)


def hand_over(message: tuple) -> bool:
    """Send ``message`` to the supervisor and wait until it has dealt with it; ``False`` without one.

    Used for the rows of ``--save-scores``: they are on disk before the worker goes on.
    """
    if not _REPORTER:
        return False
    _REPORTER[0].send(message)
    _REPORTER[0].recv()  # the supervisor's acknowledgement
    return True


_FAULTED: list[bool] = []


def note_fault() -> None:
    """Record that plugin code in this process raised or was interrupted (its state may be left behind)."""
    if not _FAULTED:
        _FAULTED.append(True)


def faulted() -> bool:
    """Whether :func:`note_fault` was called in this process: a supervised worker is then replaced."""
    return bool(_FAULTED)


class plugin_section:
    """Context manager: the code inside runs (and audits) scorer ``label``; a supervisor blames it for a crash."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __enter__(self) -> None:
        _report(("section", self.label))

    def __exit__(self, *exc: Any) -> None:
        _report(("section", None))


class plugin_call:
    """Context manager around one ``score`` call: a supervisor times it against ``--scorer-timeout``."""

    def __enter__(self) -> None:
        _report(("call",))

    def __exit__(self, *exc: Any) -> None:
        _report(("return",))


# ----------------------------------------------------------------------------- time limit


class _Expired(BaseException):
    """Raised by the alarm handler inside a scorer call.

    A ``BaseException`` so that a plugin's ``except Exception`` does not swallow it.
    """


class time_limit:
    """Context manager: fail a scorer call that runs longer than ``seconds``.

    Raises :class:`~audit.errors.ScorerFailed` ``scorer 'x' exceeded
    --scorer-timeout N s``. With ``seconds=None`` it does nothing.
    """

    def __init__(self, seconds: float | None, name: str) -> None:
        self.seconds = seconds
        self.name = name
        self._armed = False
        self._old: Any = None
        self._signal = False

    def _expired(self, signum: int, frame: Any) -> None:
        if self._armed:
            self._armed = False
            raise _Expired()

    def __enter__(self) -> "time_limit":
        if self.seconds is None:
            return self
        self._t0 = time.perf_counter()
        self._signal = (
            hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0.0  # an outer timer owns the alarm
        )
        if self._signal:
            self._old = signal.signal(signal.SIGALRM, self._expired)
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self.seconds is None:
            return
        self._armed = False
        if self._signal:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            signal.signal(signal.SIGALRM, self._old)
        elapsed = time.perf_counter() - self._t0
        if exc_type is _Expired or (exc_type is None and elapsed > self.seconds):
            how = "stopped" if exc_type is _Expired else "finished"
            raise ScorerFailed(
                f"scorer {self.name!r} exceeded --scorer-timeout {self.seconds:g} s ({how} after {elapsed:.1f} s); "
                "speed the scorer up, or raise --scorer-timeout"
            ) from None


class TimeLimitedScorer:
    """A scorer whose ``score`` calls are each limited to ``seconds``; everything else is the scorer's own."""

    __slots__ = ("scorer", "seconds")

    def __init__(self, scorer: Any, seconds: float) -> None:
        object.__setattr__(self, "scorer", scorer)
        object.__setattr__(self, "seconds", seconds)

    def score(self, view: PopulationView, *, as_of: int) -> Any:
        with time_limit(self.seconds, _scorer_name(self.scorer)):
            return self.scorer.score(view, as_of=as_of)

    def __getattr__(self, name: str) -> Any:
        if name in TimeLimitedScorer.__slots__ or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.scorer, name)

    def __getstate__(self) -> tuple[Any, float]:
        return (self.scorer, self.seconds)

    def __setstate__(self, state: tuple[Any, float]) -> None:
        object.__setattr__(self, "scorer", state[0])
        object.__setattr__(self, "seconds", state[1])

    def __eq__(self, other: object) -> bool:  # equal wrappers of one scorer: caches keyed by scorer still hit
        return isinstance(other, TimeLimitedScorer) and self.seconds == other.seconds and self.scorer == other.scorer

    def __hash__(self) -> int:
        try:
            return hash((self.scorer, self.seconds))
        except TypeError:  # an unhashable scorer: equal only to itself here
            return hash((id(self.scorer), self.seconds))

    def __repr__(self) -> str:
        return f"TimeLimitedScorer({self.scorer!r}, seconds={self.seconds:g})"


def time_limited(scorer: Any, seconds: float | None) -> Any:
    """``scorer`` with each ``score`` call limited to ``seconds``; unchanged when ``seconds`` is None."""
    if seconds is None or isinstance(scorer, TimeLimitedScorer):
        return scorer
    return TimeLimitedScorer(scorer, seconds)


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
        from audit.synth import synthesize_block

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


def probe_scorer(scorer: Any, population: Population, *, as_of: int) -> None:
    """Score ``population`` twice on deep copies; raise if the scorer mutates its input or is not deterministic.

    Raises
    ------
    ScorerFailed
        The scorer raised, exceeded its time limit, wrote to its input, or gave
        two different results for the same input.
    ScorerContractError
        Its output breaks the contract (see :func:`scorers.protocol.validate_score_frame`).
    """
    from audit.engine import score_checked

    name = _scorer_name(scorer)
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
class ProbeTask:
    """One scorer's probe, as a supervised worker runs it (:mod:`audit.workers`)."""

    label: str
    scorer: Any
    population: Population
    as_of: int
    timeout: float | None


def probe_one(task: ProbeTask) -> str | None:
    """Why ``task``'s scorer failed its probe, or ``None`` (the function a supervised pool maps)."""
    from scorers.adapter import sharing_view

    with plugin_section(task.label):
        try:
            probe_scorer(time_limited(sharing_view(task.scorer), task.timeout), task.population, as_of=task.as_of)
        except ScorerFailed as exc:
            return str(exc)
        except ScorerContractError as exc:
            return f"ScorerContractError: {exc}"
    return None


def _probe_fault(task: ProbeTask, label: str, message: str) -> Any:
    from audit.workers import Fault

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
    :class:`~audit.source.PopulationSource`; ``options`` its
    :class:`~audit.engine.AuditOptions` (``probe_size`` 0 skips the probe, not the declarations).
    ``executor``: a supervised pool (:class:`audit.workers.ProcessExecutor`) to
    probe in, so that a scorer that ends or hangs its process fails alone.
    """
    from scorers.protocol import validate_declarations

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
    population = probe_population(source, size)
    as_of = population.horizon_months - 1 if options.as_of is None else options.as_of
    timeout = getattr(options, "scorer_timeout", None)
    tasks = [ProbeTask(label=label, scorer=s, population=population, as_of=as_of, timeout=timeout) for label, s in scorers]
    if executor is None:
        done = ((task, probe_one(task)) for task in tasks)
    else:
        done = executor.imap_unordered(probe_one, iter(tasks), on_fault=_probe_fault)
    for task, why in done:
        if why is not None:
            failed[task.label] = why
    return {label: failed[label] for label, _ in declared_order if label in failed}
