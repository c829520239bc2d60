"""The command line fails loudly and precisely: one line, exit status 2 for bad input, 1 for a failed
scorer, no traceback unless --debug, and never a half-written or mixed output directory."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from audit.cli.commands import main
from audit.errors import InvalidSpec, ScorerNotFound
from scorers.registry import available_scorers, load_scorer

FAULTY = Path(__file__).with_name("faulty_scorers.py")
FAST = ["--population", "tiny", "--size", "300", "--quiet", "--bootstrap", "0", "--workers", "1"]


def scorer(name: str) -> str:
    return f"{FAULTY}:{name}"


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every visible file under ``directory`` with its bytes (hidden bookkeeping such as .chunks/ left out)."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    }


def assert_one_error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("scs-audit: error: ")
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


# ----------------------------------------------------------------------------- scorers named on the command line


def test_unknown_scorer_lists_the_registered_ones(capsys, tmp_path):
    rc, _, err = cli(capsys, "run", "--scorer", "suinig", "--out", tmp_path / "out", *FAST)
    assert rc == 2
    assert_one_error_line(err, "no scorer named 'suinig'", *sorted(available_scorers()))
    assert not (tmp_path / "out" / "results.json").exists()


def test_unknown_parameter_lists_the_scorers_parameters(capsys, tmp_path):
    params = sorted(load_scorer("suining").params)
    rc, _, err = cli(capsys, "run", "--scorer", "suining:penalty_expiry=24", "--out", tmp_path, *FAST)
    assert rc == 2
    assert_one_error_line(err, "'penalty_expiry'", ", ".join(params))


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no_such_module_xyz:Scorer", "cannot import module 'no_such_module_xyz'"),
        ("audit.output.artefacts:NoSuchScorer", "has no attribute 'NoSuchScorer'"),
        ("audit.output.artefacts:safe_filename", "is not a scorer"),
        (f"{FAULTY.with_name('missing_file.py')}:X", "does not exist"),
        ("suining:penalty_scale", "write suining:penalty_scale=VALUE"),
        ("suining:penalty_scale=1,x", "is not key=value"),
    ],
)
def test_unloadable_scorer_spec_is_one_line_exit_2(capsys, tmp_path, spec, message):
    rc, _, err = cli(capsys, "run", "--scorer", spec, "--out", tmp_path, *FAST)
    assert rc == 2
    assert_one_error_line(err, message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_before_or_after_the_command(where, tmp_path):
    argv = ["run", "--scorer", "suinig", "--out", str(tmp_path), *FAST]
    argv = ["--debug", *argv] if where == "before" else [*argv, "--debug"]
    with pytest.raises(ScorerNotFound):
        main(argv)


@pytest.mark.parametrize(
    "argv",
    [["run", "--bogus"], ["run", "--size", "0"], ["run", "--scorer-timeout", "-1"], ["frobnicate"], []],
)
def test_usage_errors_exit_2(capsys, argv):
    rc, _, err = cli(capsys, *argv)
    assert rc == 2
    assert "Traceback" not in err


def test_version_exits_0(capsys):
    rc, out, _ = cli(capsys, "--version")
    assert rc == 0 and out.startswith("scs-audit ")


# ----------------------------------------------------------------------------- specs and supplied tables

PEOPLE = """person_id,age,sex,urban,region,income,income_quintile,education
1,34,female,true,east,12000,2,junior_secondary
2,51,male,false,west,56000,5,tertiary
3,29,female,1,east,8000,1,primary_or_less
4,45,male,0,central,30000,3,senior_secondary
"""
EVENTS = """person_id,month,kind
1,3,drunk_driving
2,5,volunteering
3,0,loan_arrears
"""


def test_bad_spec_is_refused_before_any_work(capsys, tmp_path):
    spec = tmp_path / "pop.toml"
    text = (Path(__file__).parents[2] / "fixtures" / "populations" / "tiny.toml").read_text()
    spec.write_text(text.replace("horizon_months = 24", "horizon_months = 0"))
    rc, _, err = cli(capsys, "run", "--population", spec, "--out", tmp_path / "out", "--quiet", "--scorer", scorer("Plain"))
    assert rc == 2
    assert_one_error_line(err, str(spec), "horizon_months = 0")
    with pytest.raises(InvalidSpec):
        main(["--debug", "run", "--population", str(spec), "--out", str(tmp_path / "out"), "--quiet"])


def _bad_tables():
    """(file name, people text, events text or None, fragments the one error line must contain)."""
    p = PEOPLE
    return [
        ("nan.csv", p.replace("12000", "nan"), None, ["nan.csv", "column 'income'", "data row 1", "1 of 4 rows affected", "Fix:"]),
        ("inf.csv", p.replace("56000", "inf"), None, ["column 'income'", "data row 2", "not a finite number", "Fix:"]),
        ("negative.csv", p.replace("8000", "-8000"), None, ["column 'income'", "data row 3", "expected a number >= 0"]),
        ("label.csv", p.replace("tertiary", "university"), None, ["column 'education'", "'university'", "Fix:"]),
        ("dup.csv", p.replace("\n2,51", "\n1,51"), None, ["column 'person_id'", "data row 2", "already appears in data row 1"]),
        ("type.csv", p.replace("34,female", "thirty,female"), None, ["column 'age'", "data row 1", "'thirty'"]),
        ("empty.csv", "", None, ["empty.csv", "the file is empty", "Fix:"]),
        ("header.csv", p.splitlines()[0] + "\n", None, ["header.csv", "no data rows"]),
        ("people.csv", p, EVENTS.replace("3,0,loan", "9,0,loan"),
         ["events.csv", "column 'person_id'", "data row 3", "no person with this id", "1 of 3 rows affected"]),
        ("people.csv", p, EVENTS.replace("volunteering", "volunteer"), ["events.csv", "column 'kind'", "'volunteer'"]),
        ("people.csv", p, EVENTS.replace(",3,", ",-3,"), ["events.csv", "column 'month'", "data row 1"]),
    ]


@pytest.mark.parametrize("name, people, events, fragments", _bad_tables(), ids=[t[0] + str(i) for i, t in enumerate(_bad_tables())])
def test_bad_supplied_table_is_one_line_exit_2(capsys, tmp_path, name, people, events, fragments):
    path = tmp_path / name
    path.write_text(people)
    argv = ["run", "--population", path, "--scorer", scorer("Plain"), "--out", tmp_path / "out", "--quiet", "--workers", "1"]
    if events is not None:
        (tmp_path / "events.csv").write_text(events)
        argv += ["--events", tmp_path / "events.csv"]
    rc, _, err = cli(capsys, *argv)
    assert rc == 2
    assert_one_error_line(err, *fragments)
    assert snapshot(tmp_path / "out") == {}


def test_truncated_parquet_is_one_line_exit_2(capsys, tmp_path):
    whole = tmp_path / "people.parquet"
    pd.read_csv(pd.io.common.StringIO(PEOPLE)).to_parquet(whole)
    data = whole.read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[: len(data) // 2])
    rc, _, err = cli(capsys, "run", "--population", cut, "--scorer", scorer("Plain"), "--out", tmp_path / "out", "--quiet")
    assert rc == 2
    assert_one_error_line(err, "cut.parquet", "cannot be read as Parquet", "Fix:")


def test_bom_and_semicolons_are_accepted_and_counted(capsys, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + PEOPLE.replace(",", ";").encode())
    (tmp_path / "events.csv").write_text(EVENTS)
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--population", path, "--events", tmp_path / "events.csv", "--scorer", scorer("Plain"),
                     "--out", out, "--quiet", "--workers", "1", "--bootstrap", "0")
    assert rc == 0, err
    doc = json.loads((out / "results.json").read_text())
    assert doc["population"]["size"] == 4
    # Plain: tier 'bad' for person 1 only (the one drunk-driving event) -> 1 of 4
    assert doc["scorers"][0]["tier_shares"] == {"good": 0.75, "bad": 0.25}


def test_as_of_outside_the_horizon_is_refused(capsys, tmp_path):
    rc, _, err = cli(capsys, "run", "--scorer", scorer("Plain"), "--as-of", "24", "--out", tmp_path, *FAST)
    assert rc == 2
    assert_one_error_line(err, "--as-of 24", "months 0 to 23")


def test_out_that_is_a_file_is_refused(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    rc, _, err = cli(capsys, "run", "--scorer", scorer("Plain"), "--out", tmp_path / "file" / "sub", *FAST)
    assert rc == 2
    assert_one_error_line(err, "--out", "cannot create the directory")


# ----------------------------------------------------------------------------- faulty scorers during a run


def test_failed_scorers_exit_1_and_the_others_are_reported(capsys, tmp_path):
    out = tmp_path / "out"
    rc, _, err = cli(capsys, "run", "--scorer", scorer("Plain"), "--scorer", scorer("Raises"), "--scorer",
                     scorer("MutatesPeople"), "--scorer", scorer("Sleeps"), "--scorer-timeout", "0.5", "--out", out, *FAST)
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in err
    assert any(line.startswith("scs-audit: scorer 'raises' failed:") and "ZeroDivisionError" in line for line in lines)
    assert any(line.startswith("scs-audit: scorer 'mutates_people' failed:") and "modified its input" in line for line in lines)
    assert any(line.startswith("scs-audit: scorer 'sleeps' failed:") and "exceeded --scorer-timeout 0.5 s" in line
               for line in lines)
    doc = json.loads((out / "results.json").read_text())
    status = {s["label"]: s["status"] for s in doc["scorers"]}
    assert status == {"plain": "ok", "raises": "failed", "mutates_people": "failed", "sleeps": "failed"}
    assert doc["scorers"][0]["tier_shares"]["good"] + doc["scorers"][0]["tier_shares"]["bad"] == pytest.approx(1.0)
    assert (out / "report.html").exists()


# ----------------------------------------------------------------------------- nothing half-written, nothing mixed


@pytest.fixture(scope="module")
def _complete_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("complete") / "out"
    assert main(["run", "--scorer", scorer("Plain"), "--out", str(out), "--save-scores", *FAST]) == 0
    return out


@pytest.fixture()
def previous_run(_complete_run, tmp_path):
    """An output directory holding a complete earlier run (with per-person scores); returns it and its files."""
    out = tmp_path / "out"
    shutil.copytree(_complete_run, out)
    before = snapshot(out)
    assert {"results.json", "report.html", "report.md", "scores.parquet"} <= set(before)
    assert stat.S_IMODE(os.stat(out / "scores.parquet").st_mode) == 0o600  # one row per person: user only
    return out, before


@pytest.mark.parametrize("faulty", ["Interrupts", "InterruptsLate"])
def test_ctrl_c_in_a_scorer_leaves_the_previous_run_untouched(capsys, previous_run, faulty):
    out, before = previous_run
    rc, _, err = cli(capsys, "run", "--scorer", scorer("Plain"), "--scorer", scorer(faulty), "--size", "1500",
                     "--out", out, "--save-scores", *[a for a in FAST if a not in ("--size", "300")])
    assert rc == 130
    assert "interrupted" in err
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith((".tmp", ".partial"))]


def test_a_crash_after_results_were_written_leaves_the_previous_run_untouched(capsys, previous_run, monkeypatch):
    out, before = previous_run
    import audit.report

    def broken(*args, **kwargs):
        raise RuntimeError("report renderer crashed")

    monkeypatch.setattr(audit.report, "write_run_report", broken)
    with pytest.raises(RuntimeError, match="report renderer crashed"):
        main(["run", "--scorer", scorer("Plain"), "--out", str(out), *FAST])
    assert snapshot(out) == before
    assert not [p for p in out.iterdir() if p.name.endswith((".tmp", ".partial"))]


def test_a_rerun_replaces_every_artefact_and_removes_stale_ones(capsys, previous_run):
    out, before = previous_run
    rc, _, err = cli(capsys, "run", "--scorer", scorer("Plain"), "--out", out, "--seed", "7", *FAST)
    assert rc == 0, err
    after = snapshot(out)
    assert "scores.parquet" not in after  # this run saved no scores: the old file must not pass for this run's
    assert json.loads(after["results.json"])["population"]["seed"] == 7
    assert after["report.html"] != before["report.html"]


def test_a_failed_rerun_leaves_the_previous_run_untouched(capsys, previous_run):
    out, before = previous_run
    rc, _, _ = cli(capsys, "run", "--scorer", "suinig", "--out", out, *FAST)
    assert rc == 2
    assert snapshot(out) == before


@pytest.mark.parametrize("sig, status", [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130)])
def test_killing_the_process_mid_run_leaves_the_previous_run_untouched(previous_run, tmp_path, sig, status):
    out, before = previous_run
    marker, log = tmp_path / "scoring", tmp_path / "stderr.txt"
    env = {**os.environ, "SCS_AUDIT_TEST_MARKER": str(marker), "PYTHONPATH": str(Path(__file__).parents[2])}
    argv = [sys.executable, "-m", "audit.cli", "run", "--scorer", scorer("Plain"), "--scorer", scorer("WaitsForKill"),
            "--size", "1500", "--out", str(out), "--save-scores", *[a for a in FAST if a not in ("--size", "300")]]
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 120
            while not marker.exists():  # the scorer is now scoring the main run's chunk
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the scorer never started"
                time.sleep(0.05)
            proc.send_signal(sig)
            assert proc.wait(timeout=60) == status, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert snapshot(out) == before
    if sig == signal.SIGINT:
        assert "interrupted" in log.read_text() and "Traceback" not in log.read_text()


# ----------------------------------------------------------------------------- hostile names


def test_hostile_scorer_names_stay_text(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")
    out = tmp_path / "out"
    args = [a for a in FAST if a != "--quiet"]
    rc, stdout, err = cli(capsys, "run", "--scorer", scorer("Hostile"), "--out", out, *args)
    assert rc == 0, err
    hostile = "../../<script>alert(1)</script>[bold red]x[/]"
    assert hostile in stdout  # the terminal summary shows the name literally, not as markup
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing written outside --out
    html = (out / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = json.loads((out / "results.json").read_text())
    assert doc["scorers"][0]["label"] == hostile


def test_a_plugin_message_cannot_break_the_error_line_or_drive_the_terminal(capsys, tmp_path):
    plugin = tmp_path / "noisy.py"
    plugin.write_text('raise RuntimeError("first line\\nsecond line \\x1b[2J cleared")\n')
    rc, _, err = cli(capsys, "run", "--scorer", f"{plugin}:X", "--out", tmp_path / "out", *FAST)
    assert rc == 2
    assert_one_error_line(err, "first line second line", "\\x1b[2J cleared")
    assert "\x1b" not in err


def test_module_attr_scorer_loads_from_its_own_directory(tmp_path):
    """The console script (unlike python -m) does not put the working directory on sys.path."""
    script = Path(sys.executable).with_name("scs-audit")
    if not script.exists():
        pytest.skip("the scs-audit console script is not installed beside this interpreter")
    (tmp_path / "my_scorers.py").write_text(
        "from scorers.suining import Suining\n\nclass Mine(Suining):\n    name = 'mine'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(script), "run", "--scorer", "my_scorers:Mine", "--out", "out", *FAST],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "out" / "results.json").read_text())["scorers"][0]["name"] == "mine"
