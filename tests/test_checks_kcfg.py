"""KCFG-001..005 judged in memory: the healthy recording's kubeconfig, changed piece by piece."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

import testenv
from memory import HOME, Setup

KUBECONFIG = f"{HOME}/.kube/config"
CONTEXT = f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"
CONFIG = "ibmcloud ks cluster config --cluster mycluster"


def setup_with(doc_change=None, text: str | None = None) -> Setup:
    """The healthy recording, its kubeconfig replaced by ``text`` or changed by ``doc_change``."""
    setup = Setup()
    if text is None:
        doc = yaml.safe_load(setup.file(KUBECONFIG)["text"])
        if doc_change is not None:
            doc_change(doc)
        text = yaml.safe_dump(doc)
    setup.file(KUBECONFIG, text=text)
    return setup


def listed(setup: Setup, *paths: str) -> Setup:
    """KUBECONFIG set to ``paths``."""
    setup.records["env KUBECONFIG"] = ":".join(paths)
    return setup


def missing(setup: Setup, path: str) -> None:
    setup.file(path, exists=False, text=None, mode=None, realpath="")


# -- KCFG-001 ---------------------------------------------------------------------------------


def test_kcfg_001_passes_naming_the_files_and_where_the_list_came_from() -> None:
    found = Setup().judge("KCFG-001")
    assert (found.status, found.message) == ("pass", f"{KUBECONFIG} (from the default)")


def test_kcfg_001_fails_when_no_listed_file_exists() -> None:
    setup = Setup()
    missing(setup, KUBECONFIG)
    found = setup.judge("KCFG-001")
    assert found.status == "fail"
    assert found.message == f"no kubeconfig: {KUBECONFIG} (from the default) does not exist"
    assert found.remediation == CONFIG


def test_kcfg_001_warns_when_some_listed_files_are_missing() -> None:
    setup = listed(Setup(), "/gone/config", KUBECONFIG)
    missing(setup, "/gone/config")
    found = setup.judge("KCFG-001")
    assert found.status == "warn"
    assert found.message == (
        f"/gone/config (from KUBECONFIG) missing: kubectl skips it and reads {KUBECONFIG}"
    )
    assert found.remediation == CONFIG


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"is_dir": True, "text": None}, f"{KUBECONFIG} is a directory"),
        ({"error": "permission denied", "text": None}, f"{KUBECONFIG}: permission denied"),
    ],
    ids=["directory", "unreadable"],
)
def test_kcfg_001_fails_for_a_directory_or_an_unreadable_file(data: dict, shown: str) -> None:
    setup = Setup()
    setup.file(KUBECONFIG, **data)
    found = setup.judge("KCFG-001")
    assert (found.status, found.message) == ("fail", f"{shown} (from the default)")


def test_kcfg_001_says_when_the_option_chose_the_files() -> None:
    setup = Setup()
    setup.settings = dataclasses.replace(setup.settings, kubeconfig=KUBECONFIG)
    assert Setup.judge(setup, "KCFG-001").message == f"{KUBECONFIG} (from --kubeconfig)"


# -- KCFG-002 ---------------------------------------------------------------------------------


def test_kcfg_002_passes_for_the_recorded_kubeconfig() -> None:
    found = Setup().judge("KCFG-002")
    assert (found.status, found.message) == ("pass", f"1 valid: {KUBECONFIG}")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("clusters: [\n", "line 2, column 1: while parsing a flow node"),
        ("- a\n- b\n", "top level is a list, not a mapping"),
        ("apiVersion: v2\n", "line 1, column 13: $.apiVersion: 'v1' was expected"),
        (
            "clusters:\n- name: c\n  cluster:\n    server: 5\n",
            "line 4, column 13: $.clusters[0].cluster.server: 5 is not of type 'string', 'null'",
        ),
        ("contexts:\n- context: {cluster: c}\n", "line 2, column 3: $.contexts[0]: 'name' is"),
        (
            "users:\n- name: u\n  user:\n    exec: {args: []}\n",
            "line 4, column 11: $.users[0].user.exec: 'command' is a required property",
        ),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n"
                for a, b in zip("abcdef", "bcdefg", strict=True)
            ),
            "expands to more than 200000 YAML nodes (an alias bomb?)",
        ),
    ],
    ids=["yaml", "list", "api-version", "type", "no-name", "exec-command", "alias-bomb"],
)
def test_kcfg_002_fails_naming_file_line_column_and_rule(text: str, problem: str) -> None:
    found = setup_with(text=text).judge("KCFG-002")
    assert found.status == "fail"
    assert found.message.startswith(f"{KUBECONFIG}: {problem}")
    assert found.remediation == f"Fix or re-download the file: {CONFIG}"


def test_kcfg_002_an_empty_file_is_valid_as_kubectl_reads_it() -> None:
    assert setup_with(text="").judge("KCFG-002").status == "pass"


# -- KCFG-003 ---------------------------------------------------------------------------------


def test_kcfg_003_passes_naming_the_current_context() -> None:
    found = Setup().judge("KCFG-003")
    assert (found.status, found.message) == ("pass", f"current-context {CONTEXT}")


@pytest.mark.parametrize(
    ("current", "message"),
    [
        ("", f"current-context is not set (contexts: {CONTEXT})"),
        ("other", f"current-context other names no context (contexts: {CONTEXT})"),
    ],
)
def test_kcfg_003_fails_without_a_usable_current_context(current: str, message: str) -> None:
    setup = setup_with(lambda doc: doc.update({"current-context": current}))
    found = setup.judge("KCFG-003")
    assert (found.status, found.message) == ("fail", message)
    assert found.remediation == "kubectl config use-context <context>"


# -- KCFG-004 ---------------------------------------------------------------------------------


def other_context(doc: dict) -> None:
    """A second context, made current: kubectl would talk to another cluster."""
    doc["contexts"].append({"name": "elsewhere", "context": {"cluster": "x", "user": "y"}})
    doc["current-context"] = "elsewhere"


def test_kcfg_004_passes_for_the_current_context_by_name_or_id() -> None:
    for cluster in (testenv.CLUSTER, testenv.CLUSTER_ID):
        found = Setup().judge("KCFG-004", cluster=cluster)
        assert (found.status, found.message) == ("pass", f"context {CONTEXT} (current)")


def test_kcfg_004_warns_when_the_context_is_not_current() -> None:
    found = setup_with(other_context).judge("KCFG-004", cluster=testenv.CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"context {CONTEXT} exists, but the current context is elsewhere: "
        "kubectl talks to another cluster"
    )
    assert found.remediation == f"kubectl config use-context {CONTEXT}"


def test_kcfg_004_fails_for_a_cluster_without_a_context() -> None:
    found = Setup().judge("KCFG-004", cluster="othercluster")
    assert found.status == "fail"
    assert found.message == f"no context for cluster othercluster (contexts: {CONTEXT})"
    assert found.remediation == "ibmcloud ks cluster config --cluster othercluster"


def test_kcfg_004_is_blocked_by_kcfg_003_without_any_cluster_to_look_for() -> None:
    found = Setup().judge("KCFG-004", cluster="")
    assert (found.status, found.blocked_by) == ("skip", ["KCFG-003"])


# -- KCFG-005 ---------------------------------------------------------------------------------


def test_kcfg_005_passes_naming_the_cluster_and_user() -> None:
    found = Setup().judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "pass"
    assert found.message.startswith(f"context {CONTEXT}: cluster {CONTEXT}, user user-")


def test_kcfg_005_fails_for_missing_entries() -> None:
    setup = setup_with(lambda doc: doc.update(clusters=[], users=[]))
    found = setup.judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith(
        f"context {CONTEXT} names a missing cluster {CONTEXT} and a missing user user-"
    )
    assert found.remediation == CONFIG


def test_kcfg_005_warns_about_dangling_references_in_other_contexts() -> None:
    def dangling(doc: dict) -> None:
        doc["contexts"].append({"name": "old", "context": {"cluster": "gone", "user": ""}})

    found = setup_with(dangling).judge("KCFG-005", cluster=testenv.CLUSTER)
    assert found.status == "warn"
    assert found.message == (
        f"context {CONTEXT} is whole; other contexts name missing entries: "
        "old (cluster gone), old (user (empty))"
    )
    assert found.remediation.startswith("kubectl config delete-context <context>")
