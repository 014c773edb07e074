"""A tiny DOM over the standard library's HTML parser, for tests that read a page's structure.

Two readings: ``strict`` for a page ikscheck wrote (every end tag must close the element open:
one that does not is markup that broke out, and is recorded), lenient for Chromium's
serialization of a DOM (an end tag closes up to the matching element).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
#: The id of one result's element in the health report.
RESULT_ID = re.compile(r"r-[A-Za-z0-9_-]+")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]

    def by_id(self, ident: str) -> Node:
        (found,) = [n for n in self.iter() if n.attrs.get("id") == ident]
        return found

    def kids(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def results(self) -> list[Node]:
        """The elements under this one that carry a result's id."""
        return [n for n in self.iter() if RESULT_ID.fullmatch(n.attrs.get("id", ""))]


class TreeBuilder(HTMLParser):
    """The tree of a page; with ``strict``, every end tag that did not close the element open."""

    def __init__(self, strict: bool) -> None:
        super().__init__()
        self.strict = strict
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.mismatched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.strict:
            if self.stack[-1].tag == tag:
                self.stack.pop()
            else:
                self.mismatched.append(f"</{tag}> closing <{self.stack[-1].tag}>")
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def tree(text: str, strict: bool) -> TreeBuilder:
    """``text`` parsed: the builder, holding ``root`` (and ``mismatched``, ``stack``)."""
    builder = TreeBuilder(strict)
    builder.feed(text)
    builder.close()
    return builder
