"""Every runnable example of the README and the documentation site runs, at quick sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs._examples import PAGES, ROOT, commands, examples, quick

RUNNABLE = {p.relative_to(ROOT).as_posix(): examples(p) for p in PAGES}
PAGES_WITH_EXAMPLES = sorted(page for page, found in RUNNABLE.items() if found)


def _environment(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(home)  # the privacy ledger never touches the real home directory
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("PYTEST_ADDOPTS", None)
    return env


def test_the_site_and_readme_have_runnable_examples():
    # the pages this change made runnable; a page losing all its examples is a regression
    for page in ("README.md", "docs/getting-started.md", "docs/populations.md", "docs/scorers.md",
                 "docs/audits/disparity.md", "docs/privacy.md", "docs/reports.md", "docs/suites.md"):
        assert RUNNABLE.get(page), f"{page} has no runnable example"


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_examples_run(page, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    env = _environment(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    for ex in RUNNABLE[page]:
        where = f"{page}:{ex.line}"
        code = quick(ex.code, ex.lang)
        if ex.file is not None:
            (work / ex.file).write_text(code, encoding="utf-8")
        elif ex.lang == "python":
            exec(compile(code, where, "exec"), {"__name__": f"docs_example_{ex.line}"})  # noqa: S102 - the docs' own example
        else:
            for cmd in commands(code):
                done = subprocess.run(["bash", "-c", cmd], cwd=work, env=env, capture_output=True, text=True, timeout=600)
                assert done.returncode in ex.exits, (
                    f"{where}: `{cmd}` exited with {done.returncode} (allowed {ex.exits})\n"
                    f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
                )
                if cmd.startswith("pytest"):
                    # a suite may fail its audits (exit 1) but never error on collection or fixtures
                    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
                    assert " error" not in last and "no tests ran" not in last, f"{where}: `{cmd}`: {last}"
