"""Tests for ikscheck.yamldocs beyond its doctests: YAML that PyYAML fails on unhelpfully."""

from __future__ import annotations

import pytest

from ikscheck import yamldocs
from ikscheck.errors import ParseError


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: !!int apiVersion", "not a valid !!int value (invalid literal for int()"),
        ("a: !!int", "not a valid !!int value"),
        ("a: !!float x", "not a valid !!float value (could not convert"),
        ("a: !!bool maybe", "not a valid !!bool value"),
        ("a: !!timestamp x", "not a valid !!timestamp value"),
        ("a: !!timestamp 2001-02-30", "not a valid !!timestamp value (day is out of range"),
    ],
)
def test_a_value_its_tag_cannot_hold_is_a_parse_error_at_the_value(text: str, problem: str) -> None:
    # Found by tests/test_fuzz.py: PyYAML lets the ValueError (KeyError, AttributeError,
    # IndexError) of the conversion out of its constructor.
    with pytest.raises(ParseError) as raised:
        yamldocs.load("/k", text)
    assert str(raised.value).startswith(f"/k: line 1, column 4: {problem}")


@pytest.mark.parametrize("text", ['a: "\\U100F6EA8"', '\ufeffa: "\\U100F6EA8"'])
def test_a_unicode_escape_past_the_last_code_point_is_a_parse_error(text: str) -> None:
    # Found by tests/test_fuzz.py: PyYAML's pure scanner (asked after libyaml, and alone for a
    # text with a byte-order mark) lets chr()'s ValueError out.
    with pytest.raises(ParseError, match="invalid YAML: found invalid Unicode character escape"):
        yamldocs.load("/k", text)


def test_nesting_past_libyamls_limit_is_refused_by_libyaml() -> None:
    # Found by tests/test_fuzz.py (its durations): past libyaml's limit of 1000 levels, the
    # pure loader, asked to word the error better, took seconds to overflow its stack.
    with pytest.raises(ParseError, match=r"line 1, column 1001: .*exceeded maximum nesting depth"):
        yamldocs.load("/k", "[" * 50_000)


def test_a_position_outside_a_list_is_unknown() -> None:
    # Found by tests/test_fuzz.py: a negative index ran past the start of the list (IndexError).
    document = yamldocs.load("/k", "a: [1]")
    assert yamldocs.position(document, ["a", -2]) == ""
    assert yamldocs.position(document, ["a", -1]) == ""
    assert yamldocs.position(document, ["a", 0]) == "line 1, column 5"
