"""Shared fixtures: one small real run (results.json, published.json, report.html, report.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli.commands import main

#: A small real run: the tiny spec (every rule fires in a few hundred people), two reference scorers,
#: differentially private publication; few bootstrap replicates keep it quick.
RUN_ARGS = ("run", "--population", "tiny", "--size", "1500", "--scorer", "suining", "--scorer", "rongcheng",
            "--bootstrap", "50", "--epsilon", "1", "--quiet")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run")
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))  # the privacy ledger must never touch the real home directory
        assert main([*RUN_ARGS, "--out", str(out), "--ledger-dir", str(home)]) == 0
    return out


@pytest.fixture(scope="session")
def results(run_dir) -> dict:
    return json.loads((run_dir / "results.json").read_text())


@pytest.fixture(scope="session")
def published(run_dir) -> dict:
    return json.loads((run_dir / "published.json").read_text())


@pytest.fixture(scope="session")
def report_html(run_dir) -> str:
    return (run_dir / "report.html").read_text()
