"""Find the documentation's runnable examples and shrink them to quick sizes.

An example is runnable when the line before its fenced block is an HTML
comment (invisible on the site)::

    <!-- runnable -->                   run it: python is executed, bash line by line
    <!-- runnable file=NAME -->         write it to NAME for the blocks after it
    <!-- runnable exit=0,1 -->          each command may exit with any of these statuses

The blocks of one page run in order, in one fresh directory.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Pages whose examples are run: the README and every page of the site.
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))

#: Quick sizes: a documented size is run at no more than this.
QUICK_SIZE = 2_000
QUICK_BOOTSTRAP = 50
QUICK_REPLAY_SAMPLE = 200

_MARKER = re.compile(r"^(?P<indent>[ \t]*)<!--\s*runnable(?P<attrs>(?:\s+[a-z]+=[^\s>]+)*)\s*-->\s*$")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[a-z]*)\s*$")
_ATTR = re.compile(r"([a-z]+)=([^\s>]+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """One runnable fenced block of a page."""

    page: str
    """The page, relative to the repository root."""
    line: int
    """1-based line of the block's opening fence."""
    lang: str
    """``python`` or ``bash``."""
    code: str
    """The block's text, dedented, as documented."""
    file: str | None = None
    """Write the block to this file instead of running it."""
    exits: tuple[int, ...] = (0,)
    """Exit statuses each command may end with."""


def examples(path: Path) -> list[Example]:
    """The runnable examples of one Markdown page, in order.

    Raises
    ------
    ValueError
        When a ``runnable`` marker is not followed by a python or bash fence, or
        its block is never closed, naming the page and line.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    page = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
    found = []
    for i, text in enumerate(lines):
        marker = _MARKER.match(text)
        if not marker:
            continue
        attrs = dict(_ATTR.findall(marker["attrs"]))
        unknown = set(attrs) - {"file", "exit"}
        if unknown:
            raise ValueError(f"{page}:{i + 1}: unknown runnable attribute(s) {sorted(unknown)}; use file= or exit=")
        fence = _FENCE.match(lines[i + 1]) if i + 1 < len(lines) else None
        if fence is None or fence["lang"] not in ("python", "bash"):
            raise ValueError(f"{page}:{i + 1}: a runnable marker must be followed by a ```python or ```bash fence")
        end = next((j for j in range(i + 2, len(lines)) if lines[j].strip() == "```"), None)
        if end is None:
            raise ValueError(f"{page}:{i + 2}: the runnable block is never closed with ```")
        code = textwrap.dedent("\n".join(lines[i + 2:end])) + "\n"
        exits = tuple(int(x) for x in attrs["exit"].split(",")) if "exit" in attrs else (0,)
        found.append(Example(page=page, line=i + 2, lang=fence["lang"], code=code, file=attrs.get("file"), exits=exits))
    return found


def _number(text: str) -> int:
    return int(float(text.replace("_", "").replace(",", "")))


def quick(code: str, lang: str = "bash") -> str:
    """The example at quick sizes: sizes, bootstrap replicates and replay samples capped.

    In python, ``size=N`` becomes at most :data:`QUICK_SIZE`. In bash,
    ``--size N`` and ``--audit-size N`` become at most :data:`QUICK_SIZE`; ``--bootstrap N`` at most :data:`QUICK_BOOTSTRAP`;
    ``--replay-sample N`` at most :data:`QUICK_REPLAY_SAMPLE`. A ``scs-audit
    run`` or ``compare`` without ``--size`` gets ``--size QUICK_SIZE``, one
    without ``--population`` gets ``--population tiny``, and a ``run`` without
    ``--replay-sample`` gets ``--replay-sample QUICK_REPLAY_SAMPLE`` (a ``pytest``
    command ``--audit-replay-sample``).
    """

    def cap(limit: int):
        return lambda m: f"{m[1]}{min(_number(m[2]), limit)}"

    if lang == "python":
        return re.sub(r"(\bsize=)([0-9][0-9_.e]*)", cap(QUICK_SIZE), code)
    code = re.sub(r"(--(?:audit-)?size[ =])([0-9][0-9_.,e]*)", cap(QUICK_SIZE), code)
    code = re.sub(r"(--bootstrap[ =])([0-9][0-9_.e]*)", cap(QUICK_BOOTSTRAP), code)
    code = re.sub(r"(--(?:audit-)?replay-sample[ =])([0-9][0-9_.e]*)", cap(QUICK_REPLAY_SAMPLE), code)

    def command(m: re.Match[str]) -> str:
        body, hash_, comment = m[0].partition(" #")
        extra = ""
        if "--population" not in body:
            extra += " --population tiny"
        if "--size" not in body:
            extra += f" --size {QUICK_SIZE}"
        if m[1] == "run" and "--replay-sample" not in body:
            extra += f" --replay-sample {QUICK_REPLAY_SAMPLE}"
        return body.rstrip() + extra + (f"  #{comment}" if hash_ else "")

    code = re.sub(r"^[ \t]*scs-audit (run|compare)\b.*$", command, code, flags=re.MULTILINE)

    def suite(m: re.Match[str]) -> str:
        body, hash_, comment = m[0].partition(" #")
        if "--audit-replay-sample" not in body:
            body = body.rstrip() + f" --audit-replay-sample {QUICK_REPLAY_SAMPLE}"
        return body + (f"  #{comment}" if hash_ else "")

    return re.sub(r"^[ \t]*pytest\b.*$", suite, code, flags=re.MULTILINE)


def commands(code: str) -> list[str]:
    """The shell commands of a bash block: one per line, backslash continuations joined, comments dropped."""
    joined = re.sub(r"\\\n[ \t]*", " ", code)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out
