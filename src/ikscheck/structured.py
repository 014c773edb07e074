"""Structured redaction passes: values under secret keys in parsed JSON and YAML.

A parser knows what a regex can only guess: which scalar sits under which key, how far a block
scalar or a quoted string runs, what an alias points at. These passes parse the text, collect
every string under a secret key (:func:`~ikscheck.secretkeys.is_secret_key`) and write the
replacement back into the original text where the value stood, so comments, ordering and line
numbers survive. What a value becomes is the caller's business: each pass takes a callback
``redact_value`` (the :class:`~ikscheck.redact.Redactor`'s, which also remembers the value for
the text passes). Text that does not parse is returned unchanged, for the regex passes to handle.

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml
import yaml.nodes

from ikscheck.secretkeys import MIN_SECRET, NUMBER_MARKER, is_secret_key, number_fingerprint

__all__ = [
    "YAML_PROPERTIES",
    "keep_line_breaks",
    "redact_json",
    "redact_structured",
    "redact_yaml",
]

_NEWLINES = re.compile(r"\r\n|\r|\n")
YAML_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)*")
"""Matches the anchor and tag properties (``&a !!str``) in front of a YAML value."""
_FAST_YAML_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
_YAML_NON_SECRET_TAGS = frozenset({"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"})
_YAML_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})

# Composing builds a Python node per scalar (seconds per MB even with libyaml): above this the
# regex passes alone must do.
_MAX_STRUCTURED = 1_000_000


def keep_line_breaks(original: str, replacement: str) -> str:
    """Return ``replacement`` followed by as many line breaks as ``original`` held.

    >>> keep_line_breaks("a\\nb\\r\\nc", "X")
    'X\\n\\r\\n'
    """
    # Later parse errors and check messages cite line numbers: never change the line count.
    return replacement + "".join(_NEWLINES.findall(original))


def _substitute(text: str, mapping: Mapping[str, str]) -> str:
    if not mapping:
        return text
    # One pass, longest first: a replacement is never rescanned, and a secret that contains
    # another is replaced whole.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def _render_yaml(replacement: str, style: str | None) -> str:
    if style in (None, "", "|", ">"):  # libyaml reports plain as "", PyYAML as None
        return replacement  # markers and JWTs are valid plain scalars, even in flow context
    return json.dumps(replacement)  # a JSON string is a YAML double-quoted scalar


def redact_structured(text: str, kind: str, redact_value: Callable[[str], str]) -> str:
    """Run the structured pass ``kind`` calls for; text of another kind comes back unchanged.

    ``kind`` is ``"yaml"``, ``"json"``, or ``""`` (then text that starts like JSON is tried as
    JSON). Text over a million characters is returned unchanged: parsing it would cost too much.
    """
    if len(text) > _MAX_STRUCTURED:
        return text
    if kind == "yaml":
        return redact_yaml(text, redact_value)
    if kind == "json" or (not kind and text.lstrip()[:1] in ("{", "[")):
        return redact_json(text, redact_value)
    return text


def redact_json(text: str, redact_value: Callable[[str], str]) -> str:
    """Replace each string under a secret key in JSON ``text`` by ``redact_value(string)``.

    Strings are replaced where they stand in ``text``, which is otherwise left as it is.

    >>> redact_json('{"token": "s3cr3t-value", "user": "jane"}', str.upper)
    '{"token": "S3CR3T-VALUE", "user": "jane"}'
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text
    replacements: dict[str, str] = {}
    for value in _secret_strings(data):
        replacement = redact_value(value)
        # A short value ("kube") under its key is the keyed pass's: replacing every equal
        # JSON string would also hit the client-id beside it.
        if replacement != value and len(value) >= MIN_SECRET:
            for form in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
                replacements[form] = json.dumps(replacement)
    return _substitute(text, replacements)


def redact_yaml(text: str, redact_value: Callable[[str], str]) -> str:
    """Replace each scalar under a secret key in YAML ``text`` by ``redact_value(scalar)``.

    Only the scalar's own span changes: anchors and tags stay, so aliases still resolve, and a
    block scalar keeps its line breaks, so line numbers do not move.

    >>> redact_yaml("a: &x secret-one\\nb: *x\\npassword: *x\\n", str.upper)
    'a: &x SECRET-ONE\\nb: *x\\npassword: *x\\n'
    """
    # libyaml is ~10x faster and reports the same character offsets, except that it does
    # not count a byte-order mark.
    loader = yaml.SafeLoader if "\ufeff" in text else _FAST_YAML_LOADER
    try:
        documents = list(yaml.compose_all(text, Loader=loader))
    except (yaml.YAMLError, ValueError, RecursionError):
        return text
    edits: dict[int, tuple[int, str]] = {}
    for node in _secret_scalars(documents):
        if node.start_mark is None or node.end_mark is None:
            continue
        value = node.value if isinstance(node.value, str) else str(node.value)
        if node.tag in _YAML_NUMBER_TAGS:
            # A number where a string belongs stays a number: kubectl refuses the file for
            # it, and a replay must too.
            if NUMBER_MARKER.fullmatch(value):
                continue
            redact_value(value)  # remembered, for the text passes
            replacement = number_fingerprint(value)
        else:
            replacement = redact_value(value)
        if replacement == value:
            continue
        start, end = node.start_mark.index, node.end_mark.index
        # Marks include an anchor or tag (`&a value`): keep those, or aliases break.
        properties = YAML_PROPERTIES.match(text, start, end)
        if properties is not None:
            start = properties.end()
        rendered = _render_yaml(replacement, node.style)
        edits[start] = (end, keep_line_breaks(text[start:end], rendered))
    pieces: list[str] = []
    done = 0
    for start in sorted(edits):
        end, rendered = edits[start]
        if start >= done:  # overlapping spans cannot occur; never emit text twice anyway
            pieces += [text[done:start], rendered]
            done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _secret_strings(data: Any) -> Iterable[str]:
    """Yield every string under a secret key in parsed JSON (iteratively: input may be deep),
    also inside strings that are JSON documents themselves (an API's message quoting a token
    answer): the caller remembers what it yields, and the text passes find it, escaped or not.

    >>> sorted(_secret_strings({"a": '{"token": "inner-secret"}', "id_token": "outer"}))
    ['inner-secret', 'outer']
    """
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, under_secret = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                secret = under_secret or (isinstance(key, str) and is_secret_key(key))
                stack.append((value, secret))
        elif isinstance(item, list):
            stack.extend((value, under_secret) for value in item)
        elif isinstance(item, str) and under_secret:
            yield item
        elif isinstance(item, str) and item.lstrip()[:1] in ("{", "["):
            try:
                stack.append((json.loads(item), False))
            except (ValueError, RecursionError):
                continue


def _secret_scalars(documents: Iterable[yaml.nodes.Node | None]) -> Iterable[yaml.nodes.ScalarNode]:
    """Yield each scalar node under a secret key once (aliases share nodes; anchors may loop)."""
    stack: list[tuple[yaml.nodes.Node, bool]] = [(d, False) for d in documents if d is not None]
    seen: set[tuple[int, bool]] = set()
    while stack:
        node, under_secret = stack.pop()
        if (id(node), under_secret) in seen:
            continue
        seen.add((id(node), under_secret))
        if isinstance(node, yaml.nodes.MappingNode):
            for key, value in node.value:
                secret = under_secret or (
                    isinstance(key, yaml.nodes.ScalarNode)
                    and isinstance(key.value, str)
                    and is_secret_key(key.value)
                )
                stack.append((value, secret))
        elif isinstance(node, yaml.nodes.SequenceNode):
            stack.extend((value, under_secret) for value in node.value)
        elif (
            isinstance(node, yaml.nodes.ScalarNode)
            and under_secret
            and node.tag not in _YAML_NON_SECRET_TAGS
        ):
            yield node
