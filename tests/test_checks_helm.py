"""HELM-001 and HELM-002 in memory: the healthy recording with a helm on PATH, changed.

The end-to-end runs (tests/test_suite_helm.py) keep a real shell helm, a hang and the blocking
by HELM-001; these cover each branch of the checks' judgement.
"""

from __future__ import annotations

import json

import pytest

import testenv
from ikscheck.evidence import Command
from ikscheck.policy import from_table
from memory import BIN, Setup

CLUSTER = testenv.CLUSTER
HELM = f"{BIN}/helm"
TEMPLATE = ("version", "--template", "{{.Version}}")
SHORT = ("version", "--short")
INSTALL = "Install Helm 3 or newer: https://helm.sh/docs/intro/install/"
SKEW = "https://helm.sh/docs/topics/version_skew/"


def with_helm(helm: str, setup: Setup | None = None) -> Setup:
    """``setup`` (default: the healthy recording) with the stand-in helm ``helm`` on PATH."""
    setup = setup or Setup()
    setup.which("helm", HELM)
    for args, (code, stdout, stderr) in testenv.helm_outputs(helm).items():
        setup.command(HELM, *args).update(returncode=code, stdout=stdout, stderr=stderr)
    return setup


def set_server(setup: Setup, minor: int, major: int = 1) -> None:
    """The recorded master's ``GET /version`` answers ``major.minor``."""
    answer = setup.master()
    doc = json.loads(answer["body"])
    doc.update(major=str(major), minor=str(minor), gitVersion=f"v{major}.{minor}.4+IKS")
    answer["body"] = json.dumps(doc, indent=4)


# -- HELM-001 --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.16.2", "4.0.0"])
def test_helm_001_passes_with_the_version(version: str) -> None:
    found = with_helm(version).judge("HELM-001")
    assert (found.status, found.message) == ("pass", f"helm v{version} at {HELM}")


def test_helm_001_falls_back_to_short() -> None:
    setup = with_helm("3.16.2")
    setup.command(HELM, *TEMPLATE).update(returncode=1, stdout="", stderr="Error: unknown flag\n")
    found = setup.judge("HELM-001")
    assert (found.status, found.message) == ("pass", f"helm v3.16.2+g13654a5 at {HELM}")


def test_helm_001_skips_without_helm() -> None:
    setup = Setup()
    setup.which("helm")
    found = setup.judge("HELM-001")
    assert (found.status, found.message) == ("skip", "helm not installed; optional")


def test_helm_001_fails_on_exit_1() -> None:
    found = with_helm("exit1").judge("HELM-001")
    assert found.status == "fail"
    assert found.message == (
        '`helm version --short` exited with status 1: Error: unknown command "version" for "helm"'
    )
    assert found.remediation == INSTALL


def test_helm_001_fails_when_timed_out_and_does_not_ask_again() -> None:
    setup = with_helm("3.16.2")
    setup.command(HELM, *TEMPLATE).update(returncode=None, stdout="", error="timed out after 30s")
    del setup.records[Command(HELM, SHORT).key]  # asking again would be a replay error
    found = setup.judge("HELM-001")
    assert found.status == "fail"
    assert found.message == "`helm version --template {{.Version}}`: timed out after 30s"


def test_helm_001_fails_on_garbage() -> None:
    found = with_helm("garbage").judge("HELM-001")
    assert found.status == "fail"
    assert found.message == (
        "`helm version --short`: helm printed no version: 'Segmentation fault'"
    )


def test_helm_001_fails_for_helm_2() -> None:
    found = with_helm("2.14.3").judge("HELM-001")
    assert found.status == "fail"
    assert found.message == f"helm v2.14.3 at {HELM} is Helm 2, which needs Tiller"
    assert found.remediation == INSTALL


def test_helm_001_fails_for_helm_2_seen_by_short() -> None:
    setup = with_helm("3.16.2")
    setup.command(HELM, *TEMPLATE).update(returncode=1, stdout="", stderr="Error: flag\n")
    setup.command(HELM, *SHORT).update(
        returncode=1, stdout="Client: v2.16.12+g47f0b88\n", stderr="Error: could not find tiller"
    )
    found = setup.judge("HELM-001")
    assert found.status == "fail"
    assert found.message == f"helm v2.16.12+g47f0b88 at {HELM} is Helm 2, which needs Tiller"


# -- HELM-002 --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kube", "status"), [(27, "fail"), (28, "pass"), (31, "pass"), (32, "fail")]
)
def test_helm_002_window_ends(kube: int, status: str) -> None:
    setup = with_helm("3.16.2")
    set_server(setup, kube)
    found = setup.judge("HELM-002", cluster=CLUSTER)
    assert found.status == status
    assert found.message == f"helm 3.16 supports Kubernetes 1.28 to 1.31; the cluster is 1.{kube}"
    if status == "fail":
        assert found.remediation == (
            f"Install a helm release that supports Kubernetes 1.{kube} ({SKEW})"
        )


def test_helm_002_states_the_recorded_cluster() -> None:
    found = with_helm("3.16.2").judge("HELM-002", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == "helm 3.16 supports Kubernetes 1.28 to 1.31; the cluster is 1.33"


@pytest.mark.parametrize(("kube", "status"), [(31, "pass"), (34, "pass"), (35, "fail")])
def test_helm_002_helm_4(kube: int, status: str) -> None:
    setup = with_helm("4.0.0")
    set_server(setup, kube)
    found = setup.judge("HELM-002", cluster=CLUSTER)
    assert found.status == status
    assert found.message == f"helm 4.0 supports Kubernetes 1.31 to 1.34; the cluster is 1.{kube}"


@pytest.mark.parametrize(("kube", "status"), [(31, "pass"), (34, "pass"), (35, "fail")])
def test_helm_002_newer_than_the_table_is_judged_by_its_newest_row(kube: int, status: str) -> None:
    setup = with_helm("4.7.1")
    set_server(setup, kube)
    found = setup.judge("HELM-002", cluster=CLUSTER)
    assert found.status == status
    assert found.message == (
        "helm 4.7 (newer than the skew table: judged as 4.0) supports Kubernetes 1.31 to 1.34; "
        f"the cluster is 1.{kube}"
    )


def test_helm_002_older_than_the_table_fails() -> None:
    found = with_helm("3.2.4").judge("HELM-002", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        "helm 3.2 is older than the version-skew table (helm 3.4 to 4.0); the cluster is 1.33"
    )
    assert found.remediation == f"Install a helm release that supports Kubernetes 1.33 ({SKEW})"


def test_helm_002_policy_override_changes_the_verdict() -> None:
    setup = with_helm("3.16.2")
    assert setup.judge("HELM-002", cluster=CLUSTER).status == "fail"
    policy = from_table({"helm-skew": {"3.16": ["1.28", "1.33"]}})
    found = setup.judge("HELM-002", policy, cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == "helm 3.16 supports Kubernetes 1.28 to 1.33; the cluster is 1.33"


def test_helm_002_skips_without_helm() -> None:
    setup = Setup()
    setup.which("helm")
    found = setup.judge("HELM-002", cluster=CLUSTER)
    assert (found.status, found.message) == ("skip", "helm not installed; optional")


def test_helm_002_alone_errors_with_why_helm_has_no_version() -> None:
    """In a run HELM-001's fail blocks it (tests/test_suite_helm.py); the fact says why."""
    found = with_helm("exit1").judge("HELM-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message == (
        '`helm version --short` exited with status 1: Error: unknown command "version" for "helm"'
    )


def test_helm_002_master_unreachable_is_an_error() -> None:
    setup = with_helm("3.16.2")
    setup.master()["status"] = 403
    found = setup.judge("HELM-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message.endswith("answered HTTP 403")
