"""The README is short and points into the site; the site's navigation lists every page."""

from __future__ import annotations

import re

from tests.docs._examples import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Written by the change that records the public record the rules come from; linked before it lands.
ELSEWHERE = {"docs/sources.md"}


def test_readme_is_at_most_about_15_kb_and_has_the_two_commands():
    assert len(README.encode("utf-8")) <= 15_500
    assert 'pip install -e ".[test]" && scs-audit run' in README
    assert re.search(r"^pytest\b", README, flags=re.MULTILINE)


def test_readme_links_resolve():
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    assert len(links) >= 10
    missing = [link for link in links if not link.startswith("http") and link not in ELSEWHERE and not (ROOT / link).exists()]
    assert missing == []


def test_site_navigation_lists_every_page_and_only_pages():
    nav = re.findall(r"^\s*-\s+(?:[^:\n]+:\s+)?([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.MULTILINE)
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert len(nav) == len(set(nav))
    assert set(nav) - pages <= {p.removeprefix("docs/") for p in ELSEWHERE}
    assert pages - set(nav) == set()
