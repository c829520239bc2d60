"""Read a rendered report back with the standard library's HTML parser."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

__all__ = ["Scan", "resolve", "scan"]


@dataclass
class Figure:
    tag: str
    source: str
    value: str | None
    text: str = ""


@dataclass
class Scan:
    tags: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text: str = ""
    attributes: list[tuple[str, str]] = field(default_factory=list)

    def by_source(self, source: str) -> list[Figure]:
        return [f for f in self.figures if f.source == source]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Scan()
        self._open: Figure | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = None
        self.out.tags.append(tag)
        a = dict(attrs)
        for k, v in attrs:
            self.out.attributes.append((k, v or ""))
        if "id" in a:
            self.out.ids.append(a["id"] or "")
        if tag == "a" and a.get("href"):
            self.out.links.append(a["href"] or "")
        if "data-source" in a:
            fig = Figure(tag=tag, source=a["data-source"] or "", value=a.get("data-value"))
            self.out.figures.append(fig)
            self._open = fig

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)
        if self._open is not None:
            self._open.text += data

    def close(self) -> None:
        super().close()
        self.out.text = "".join(self._text)


def scan(html: str) -> Scan:
    p = _Parser()
    p.feed(html)
    p.close()
    return p.out


def resolve(documents: dict[str, Any], source: str) -> Any:
    """The value at ``name#/json/pointer`` in ``documents[name]`` (RFC 6901)."""
    name, _, pointer = source.partition("#")
    node = documents[name]
    if pointer == "":
        return node
    for raw in pointer.split("/")[1:]:
        step = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]
    return node


def parse_value(text: str | None) -> Any:
    """A ``data-value`` attribute back to a Python value (numbers are JSON; strings are themselves)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
