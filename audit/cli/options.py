"""Flags shared by several subcommands of ``scs-audit``, and the argument types they use."""

from __future__ import annotations

import argparse

from audit.cli.argtypes import number

__all__ = [
    "add_force_arg",
    "add_population_args",
    "non_negative_int",
    "positive_int",
    "positive_mib",
    "positive_seconds",
    "share",
]

positive_int = number(int, lo=1)
non_negative_int = number(int, lo=0)
positive_seconds = number(float, lo=0, lo_inclusive=False, what="number of seconds")
share = number(float, lo=0, hi=1, hi_inclusive=False, example="0.02")
positive_mib = number(int, lo=1, what="number of MiB", example="4096")


def add_population_args(p: argparse.ArgumentParser) -> None:
    """The flags that choose the people audited (``run`` and ``compare``)."""
    p.add_argument("--population", default="china-2020", metavar="NAME_OR_PATH",
                   help="builtin spec (china-2020, tiny), a spec TOML, or a people table (CSV/Parquet)")
    p.add_argument("--events", default=None, metavar="PATH", help="event table for a supplied people table")
    p.add_argument("--ties", default=None, metavar="PATH", help="tie table for a supplied people table")
    p.add_argument("--size", type=positive_int, default=200_000, help="people to synthesize (default 200,000)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default 0)")
    p.add_argument("--chunk-size", type=positive_int, default=1_000_000, help="people per streamed chunk")
    p.add_argument("--by", action="append", default=[], metavar="ATTR",
                   help="extra attribute to audit (urban, sex, region, age or a supplied column); repeatable")
    p.add_argument("--horizon-months", type=number(int, lo=1, hi=32768), default=None, metavar="N",
                   help="months a supplied event table covers (default: the last event month + 1, refusing a month "
                        "more than 12 after the month by which 99%% of events happened)")
    p.add_argument("--as-of", type=non_negative_int, default=None, metavar="MONTH",
                   help="month scores are taken at (default: the horizon's last month)")


def add_force_arg(p: argparse.ArgumentParser) -> None:
    """``--force`` (``run``, ``compare``)."""
    p.add_argument("--force", action="store_true",
                   help="write into a non-empty directory this tool did not create (or /, or your home directory), "
                        "replace files there named like artefacts, and allow runs estimated to be very costly; "
                        "files this tool did not write are still never deleted")
