"""Helpers for benchmarks that run two copies of the package in turn, each in a fresh process.

A script measuring "this tree against another" runs itself again with ``--child`` and
``PYTHONPATH`` at one tree, from a folder outside both (so neither copy's folder is imported by
accident), and reads the figures the child prints as JSON on its last line. Ranges over the
repeats are printed with :func:`span`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_child(script: str, tree: Path, *args: str) -> dict:
    """Run ``script --child ARGS`` with ``tree`` first on ``PYTHONPATH``; its last stdout line, parsed as JSON."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, str(Path(script).resolve()), "--child", *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, cwd="/tmp")
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} (PYTHONPATH={tree}) failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(
    script: str, trees: list[tuple[str, Path]], repeats: int, *args: str
) -> tuple[dict[str, list[dict]], list[float]]:
    """``repeats`` rounds of :func:`run_child` over ``trees`` (name, folder) in turn.

    Returns each tree's figures, run by run, and the one-minute load average before each run
    (runs made one right after the other see the same machine, so their ratios are what to compare).
    """
    got: dict[str, list[dict]] = {name: [] for name, _ in trees}
    loads: list[float] = []
    for _ in range(repeats):
        for name, tree in trees:
            loads.append(os.getloadavg()[0])
            got[name].append(run_child(script, tree, *args))
    return got, loads


def span(values: list[float], fmt: str) -> str:
    """``lo-hi`` of repeated measurements (one value when they agree to the format)."""
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return lo if lo == hi else f"{lo}-{hi}"
