"""Guarding a run against faulty scorer plugins: time limits and the bookkeeping of plugin calls.

**A time limit per call** (``--scorer-timeout SECONDS``): :func:`time_limited`
wraps a scorer so that every ``score`` call — the main scoring of a chunk and
every replay an audit makes — is stopped after the limit. In the main thread
on POSIX the call is interrupted with ``SIGALRM`` (``signal.setitimer``);
elsewhere (worker threads, Windows) the call runs to its end and is failed
afterwards if it took too long. A call that ignores the alarm is killed with
its worker process by the supervisor of :mod:`audit.engine.workers`, which
learns of each call and of the scorer being run through :class:`plugin_call`
and :class:`plugin_section`.

The probe at the start of a run is in :mod:`audit.engine.probing`.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from typing import Any

from audit.errors import InvalidArgument, ScorerFailed
from audit.population.model import PopulationView

__all__ = [
    "scorer_name",
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
]

def scorer_name(scorer: Any) -> str:
    try:
        return str(scorer.name)
    except Exception:  # noqa: BLE001 - a plugin's attribute may raise anything
        return type(scorer).__name__


def check_timeout(seconds: Any) -> float | None:
    """Validate a ``--scorer-timeout`` value: ``None`` or a positive finite number of seconds."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise InvalidArgument(f"scorer_timeout={seconds!r}: give a positive number of seconds, e.g. 600")
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
        "name": scorer_name(scorer),
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
    """In a supervised worker (:mod:`audit.engine.workers`): the connection to report sections, calls and rows on
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

    def __enter__(self) -> time_limit:
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
        with time_limit(self.seconds, scorer_name(self.scorer)):
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
