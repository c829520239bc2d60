"""Exact artefacts about real people are readable by their owner only."""

from __future__ import annotations

import stat

import pytest

from audit.cli import main
from audit.synth import synthesize


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def supplied(tmp_path_factory):
    root = tmp_path_factory.mktemp("supplied")
    pop = synthesize("tiny", size=800, seed=5)
    pop.people.drop(columns=["reliability"]).to_csv(root / "people.csv", index=False)
    pop.events.drop(columns=["genuine"]).to_csv(root / "events.csv", index=False)
    return root


def test_exact_artefacts_of_supplied_data_are_user_only(supplied, tmp_path):
    out = tmp_path / "out"
    status = main(["run", "--population", str(supplied / "people.csv"), "--events", str(supplied / "events.csv"),
                   "--scorer", "suining", "--replay-sample", "0", "--out", str(out), "--quiet"])
    assert status == 0
    for name in ("results.json", "report.html", "report.md"):
        assert _mode(out / name) == 0o600, name


def test_synthetic_artefacts_keep_ordinary_permissions(tmp_path):
    status = main(["run", "--population", "tiny", "--size", "800", "--scorer", "suining", "--replay-sample", "0",
                   "--out", str(tmp_path), "--quiet"])
    assert status == 0
    for name in ("results.json", "report.html", "report.md"):
        assert _mode(tmp_path / name) == 0o644, name
