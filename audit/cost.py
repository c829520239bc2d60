"""What a run will cost, estimated before any work, so that an absurd option is refused, not attempted.

The rates are measured on the 2-core machine of the README's Scale section
(AMD EPYC virtual machine, 24 GiB RAM, Python 3.11.7):

- synthesis, scoring and audits: 2,940,545 people/s on both cores with the four
  reference scorers, a 1.4e9-person run (``bench/scale.py``; README "Scale"),
  so :data:`PEOPLE_PER_CORE_SECOND` = 1.47 million;
- the Poisson bootstrap at finalize: 37.7 s for 20,000 replicates of four
  scorers on china-2020 with the default attributes (``run`` with
  ``bootstrap=20000`` against ``bootstrap=0``, 20,000 people), so
  :data:`SECONDS_PER_REPLICATE` = 0.47 ms per scorer, and peak memory grew by
  467 MiB from 2,000 to 20,000 replicates: :data:`BYTES_PER_REPLICATE` = 6.6 KiB
  per scorer;
- a worker process: 1.42 GiB peak for the 1.4e9 run's main process and two
  workers, so :data:`BYTES_PER_WORKER` = 0.5 GiB.

A run is refused (unless forced) when its estimate exceeds
:data:`MAX_SECONDS` (a day), or the machine's memory, or when it asks for more
than :data:`MAX_WORKERS_PER_CORE` workers per core. Estimates are lower bounds
for scorers slower than the reference ones.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = [
    "BYTES_PER_REPLICATE",
    "BYTES_PER_WORKER",
    "MAX_SECONDS",
    "MAX_WORKERS_PER_CORE",
    "PEOPLE_PER_CORE_SECOND",
    "SECONDS_PER_REPLICATE",
    "RunCost",
    "estimate_run",
    "physical_memory",
]

PEOPLE_PER_CORE_SECOND = 2_940_545 / 2
SECONDS_PER_REPLICATE = 37.7 / 20_000 / 4
BYTES_PER_REPLICATE = 467 * 2**20 / 18_000 / 4
BYTES_PER_WORKER = 0.5 * 2**30
#: Longest estimated run accepted without ``force`` (assumption: a day; longer runs are split or forced).
MAX_SECONDS = 24 * 3600
#: More workers than this per core only add switching and memory (assumption).
MAX_WORKERS_PER_CORE = 4


def physical_memory() -> int | None:
    """Bytes of memory of this machine (``None`` where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.0f} seconds"


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCost:
    """The estimated cost of a run and what in it is too much."""

    seconds: float
    """Estimated wall time (synthesis, scoring, audits and bootstrap)."""
    memory: float
    """Estimated peak memory in bytes (workers plus bootstrap replicates)."""
    problems: tuple[tuple[str, str], ...]
    """``(parameter, why)`` for each parameter whose cost is out of bounds (empty: the run may go ahead)."""


def estimate_run(
    *, size: int | None, scorers: int, bootstrap: int, workers: int, cores: int | None = None,
    memory: int | None = None,
) -> RunCost:
    """Estimate a run's time and memory and say which parameter makes it absurd.

    Parameters
    ----------
    size
        People to synthesize (``None`` for a supplied table, whose size is read later).
    scorers
        Number of scorers.
    bootstrap
        Bootstrap replicates.
    workers
        Worker processes.
    cores, memory
        This machine's cores and bytes of memory (default: asked of the system).
    """
    cores = cores or os.cpu_count() or 1
    memory = physical_memory() if memory is None else memory
    scorers = max(int(scorers), 1)
    used = max(1, min(workers, cores))
    people_s = 0.0 if size is None else size * max(scorers, 4) / 4 / (PEOPLE_PER_CORE_SECOND * used)
    boot_s = bootstrap * scorers * SECONDS_PER_REPLICATE
    boot_mem = bootstrap * scorers * BYTES_PER_REPLICATE
    mem = (workers + 1) * BYTES_PER_WORKER + boot_mem
    seconds = people_s + boot_s
    problems: list[tuple[str, str]] = []
    has = f" (this machine has {_gib(memory)})" if memory is not None else ""
    if people_s > MAX_SECONDS:
        problems.append(("size", f"{size:,} people would take about {_duration(people_s)} on {used} core(s) "
                                 f"at the measured {PEOPLE_PER_CORE_SECOND:,.0f} people/s per core"))
    if boot_s > MAX_SECONDS or (memory is not None and boot_mem > memory):
        problems.append(("bootstrap", f"{bootstrap:,} replicates for {scorers} scorer(s) would take about "
                                      f"{_duration(boot_s)} and {_gib(boot_mem)} of memory{has}; 400 is the default"))
    if workers > MAX_WORKERS_PER_CORE * cores or (memory is not None and (workers + 1) * BYTES_PER_WORKER > memory):
        problems.append(("workers", f"{workers:,} worker processes would take about "
                                    f"{_gib((workers + 1) * BYTES_PER_WORKER)} of memory{has} and cannot run faster "
                                    f"than {cores}, one per core"))
    if not problems and memory is not None and mem > memory:
        problems.append(("workers", f"the run would take about {_gib(mem)} of memory{has}"))
    return RunCost(seconds=seconds, memory=mem, problems=tuple(problems))
