"""YAML read safely, with positions: one document, bounded, and where each value stands.

kubectl's files are YAML written by tools and edited by hand. A hand-edited file may hold an
alias bomb (a few lines that expand to billions of nodes): anything that walks the loaded
data (schema validation, merging) would never finish, so documents that expand past a bound are
refused before they are walked. Values are located by JSON path, so that a schema problem is
told with its line and column.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import ClassVar

import yaml
import yaml.nodes

from ikscheck.errors import ParseError

__all__ = ["MAX_NODES", "Document", "load", "position"]

#: Nodes a document may expand to (aliases counted each time they are used). Real kubeconfigs
#: hold hundreds; a thousand contexts would hold tens of thousands.
MAX_NODES = 200_000


_KUBECTL_BOOLEANS = {**yaml.SafeLoader.bool_values, "y": True, "n": False}
_YN = re.compile(r"^(?:y|Y|n|N)$")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading booleans as kubectl's YAML 1.1 library does.

    kubectl (go-yaml v2) also takes ``y``, ``Y``, ``n`` and ``N`` for booleans, where PyYAML
    reads strings: a context named ``y`` is a boolean to kubectl, which then refuses the file.
    """

    bool_values: ClassVar[dict[str, bool]] = _KUBECTL_BOOLEANS


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same over libyaml, about ten times faster on a large file; same lines and columns
    (libyaml does not count a byte-order mark, so such a text takes the pure loader)."""

    bool_values: ClassVar[dict[str, bool]] = _KUBECTL_BOOLEANS


def _construct_object(self: yaml.SafeLoader, node: yaml.nodes.Node, deep: bool = False) -> object:
    """PyYAML's ``construct_object``, with a value its tag cannot hold (``!!int apiVersion``,
    ``!!timestamp x``, ``!!bool maybe``) refused at the node, as kubectl refuses it: PyYAML
    itself lets the ``ValueError`` (``KeyError``, ``AttributeError``...) of the conversion out."""
    try:
        return yaml.constructor.BaseConstructor.construct_object(self, node, deep)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        why = f" ({exc})" if type(exc) is ValueError else ""  # the others say nothing useful
        problem = f"not a valid {tag} value{why}"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


for _loader in (_Loader, _FastLoader):
    _loader.add_implicit_resolver("tag:yaml.org,2002:bool", _YN, list("yYnN"))
    _loader.construct_object = _construct_object  # type: ignore[method-assign]


class Document:
    """A parsed YAML document: its data, and its node tree for positions."""

    def __init__(self, data: object, root: yaml.nodes.Node | None) -> None:
        self.data = data
        self.root = root


@functools.lru_cache(maxsize=16)
def load(path: str, text: str) -> Document:
    """Load the single YAML document in ``text`` with the safe loader.

    Raises :class:`ParseError` ``"<path>: line L, column C: <problem>"`` (1-based) for a YAML
    error, and for a document that expands past :data:`MAX_NODES`. Cached: several checks read
    the same file (merging, validating, looking for credentials), and a large one is slow to
    parse. The document is shared: callers must not change it.

    >>> load("c.yml", "a: [1, 2]").data
    {'a': [1, 2]}
    >>> load("c.yml", "a: &x [1, 2]\\nb: [*x, *x]").data
    {'a': [1, 2], 'b': [[1, 2], [1, 2]]}
    >>> load("c.yml", "name: y").data  # YAML 1.1, as kubectl reads it
    {'name': True}
    """
    _refuse_undecoded(path, text)
    if "\ufeff" not in text:
        try:
            return _load(path, text, _FastLoader)
        except ParseError as exc:
            # Nested past libyaml's limit or the stack, the pure loader would take seconds to
            # overflow its own stack.
            if any(s in str(exc) for s in ("YAML nodes", "nesting depth", "nested too deeply")):
                raise
            # The pure loader words some errors better ("found character '\t'"): ask it.
    return _load(path, text, _Loader)


_UNDECODED = re.compile("[\udc80-\udcff]")


def _refuse_undecoded(path: str, text: str) -> None:
    """Refuse bytes that are not UTF-8 (read as lone surrogates), naming the first, as kubectl
    refuses them ("yaml: invalid leading UTF-8 octet")."""
    found = _UNDECODED.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    byte = ord(found.group()) - 0xDC00
    raise ParseError(
        f"{path}: line {line}, column {column}: byte 0x{byte:02x} is not UTF-8 "
        "(a binary file, or text in another encoding? kubectl reads UTF-8 only)"
    )


def _load(path: str, text: str, kind: type[yaml.SafeLoader]) -> Document:
    loader: yaml.SafeLoader | None = None
    try:
        # Built inside the try: it reads the text, and a control character fails already here.
        loader = kind(text)
        root = loader.get_single_node()
        if root is not None and _expanded(root) > MAX_NODES:
            raise ParseError(
                f"{path}: expands to more than {MAX_NODES} YAML nodes (an alias bomb?): "
                "kubectl would exhaust memory on it"
            )
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # The context alone reads oddly ("but found another document") without the problem.
        problem = ", ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if mark is None:
            raise ParseError(f"{path}: {problem}") from None
        raise ParseError(f"{path}: {_where(mark)}: {problem}") from None
    except yaml.YAMLError as exc:
        # Reader errors (control characters) carry a position but no mark.
        raise ParseError(f"{path}: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ParseError(f"{path}: nested too deeply to read") from None
    except ParseError:
        raise
    except ValueError as exc:
        # PyYAML's pure scanner lets chr()'s error out for a "\U" escape past U+10FFFF (libyaml:
        # "found invalid Unicode character escape code").
        get_mark = getattr(loader, "get_mark", None)  # the pure loader's reader has one
        mark = get_mark() if get_mark is not None else None
        where = f"{_where(mark)}: " if mark is not None else ""
        said = "found invalid Unicode character escape code" if "chr()" in str(exc) else exc
        raise ParseError(f"{path}: {where}invalid YAML: {said}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return Document(data, root)


def _expanded(root: yaml.nodes.Node) -> int:
    """How many nodes ``root`` stands for with every alias expanded (computed without expanding)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.nodes.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 1) for c in children)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
        if len(sizes) > MAX_NODES:
            return MAX_NODES + 1
    return sizes[id(root)]


def _children(node: yaml.nodes.Node) -> list[yaml.nodes.Node]:
    if isinstance(node, yaml.nodes.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.nodes.SequenceNode):
        return list(node.value)
    return []


def position(document: Document, path: Sequence[object]) -> str:
    """Where the value at JSON ``path`` stands: ``"line L, column C"``, or "" if unknown.

    >>> doc = load("c.yml", "clusters:\\n- name: a\\n  cluster: {server: 5}\\n")
    >>> position(doc, ["clusters", 0, "cluster", "server"])
    'line 3, column 21'
    """
    node = document.root
    for step in path:
        if isinstance(node, yaml.nodes.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.nodes.SequenceNode) and isinstance(step, int):
            node = node.value[step] if 0 <= step < len(node.value) else None
        else:
            node = None
        if node is None:
            return ""
    return _where(node.start_mark) if node is not None and node.start_mark else ""


def _where(mark: yaml.Mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"
