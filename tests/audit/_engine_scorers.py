"""Scorers for engine tests, defined at module level so worker processes can unpickle them."""

from __future__ import annotations

from types import MappingProxyType

from audit.population.synth import BLOCK_SIZE
from scorers.suining import Suining


class FailsFromBlock(Suining):
    """Suining, except that it raises for any chunk starting at or after ``first_bad_block``."""

    __slots__ = ()

    name = "fails_from_block"
    default_params = MappingProxyType({**Suining.default_params, "first_bad_block": 2})

    def score(self, view, *, as_of):
        ids = view.people["person_id"].to_numpy()
        # person 7 of each block from first_bad_block on (every chunk's scoring sees its own);
        # replay audits score made-up people with ids above 2**40 (audit/replay/sample.py): not those
        real = ids < (1 << 40)
        bad = ids[real & (ids % BLOCK_SIZE == 7) & (ids // BLOCK_SIZE >= self._params["first_bad_block"])]
        if bad.size:
            raise ValueError(f"cannot score person 7 of block {int(bad.min()) // BLOCK_SIZE}")
        return super().score(view, as_of=as_of)


#: Block whose chunk :class:`InterruptsAtBlock` interrupts (``None``: it does not).
INTERRUPT_AT: dict[str, int | None] = {"block": None}


class InterruptsAtBlock(Suining):
    """Suining, except that scoring the chunk holding person 7 of ``INTERRUPT_AT['block']`` raises KeyboardInterrupt.

    Stands in for a user pressing Ctrl-C in the middle of a run (in this process only).
    """

    __slots__ = ()

    name = "interrupts"

    def score(self, view, *, as_of):
        block = INTERRUPT_AT["block"]
        if block is not None and (view.people["person_id"].to_numpy() == block * BLOCK_SIZE + 7).any():
            raise KeyboardInterrupt
        return super().score(view, as_of=as_of)


class FailsOnReplay(Suining):
    """Suining, except that it raises on any made-up person of a replay (ids above 2**40, audit/replay/sample.py).

    The chunks score fine; the failure comes when the pooled replay sample is
    replayed, after the merge (audit/replay/pool.py).
    """

    __slots__ = ()

    name = "fails_on_replay"

    def score(self, view, *, as_of):
        if (view.people["person_id"].to_numpy() >= (1 << 40)).any():
            raise ValueError("cannot score a replayed person")
        return super().score(view, as_of=as_of)
