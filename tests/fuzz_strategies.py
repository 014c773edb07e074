"""Hypothesis strategies for fuzzing the parsers (tests/test_fuzz.py): arbitrary input, and the
real formats mutated.

Arbitrary input is text of any code point, bytes decoded as the live source decodes them (files
with ``surrogateescape``, command output with ``replace``), and text over the characters the
formats are made of (braces, quotes, colons, dots, digits, ``v``, ``eyJ``...). Mutated input
starts from a real sample (tests/data/formats/, the bundled recordings) and changes it a few
times: lines dropped, duplicated or swapped, characters flipped, spans deleted or repeated,
the text truncated, terminal escapes, format tokens and byte-order marks inserted, line ends
changed. A parsed JSON (or YAML) document is mutated by node: a random node replaced by
another JSON value, or by the same value of another type, a key dropped or an item repeated.
Deep nesting has its own strategy.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

FORMATS = Path(__file__).parent / "data" / "formats"
RECORDINGS_DIR = Path(__file__).parent.parent / "recordings"

#: Characters the formats are made of: most arbitrary text never hits a parser's branches.
STRUCTURE = [
    *"{}[]\"':,.0123456789v+-_/ \t\n\r\\#&*!|>?%@`~=<eEyJnulrtf",
    "eyJ",
    "null",
    "true",
    "1.31",
    "Version",
    "Client Version:",
    "\ufeff",
    "\x1b[0m",
    "\x00",
    "\udc8b",
]
#: Terminal escapes, whole and cut short, as coloured CLI output carries them.
ANSI = [
    "\x1b[0m",
    "\x1b[1;32m",
    "\x1b[38;5;208m",
    "\x1b[",
    "\x1b",
    "\x1b]8;;https://cloud.ibm.com\x07",
    "\x1b]0;title\x1b\\",
    "\x1b]",
    "\x1bM",
    "\x1b[?25l",
]
#: Tokens each format is made of, to insert where a mutation lands.
JSON_TOKENS = ["{", "}", "[", "]", '"', ":", ",", "null", "true", "-0", "1e999", "NaN", "\\u"]
YAML_TOKENS = [
    *("!!binary ", "!!timestamp ", "!!set ", "!!python/tuple ", "!!int ", "!!float ", "!!map "),
    *("&a ", "*a", "? ", "<<: ", "<<: *a", "~", "2001-12-14t21:59:43.10-05:00", ": ", "- "),
    *("\t", "|", ">-", "%YAML 1.1\n---\n", "---\n", "...\n", "'", '"', "{", "}", "[", "]"),
    *("#", "@", "`", "y", "n", "0x1F", "0o17", ".inf", "1_000", "12:30:45", "=", "- - - "),
]
TEXT_TOKENS = [
    *("Plugin Name", "Version", "Status", "Client Version: ", "Server Version: ", "v1.", "1.31"),
    *("version.Info{", 'GitVersion:"', 'Major:"1", ', "oc v", "Client: ", "&version.Version{"),
    *("version.BuildInfo{", 'Version:"v', "[", "]", "/", "   ", "\t", ".", "+", "-", "_", "0"),
    *("99999999999999999999", "ibmcloud version ", "bx version v", "\r", "\u00a0", "\u2028"),
]
BOMS = ["\ufeff", "\ufeff\ufeff", "\ufffe"]


def sample(relative: str) -> str:
    """A sample of a real format, from tests/data/formats/."""
    return (FORMATS / relative).read_text()


def manifest(recording: str = "healthy") -> dict[str, Any]:
    """The parsed manifest of a bundled recording."""
    loaded: dict[str, Any] = json.loads((RECORDINGS_DIR / recording / "manifest.json").read_text())
    return loaded


def recorded(recording: str, key_start: str, field: str) -> str:
    """A field of the first recorded piece of evidence whose key starts with ``key_start``."""
    for item in manifest(recording)["evidence"]:
        if item["key"].startswith(key_start):
            return str(item["data"][field])
    raise LookupError(f"{recording}: no evidence key starting {key_start!r}")


# -- arbitrary input -----------------------------------------------------------------------------


def arbitrary_text(max_size: int = 400) -> st.SearchStrategy[str]:
    """Any text: code points, bytes decoded as the live source decodes them, format characters."""
    return st.one_of(
        st.text(max_size=max_size),
        st.binary(max_size=max_size).map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.binary(max_size=max_size).map(lambda b: b.decode("utf-8", "replace")),
        st.lists(st.sampled_from(STRUCTURE), max_size=max_size // 4).map("".join),
    )


def arbitrary_bytes(max_size: int = 400) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=max_size),
        arbitrary_text(max_size).map(lambda t: t.encode("utf-8", "surrogateescape")),
    )


SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**63, -(2**63), 10**11, 10**30, 1795166400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 0.5, 1795166400.5, 1.7951664e12]),
    st.text(max_size=20),
    st.sampled_from(["", "v1.31.4", "1.31+", "7+", "1.31.4_1530", "Bearer ", "eyJ", "null"]),
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and infinities included: Python's json reads and writes them)."""
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=10), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


@st.composite
def deeply_nested(draw: st.DrawFn, kind: str = "json") -> str:
    """Nesting deeper than a recursive parser's stack: ``[[[...]]]``, ``{"a": {"a": ...}}``,
    YAML flow and block sequences; closed or left open."""
    depth = draw(st.sampled_from([50, 150, 300, 600, 990, 5_000, 50_000]))
    if kind == "yaml":
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("- ", "")]))
    else:
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('{"a":[', "]}")]))
    inner = draw(st.sampled_from(["1", '"x"', "null", "", "{}"]))
    closed = draw(st.booleans())
    prefix = draw(st.sampled_from(["", "  ", "\n", "WARNING: skew\n"]))
    return prefix + opener * depth + inner + (closer * depth if closed else "")


# -- mutations of text ---------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


@st.composite
def mutated(draw: st.DrawFn, text: str, tokens: Sequence[str] = (), max_steps: int = 4) -> str:
    """``text`` changed one to ``max_steps`` times, each change drawn from the list below."""
    inserts = [*ANSI, *BOMS, *tokens, *STRUCTURE]
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(
            st.sampled_from(
                [
                    "drop-line",
                    "duplicate-line",
                    "swap-lines",
                    "flip",
                    "insert",
                    "insert-text",
                    "delete",
                    "repeat",
                    "truncate",
                    "line-ends",
                    "bom",
                ]
            )
        )
        at = draw(st.integers(0, len(text)))
        if op in ("drop-line", "duplicate-line", "swap-lines"):
            lines = _lines(text)
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if op == "drop-line":
                del lines[i]
            elif op == "duplicate-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "flip" and text:
            at = min(at, len(text) - 1)
            text = text[:at] + draw(st.sampled_from(inserts) | st.characters()) + text[at + 1 :]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(inserts)) + text[at:]
        elif op == "insert-text":
            text = text[:at] + draw(arbitrary_text(40)) + text[at:]
        elif op == "delete":
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:at] + text[end:]
        elif op == "repeat":
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:end] + text[at:end] * draw(st.integers(1, 50)) + text[end:]
        elif op == "truncate":
            text = text[:at]
        elif op == "line-ends":
            text = text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "", "\n\n", "\x85"])))
        elif op == "bom":
            text = draw(st.sampled_from(BOMS)) + text
    return text


# -- mutations of documents ----------------------------------------------------------------------

Path_ = tuple[object, ...]


def _paths(doc: Any, here: Path_ = ()) -> list[Path_]:
    """The path of every node of a JSON document, the root first."""
    found = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_paths(value, (*here, key)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_paths(value, (*here, index)))
    return found


def _at(doc: Any, path: Path_) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _other_type(value: Any) -> list[Any]:
    """The same value as other JSON types, as a hand edit or another release writes it."""
    if isinstance(value, bool):
        return [str(value).lower(), int(value), None, [value]]
    if isinstance(value, int | float):
        return [str(value), [value], {"value": value}, None, value * 1000, -value, True]
    if isinstance(value, str):
        found: list[Any] = [[value], {value: value}, None, "", value * 3, value.upper()]
        with contextlib.suppress(ValueError, RecursionError):
            found.append(json.loads(value))
        with contextlib.suppress(ValueError):
            found.append(int(value))
        return found
    if isinstance(value, list):
        return [dict(enumerate(map(str, value))), *value[:1], None, {}, "", value * 2, []]
    if isinstance(value, dict):
        return [list(value.values()), list(value), None, [], "", json.dumps(value), {}]
    return ["", 0, [], {}]


@st.composite
def doc_mutated(draw: st.DrawFn, doc: Any, max_steps: int = 3) -> Any:
    """A deep copy of ``doc`` with one to ``max_steps`` nodes changed."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_steps))):
        path = draw(st.sampled_from(_paths(doc)))
        node = _at(doc, path)
        op = draw(st.sampled_from(["replace", "retype", "drop", "repeat", "add", "nest", "nest"]))
        if op == "nest":  # deep inside a document, where a recursive walk of it overflows
            wrap = draw(st.sampled_from(["list", "object"]))
            # The depth a parser reads but a later walk (a repr, a validator) overflows at
            # depends on the stack below it: anywhere near the recursion limit.
            depth = draw(st.sampled_from([50, 300, 600]) | st.integers(700, 1000))
            new = f"@@nest-{depth}-{wrap}@@"
        elif op == "replace":
            new = draw(json_values())
        elif op == "retype":
            new = draw(st.sampled_from(_other_type(node)))
        elif op == "add" and isinstance(node, dict):
            new = {**node, draw(st.text(max_size=10)): draw(json_values())}
        elif op == "add" and isinstance(node, list):
            new = [*node, draw(json_values())]
        elif op == "repeat" and isinstance(node, list) and node:
            new = node + node[:1]
        else:
            new = node
        if op == "drop" and path:
            parent = _at(doc, path[:-1])
            del parent[path[-1]]
            continue
        if not path:
            doc = new
        else:
            _at(doc, path[:-1])[path[-1]] = new
    return doc


_NEST = re.compile(r"""(["']?)@@nest-(\d+)-(list|object)@@\1""")


def expand_nests(text: str) -> str:
    """The text of a dumped document with each ``nest`` mutation's marker replaced by that
    deep a nesting, in flow style (JSON, and YAML both read it): dumping it whole would
    overflow the dumper's own stack."""

    def nesting(found: re.Match[str]) -> str:
        depth = int(found.group(2))
        if found.group(3) == "list":
            return "[" * depth + "1" + "]" * depth
        return '{"a": ' * depth + "1" + "}" * depth

    return _NEST.sub(nesting, text)


def _dumps(doc: Any, indent: int | None) -> str:
    return expand_nests(json.dumps(doc, indent=indent))


@st.composite
def json_text(draw: st.DrawFn, text: str) -> str:
    """The JSON ``text`` mutated as a document, as text, or both; or deeply nested."""
    how = draw(st.sampled_from(["doc", "doc", "text", "both", "deep"]))
    if how == "deep":
        return draw(deeply_nested("json"))
    if how == "text":
        return draw(mutated(text, JSON_TOKENS))
    changed = _dumps(draw(doc_mutated(json.loads(text))), draw(st.sampled_from([None, 2])))
    return draw(mutated(changed, JSON_TOKENS)) if how == "both" else changed


@st.composite
def yaml_text(draw: st.DrawFn, text: str) -> str:
    """The YAML ``text`` mutated as a document, as text, or both; or deeply nested."""
    how = draw(st.sampled_from(["doc", "doc", "text", "text", "both", "deep"]))
    if how == "deep":
        return draw(deeply_nested("yaml"))
    if how == "text":
        return draw(mutated(text, YAML_TOKENS))
    doc = draw(doc_mutated(yaml.safe_load(text)))
    style = draw(st.sampled_from([False, None, True]))
    changed = expand_nests(
        yaml.safe_dump(doc, default_flow_style=style, allow_unicode=draw(st.booleans()))
    )
    return draw(mutated(changed, YAML_TOKENS)) if how == "both" else changed


def one_of_samples(
    samples: Sequence[str], mutate: Callable[[str], st.SearchStrategy[str]]
) -> st.SearchStrategy[str]:
    """A sample as it is, a sample mutated, or arbitrary text."""
    return st.one_of(
        st.sampled_from(list(samples)),
        st.sampled_from(list(samples)).flatmap(mutate),
        arbitrary_text(),
    )


def text_samples(*relative: str, tokens: Sequence[str] = TEXT_TOKENS) -> st.SearchStrategy[str]:
    return one_of_samples([sample(r) for r in relative], lambda t: mutated(t, tokens))


def json_samples(*texts: str) -> st.SearchStrategy[str]:
    return st.one_of(one_of_samples(texts, json_text), deeply_nested("json"))


# -- JWTs ----------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


HEADERS = [
    {"alg": "RS256", "kid": "20221110-00:00:00"},
    {"alg": "rt", "typ": "JWT"},
    {"alg": "none"},
    {"alg": "HS256", "typ": "JWT"},
]


@st.composite
def jwts(draw: st.DrawFn) -> str:
    """JWT-shaped text: real claims and headers mutated as documents, payloads that are not
    JSON or not base64, the token itself mutated as text."""
    which = draw(st.sampled_from(["iam/claims-id-token.json", "iam/claims-access-token.json"]))
    claims = json.loads(sample(which))
    header = draw(st.sampled_from(HEADERS) | doc_mutated(draw(st.sampled_from(HEADERS))))
    if draw(st.booleans()):
        claims = draw(doc_mutated(claims))
    parts = [b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), "c2ln"]
    which = draw(st.sampled_from(["none", "payload-bytes", "payload-text", "part", "redacted"]))
    if which == "payload-bytes":
        parts[1] = b64url(draw(st.binary(max_size=60)))
    elif which == "payload-text":
        parts[1] = draw(st.text(st.sampled_from(list("AZaz09_-=+/.")), max_size=30))
    elif which == "part":
        index = draw(st.integers(0, 2))
        parts[index] = draw(arbitrary_text(30))
    elif which == "redacted":
        parts[2] = "redacted"
    token = ".".join(parts)
    if draw(st.integers(0, 3)) == 0:
        token = draw(mutated(token, ["eyJ", ".", "..", "=", " ", "Bearer "], max_steps=2))
    return token
