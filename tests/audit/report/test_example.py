"""The committed example under reports/example/ is current: it re-renders identically, and the documented
command, run again at a small size, renders a report with the same sections."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from audit.cli.commands import main
from audit.report import build_report, render_html, render_markdown

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "reports" / "example"
#: The documented command (README.md, "Reports"); the test checks the README says exactly this.
COMMAND = "scs-audit run --size 20000 --epsilon 1 --out reports/example --force"
REGENERATE = f"regenerate it with `{COMMAND}` from the repository root"


def _sections(html: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)">', html)


def test_readme_documents_the_command():
    assert COMMAND in (ROOT / "README.md").read_text()


def test_committed_example_renders_from_its_own_results():
    for name in ("results.json", "published.json", "report.html", "report.md"):
        assert (EXAMPLE / name).is_file(), f"reports/example/{name} is missing; {REGENERATE}"
    results = json.loads((EXAMPLE / "results.json").read_text())
    published = json.loads((EXAMPLE / "published.json").read_text())
    report = build_report(results, published)
    report.extra["published"] = True
    assert render_html(report) == (EXAMPLE / "report.html").read_text(), f"report.html is stale; {REGENERATE}"
    assert render_markdown(report) == (EXAMPLE / "report.md").read_text(), f"report.md is stale; {REGENERATE}"
    assert results["population"]["size"] == 20000 and results["population"]["synthetic"] is True


def test_the_command_at_a_small_size_renders_the_same_sections(tmp_path):
    args = shlex.split(COMMAND)[1:]
    args[args.index("--size") + 1] = "1500"
    args[args.index("--out") + 1] = str(tmp_path / "example")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(tmp_path))  # the privacy ledger never touches the real home directory
        assert main([*args, "--bootstrap", "50", "--quiet"]) == 0
    fresh = (tmp_path / "example" / "report.html").read_text()
    committed = (EXAMPLE / "report.html").read_text()
    assert _sections(fresh) == _sections(committed), f"the example's sections differ from today's report; {REGENERATE}"
    for part in ("disparity", "appeal", "reversibility", "spillover"):  # every audit shows real figures
        start = fresh.index(f'<section id="s0-{part}">')
        body = fresh[start:fresh.index("<section id=", start + 10 + len(part) + 30)]
        assert f'data-source="results#/scorers/0/{part}/' in fresh[start:], part
        assert "not computed</strong>" not in body.split("<section")[1], part
