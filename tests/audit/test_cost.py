"""Options with absurd cost get an estimate and a refusal unless --force, before any work or any directory."""

from __future__ import annotations

import pytest

from audit import cost
from audit.cli.commands import main
from audit.cost import estimate_run

GIB = 2**30


def test_estimates_follow_the_measured_rates():
    c = estimate_run(size=10**12, scorers=4, bootstrap=0, workers=2, cores=2, memory=24 * GIB)
    assert c.seconds == pytest.approx(10**12 / 2_940_545)  # 340,073 s
    assert c.problems == (("size", "1,000,000,000,000 people would take about 3.9 days on 2 core(s) at the measured "
                                   "1,470,272 people/s per core"),)
    b = estimate_run(size=None, scorers=4, bootstrap=10**8, workers=1, cores=2, memory=24 * GIB)
    assert b.seconds == pytest.approx(10**8 * 4 * 37.7 / 20_000 / 4)
    assert [p for p, _ in b.problems] == ["bootstrap"]
    w = estimate_run(size=None, scorers=4, bootstrap=0, workers=64, cores=2, memory=24 * GIB)
    assert [p for p, _ in w.problems] == ["workers"] and "32.5 GiB" in w.problems[0][1]


@pytest.mark.parametrize("size, bootstrap, workers, cores, ok", [
    (200_000, 400, 2, 2, True),                     # the default run
    (1_400_000_000, 400, 2, 2, True),               # the README's country-scale run
    (int(cost.MAX_SECONDS * 2 * cost.PEOPLE_PER_CORE_SECOND), 0, 2, 2, True),  # exactly a day
    (int(cost.MAX_SECONDS * 2 * cost.PEOPLE_PER_CORE_SECOND) + 10, 0, 2, 2, False),
    (200_000, 100_000, 2, 2, True),
    (200_000, 8, 4 * 2, 2, True),                   # four workers per core
    (200_000, 8, 4 * 2 + 1, 2, False),
])
def test_the_bounds(size, bootstrap, workers, cores, ok):
    assert (estimate_run(size=size, scorers=4, bootstrap=bootstrap, workers=workers, cores=cores,
                         memory=24 * GIB).problems == ()) is ok


@pytest.mark.parametrize("option, value, words", [
    ("--size", "1e12", "people would take about"),
    ("--bootstrap", "1e8", "replicates for 1 scorer(s) would take about"),
    ("--workers", "1000", "worker processes would take about"),
])
def test_command_line_refuses_with_the_estimate_and_leaves_nothing(capsys, tmp_path, option, value, words):
    out = tmp_path / "out"
    argv = ["run", "--scorer", "suining", "--population", "tiny", "--quiet", "--out", str(out), option, value]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"scs-audit: error: {option} ") and words in err and "--force" in err
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_force_lets_a_costly_option_through(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cost, "MAX_WORKERS_PER_CORE", 0)  # every worker count is now "too many" ...
    argv = ["run", "--scorer", "suining", "--population", "tiny", "--size", "300", "--bootstrap", "0", "--quiet",
            "--workers", "1", "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    assert main([*argv, "--force"]) == 0  # ... unless forced
