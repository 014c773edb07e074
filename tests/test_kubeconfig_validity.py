"""Tests for ikscheck.kubeconfig_validity beyond its doctests and the malformed corpus."""

from __future__ import annotations

from ikscheck.kubeconfig_validity import file_problems


def test_a_name_that_is_a_list_is_a_schema_problem() -> None:
    # Found by tests/test_fuzz.py: the duplicate-name check put the name in a set, and a list
    # is not hashable (TypeError).
    text = "contexts:\n- name: [a]\n  context: {cluster: c}\n- name: [a]\n  context: {}\n"
    found = file_problems("/k", text)
    assert found[0].startswith("/k: line 2, column 9: $.contexts[0].name: ['a'] is not of type")


def test_a_value_nested_near_the_stack_limit_is_a_problem() -> None:
    # Found by tests/test_fuzz.py: YAML reads a value nested ~950 deep, then the schema
    # validator, quoting it (repr), overflows the stack. Where depends on the stack the call
    # runs on: depths up to where YAML itself refuses (the window is dozens wide).
    for depth in range(850, 1001, 5):
        nested = "[" * depth + "1" + "]" * depth
        found = file_problems("/k", f"users:\n- name: u\n  user: {nested}\n")
        assert found and all(p.startswith("/k: ") for p in found), depth
