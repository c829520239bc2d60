"""Small scorers for the fault-handling tests: one well-behaved, one per kind of fault.

Loadable by import path, e.g. ``--scorer tests/audit/faulty_scorers.py:Raises``.

:class:`Plain` puts a person in tier ``bad`` and sanctions ``no_train`` when the
person has at least one recorded ``drunk_driving`` event up to ``as_of``; its
score is minus the number of recorded events. Tests compute the same from the
population with plain pandas to check a run's numbers independently.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd


class Plain:
    name = "plain"
    version = "1"
    description = "bad tier and a train ban after any drunk driving"
    params: dict = {}
    tiers = ("good", "bad")
    favourable_tiers = frozenset({"good"})
    sanctions = {"no_train": "travel"}

    def with_params(self, **params):
        return self

    def _flags(self, view, as_of):
        ev = view.events
        ev = ev[ev["month"].to_numpy() <= as_of]
        ids = view.people["person_id"].to_numpy()
        drunk = np.isin(ids, ev.loc[(ev["kind"] == "drunk_driving").to_numpy(), "person_id"].to_numpy())
        counts = pd.Series(ev["person_id"].to_numpy()).value_counts()
        n_events = counts.reindex(ids, fill_value=0).to_numpy()
        return drunk, n_events

    def score(self, view, *, as_of):
        drunk, n_events = self._flags(view, as_of)
        return pd.DataFrame(
            {"score": -n_events.astype(float), "tier": np.where(drunk, "bad", "good"), "no_train": drunk}
        )


def drunk_drivers(population) -> pd.Series:
    """Per person of ``population``: any recorded drunk driving (what puts Plain's tier at ``bad``), by pandas alone."""
    ev = population.events
    return population.people["person_id"].isin(set(ev.loc[ev["kind"] == "drunk_driving", "person_id"]))


def plain_tier_shares(population) -> dict[str, float]:
    """Plain's tier shares on ``population``, worked out with pandas (no scorer run)."""
    bad = float(drunk_drivers(population).mean())
    return {"good": 1.0 - bad, "bad": bad}


class Raises(Plain):
    name = "raises"

    def score(self, view, *, as_of):
        raise ZeroDivisionError("rule table divided by zero")


class Exits(Plain):
    name = "exits"

    def score(self, view, *, as_of):
        sys.exit(3)


class WrongRows(Plain):
    name = "wrong_rows"

    def score(self, view, *, as_of):
        return super().score(view, as_of=as_of).iloc[1:]


class NanScores(Plain):
    name = "nan_scores"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame.loc[frame.index[-1], "score"] = np.nan
        return frame


class UndeclaredTier(Plain):
    name = "undeclared_tier"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame["tier"] = np.where(frame["tier"] == "bad", "terrible", frame["tier"])
        return frame


class UndeclaredSanction(Plain):
    name = "undeclared_sanction"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame["no_flights"] = frame["no_train"]
        return frame


class NonDeterministic(Plain):
    name = "non_deterministic"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame["score"] = frame["score"] + np.random.default_rng().random(len(frame))  # fresh OS entropy each call
        return frame


class MutatesPeople(Plain):
    name = "mutates_people"

    def score(self, view, *, as_of):
        view.people["income"] = view.people["income"] * 0.0  # overwrites the caller's frame
        return super().score(view, as_of=as_of)


class MutatesEventsInPlace(Plain):
    name = "mutates_events"

    def score(self, view, *, as_of):
        view.events["month"] = view.events["month"].to_numpy()[::-1].copy()  # writes into the caller's frame
        return super().score(view, as_of=as_of)


class MutatesTies(Plain):
    name = "mutates_ties"

    def score(self, view, *, as_of):
        view.ties.loc[view.ties.index[:1], "friend_id"] = -1
        return super().score(view, as_of=as_of)


class Sleeps(Plain):
    """Sleeps for a minute on every call: only a time limit stops it early."""

    name = "sleeps"

    def score(self, view, *, as_of):
        time.sleep(60)
        return super().score(view, as_of=as_of)


class Spins(Plain):
    """A pure-Python busy loop that also swallows ordinary exceptions, for up to a minute."""

    name = "spins"

    def score(self, view, *, as_of):
        end = time.monotonic() + 60
        while time.monotonic() < end:
            try:
                pass
            except Exception:  # noqa: BLE001 - a careless plugin
                pass
        return super().score(view, as_of=as_of)


class Interrupts(Plain):
    """Raises KeyboardInterrupt, as if Ctrl-C was pressed while it scored."""

    name = "interrupts"

    def score(self, view, *, as_of):
        raise KeyboardInterrupt


class WaitsForKill(Plain):
    """Creates the file named by ``SCS_AUDIT_TEST_MARKER`` once the probe is over, then sleeps: a test kills it."""

    name = "waits_for_kill"

    def score(self, view, *, as_of):
        marker = os.environ.get("SCS_AUDIT_TEST_MARKER")
        if marker and len(view.people) > 1000:  # the main run, not the start-of-run probe
            open(marker, "w").close()
            time.sleep(120)
        return super().score(view, as_of=as_of)


class Hostile(Plain):
    """A well-behaved scorer whose name and labels are hostile strings."""

    name = "../../<script>alert(1)</script>[bold red]x[/]"
    tiers = ("<b>good</b>", "[red]bad")
    favourable_tiers = frozenset({"<b>good</b>"})
    sanctions = {"no_<i>train</i>": "travel"}

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        return pd.DataFrame(
            {
                "score": frame["score"],
                "tier": np.where(frame["tier"] == "bad", "[red]bad", "<b>good</b>"),
                "no_<i>train</i>": frame["no_train"],
            }
        )


class InterruptsLate(Plain):
    """Passes the start-of-run probe, then raises KeyboardInterrupt on the main run's chunk."""

    name = "interrupts_late"

    def score(self, view, *, as_of):
        if len(view.people) > 1000:
            raise KeyboardInterrupt
        return super().score(view, as_of=as_of)


class HugeScores(Plain):
    """Scores of 2**31 and more in magnitude: beyond what the exact group sums hold."""

    name = "huge_scores"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame["score"] = frame["score"] - 2.0**31
        return frame


class InitRaises(Plain):
    """Raises while being constructed (the registry instantiates a class with no arguments)."""

    name = "init_raises"

    def __init__(self):
        raise RuntimeError("missing licence file")


class WithParamsRaises(Plain):
    """Declares a parameter, but every variant fails to build."""

    name = "with_params_raises"
    params = {"scale": 1.0}

    def with_params(self, **params):
        raise RuntimeError("variants are not supported yet")


class EmptiesEventsLate(Plain):
    """Passes the start-of-run probe, then empties ``view.events`` in place on the main run."""

    name = "empties_events"

    def score(self, view, *, as_of):
        if len(view.people) > 1000:
            import warnings

            with warnings.catch_warnings():  # pandas 3.1 deprecates inplace=True; plugins still use it
                warnings.simplefilter("ignore")
                view.events.drop(view.events.index, inplace=True)
        return super().score(view, as_of=as_of)


from dataclasses import dataclass, field  # noqa: E402 - kept beside the scorer that needs it


@dataclass(frozen=True)
class FrozenDictParams(Plain):
    """A frozen dataclass scorer whose ``params`` is a dict (its generated ``__hash__`` fails)."""

    name: str = "frozen_dict_params"
    params: dict = field(default_factory=lambda: {"threshold": 1})

    def with_params(self, **params):
        return FrozenDictParams(params={**self.params, **params})


class Reordered(Plain):
    """Returns its rows in reverse order with the index kept: right rows, wrong positions."""

    name = "reordered"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame.index = view.people.index
        return frame.iloc[::-1]


class ListReasons(Plain):
    """Gives its reasons as lists rather than tuples."""

    name = "list_reasons"

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        frame["reasons"] = [["drunk_driving"] if bad else [] for bad in frame["tier"] == "bad"]
        return frame


class Minimal:
    """Only what the contract requires: no description, params or with_params."""

    name = "minimal"
    version = "1"
    tiers = ("good", "bad")
    favourable_tiers = frozenset({"good"})
    sanctions = {"no_train": "travel"}

    def score(self, view, *, as_of):
        return Plain().score(view, as_of=as_of)


class ControlNames(Plain):
    """A well-behaved scorer whose name, labels and reasons carry terminal control sequences."""

    name = "ctl\x1b[2J\x1b]0;owned\x07name"
    tiers = ("good\x1b[31m", "bad\r")
    favourable_tiers = frozenset({"good\x1b[31m"})
    sanctions = {"no_\x1b[5mtrain": "travel"}

    def score(self, view, *, as_of):
        frame = super().score(view, as_of=as_of)
        return pd.DataFrame(
            {
                "score": frame["score"],
                "tier": np.where(frame["tier"] == "bad", "bad\r", "good\x1b[31m"),
                "no_\x1b[5mtrain": frame["no_train"],
                "reasons": [("\x1b[8mhidden",) if b else () for b in frame["no_train"]],
            }
        )


class ExitsHard(Plain):
    """Ends its process with ``os._exit(0)`` on the main run (after the probe): no exception to catch."""

    name = "exits_hard"

    def score(self, view, *, as_of):
        if len(view.people) > 1000:
            os._exit(0)
        return super().score(view, as_of=as_of)


class IgnoresAlarm(Plain):
    """Ignores SIGALRM and swallows BaseException while it sleeps for two minutes on the main run."""

    name = "ignores_alarm"

    def score(self, view, *, as_of):
        if len(view.people) > 1000:
            import signal

            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            end = time.monotonic() + 120
            while time.monotonic() < end:
                try:
                    time.sleep(0.05)
                except BaseException:  # noqa: BLE001 - a hostile plugin
                    pass
        return super().score(view, as_of=as_of)


class EatsMemory(Plain):
    """Allocates (and touches) memory without bound on the main run."""

    name = "eats_memory"

    def score(self, view, *, as_of):
        if len(view.people) > 1000:
            hoard = []
            while True:
                hoard.append(np.ones(16 << 20, dtype=np.uint8))  # 16 MiB a step, every page touched
                time.sleep(0.01)
        return super().score(view, as_of=as_of)


class HoldsLock(Plain):
    """A well-behaved scorer holding a lock: it cannot be pickled, so it cannot go to a worker process."""

    name = "holds_lock"

    def __init__(self):
        import threading

        self.lock = threading.Lock()


#: Faults :class:`Fuzzed` can commit: those a process survives, then those it does not.
IN_PROCESS_FAULTS = ("raise", "base_exception", "exit", "nan", "rows", "reorder", "mutate", "huge", "tier", "keyboard_free")


class PluginAbort(BaseException):
    """A plugin's own ``BaseException``, which ``except Exception`` does not catch."""
PROCESS_FAULTS = ("os_exit", "hang", "memory", "segfault")


class Fuzzed(Plain):
    """Commits fault ``kind`` on the calls ``when`` selects: ``probe`` (at most 1,000 people), ``main``,
    ``replay`` (made-up people of the replay audits, ids above 2**40, ``audit/replay/sample.py``) or ``always``.

    ``keyboard_free`` is no fault at all (a control: the scorer must then succeed with Plain's figures).
    """

    def __init__(self, kind: str, when: str, tag: int) -> None:
        self.kind, self.when, self.tag = kind, when, tag
        self.name = f"fuzz{tag}_{kind}_{when}"

    def __reduce__(self):
        return (Fuzzed, (self.kind, self.when, self.tag))

    def score(self, view, *, as_of):
        small = len(view.people) <= 1000
        if self.when == "replay":
            strike = bool((view.people["person_id"].to_numpy() > 2**40).any())
        else:
            strike = self.when == "always" or (self.when == "probe") == small
        frame = super().score(view, as_of=as_of)
        if not strike or self.kind == "keyboard_free":
            return frame
        kind = self.kind
        if kind == "raise":
            raise ValueError("fuzzed fault")
        if kind == "exit":
            sys.exit(0)
        if kind == "base_exception":
            raise PluginAbort("fuzzed")
        if kind == "nan":
            frame.loc[frame.index[0], "score"] = np.nan
        elif kind == "rows":
            frame = frame.iloc[:-1]
        elif kind == "reorder":  # not a fault: rows reversed with their index kept are aligned by index
            frame.index = view.people.index
            frame = frame.iloc[::-1]
        elif kind == "mutate":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                view.events.drop(view.events.index, inplace=True)
                view.people["income"] = 0.0
        elif kind == "huge":
            frame["score"] = 2.0**40
        elif kind == "tier":
            frame["tier"] = "unheard_of"
        elif kind == "os_exit":
            os._exit(0)
        elif kind == "hang":
            import signal

            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            time.sleep(120)
        elif kind == "memory":
            hoard = []
            while True:
                hoard.append(np.ones(32 << 20, dtype=np.uint8))
        elif kind == "segfault":
            import ctypes

            ctypes.string_at(0)  # reads address 0: SIGSEGV
        return frame
