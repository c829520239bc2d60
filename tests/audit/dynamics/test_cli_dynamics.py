"""``scs-audit run --dynamics``: the section in results.json and the report; bad input exits 2 and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.cli.commands import main
from audit.population.spec import fixtures_dir

HERE = Path(__file__).with_name("scorers_for_dynamics.py")
FAST = ["--population", "tiny", "--size", "400", "--quiet", "--bootstrap", "0", "--workers", "1", "--replay-sample", "0"]


def cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_run_with_dynamics_writes_the_section_and_the_report(tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--scorer", f"{HERE}:Tally", *FAST, "--dynamics", "--years", "1", "--out", out)
    assert rc == 0, err
    doc = json.loads((out / "results.json").read_text())
    dyn = doc["scorers"][0]["dynamics"]
    assert dyn["status"] == "ok" and dyn["years"] == 1 and dyn["size"] == 400
    assert [y["year"] for y in dyn["by"]["income_quintile"]["years"]] == [0, 1]
    assert set(dyn["long_run_gap"]) == {"income_quintile", "education"}
    html = (out / "report.html").read_text()
    assert "Dynamics: people respond to the score" in html and 'id="s0-dynamics-gap"' in html
    assert "Dynamics: people respond to the score" in (out / "report.md").read_text()


def test_without_dynamics_results_have_no_such_section(tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--scorer", f"{HERE}:Tally", *FAST, "--out", out)
    assert rc == 0, err
    assert "dynamics" not in json.loads((out / "results.json").read_text())["scorers"][0]


def test_a_scorer_breaking_the_contract_as_ties_change_is_named(tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--scorer", f"{HERE}:DropsRowsAsTiesChange", *FAST, "--dynamics", "--years", "1",
                     "--out", out)
    assert rc == 1
    assert "scorer 'drops_rows' failed in the dynamics simulation" in err and "rows" in err
    dyn = json.loads((out / "results.json").read_text())["scorers"][0]["dynamics"]
    assert dyn["status"] == "failed" and "drops_rows" in dyn["error"]


def _spec_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (fixtures_dir() / "populations" / "tiny.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "message"), [
    (["--dynamics", "--years", "0"], "--years: '0' must be a whole number >= 1"),
    (["--dynamics", "--years", "-2"], "--years: '-2' must be a whole number >= 1"),
    (["--years", "2"], "--years 2 goes with --dynamics"),
    (["--dynamics", "--years", "200"], "--years 200: the spec's 24 months of history leave room for at most 98"),
])
def test_bad_flags_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--scorer", f"{HERE}:Tally", *FAST, *extra, "--out", out)
    assert rc == 2 and message in err
    assert not out.exists()


def test_a_rate_outside_0_1_exits_2_and_writes_nothing(tmp_path, capsys):
    spec = _spec_with(tmp_path, "unfriend_share = 0.38", "unfriend_share = 3.8")
    out = tmp_path / "out"
    argv = ["run", "--scorer", f"{HERE}:Tally", *FAST, "--dynamics", "--out", out]
    argv[argv.index("tiny")] = str(spec)
    rc, _, err = cli(capsys, *argv)
    assert rc == 2 and "dynamics.unfriend_share is 3.8, above the largest allowed 1.0" in err
    assert not out.exists()


def test_a_supplied_table_cannot_be_simulated(tmp_path, capsys):
    people = tmp_path / "people.csv"
    people.write_text("person_id,income_quintile,education\n1,1,tertiary\n", encoding="utf-8")
    out = tmp_path / "out"
    argv = ["run", "--scorer", f"{HERE}:Tally", *FAST, "--dynamics", "--out", out]
    argv[argv.index("tiny")] = str(people)
    rc, _, err = cli(capsys, *argv)
    assert rc == 2 and "--dynamics needs a synthetic population" in err
    assert not out.exists()


def test_compare_reports_the_variants_long_run_gap(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc, _, err = cli(capsys, "compare", f"{HERE}:Tally", "rongcheng", "--population", "tiny", "--size", "400",
                     "--bootstrap", "20", "--quiet", "--dynamics", "--years", "1", "--out", out)
    assert rc == 0, err
    doc = json.loads((out / "compare.json").read_text())
    assert set(doc["long_run_gap"]) == {"tally", "rongcheng"}
    results = json.loads((out / "results.json").read_text())
    gaps = {e["label"]: e["dynamics"]["long_run_gap"]["income_quintile"]["gap"] for e in results["scorers"]}
    line = next(s for s in doc["summary"] if s.startswith("long-run favourable-rate gap by income quintile after 1 year:"))
    for label, gap in gaps.items():
        assert f"{label} {100 * gap:.1f} points" in line
