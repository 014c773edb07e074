"""HELM-001 and HELM-002 end to end: a shell helm printing the real helm's output.

The cluster's minor is the fixed kubectl's (testenv): helm versions are chosen relative to
it, so the tests hold for any fixed kubectl from 1.21 to 1.35 (the rows of Helm 3.5 to 3.20
in the default skew table). Every branch of the checks'
judgement is in tests/test_checks_helm.py, in memory.
"""

from __future__ import annotations

import time

import testenv

INSTALL = "Install Helm 3 or newer: https://helm.sh/docs/intro/install/"


def helm_for(kube_minor: int, offset: int = 0) -> str:
    """A Helm 3 release whose window ends ``offset`` minors after Kubernetes 1.<kube_minor>."""
    return f"3.{kube_minor - 15 + offset}.1"


def test_the_cluster_is_the_fixed_kubectls_minor(make_workstation) -> None:
    assert make_workstation().kubectl.minor == testenv.fixed_kubectl()[1].minor


def test_helm_passes(make_workstation, run_suite) -> None:
    minor = testenv.fixed_kubectl()[1].minor  # the cluster's: the server's offset is 0
    ws = make_workstation(helm=helm_for(minor))
    run = run_suite(*ws.args)
    found = run.check("HELM-001")
    assert (found["status"], found["message"]) == (
        "pass",
        f"helm v{helm_for(minor)} at {ws.bin / 'helm'}",
    )
    found = run.check("HELM-002", cluster=testenv.CLUSTER)
    assert found["status"] == "pass"
    assert found["message"] == (
        f"helm 3.{minor - 15} supports Kubernetes 1.{minor - 3} to 1.{minor}; "
        f"the cluster is 1.{minor}"
    )
    assert run.result.ret == 0


def test_helm_4_passes(make_workstation, run_suite) -> None:
    ws = make_workstation(helm="4.0.0")
    run = run_suite(*ws.args)
    assert run.check("HELM-001")["message"] == f"helm v4.0.0 at {ws.bin / 'helm'}"


def test_both_skip_without_helm(make_workstation, run_suite) -> None:
    ws = make_workstation()
    run = run_suite(*ws.args)
    for found in (run.check("HELM-001"), run.check("HELM-002", cluster=testenv.CLUSTER)):
        assert (found["status"], found["message"]) == ("skip", "helm not installed; optional")
        assert found["blocked_by"] == []
    assert run.result.ret == 0


def test_helm_2_fails_and_blocks_helm_002(make_workstation, run_suite) -> None:
    ws = make_workstation(helm="2.14.3")
    run = run_suite(*ws.args)
    found = run.check("HELM-001")
    assert found["status"] == "fail"
    assert found["message"] == f"helm v2.14.3 at {ws.bin / 'helm'} is Helm 2, which needs Tiller"
    assert found["remediation"] == INSTALL
    blocked = run.check("HELM-002", cluster=testenv.CLUSTER)
    assert (blocked["status"], blocked["blocked_by"]) == ("skip", ["HELM-001"])
    assert run.result.ret == 1


def test_a_hung_helm_fails_and_the_run_ends(make_workstation, run_suite) -> None:
    ws = make_workstation(helm="hang")
    began = time.monotonic()
    run = run_suite(*ws.args, timeout=1)
    elapsed = time.monotonic() - began
    found = run.check("HELM-001")
    assert found["status"] == "fail"
    assert found["message"] == "`helm version --template {{.Version}}`: timed out after 1s"
    assert run.check("HELM-002", cluster=testenv.CLUSTER)["blocked_by"] == ["HELM-001"]
    assert "INTERNALERROR" not in run.result.stdout.str()
    assert elapsed < 60  # a hang would take an hour, not seconds


def test_helm_002_fails_for_a_helm_too_old_for_the_cluster(make_workstation, run_suite) -> None:
    minor = testenv.fixed_kubectl()[1].minor  # the cluster's: the server's offset is 0
    ws = make_workstation(helm=helm_for(minor, -1))
    run = run_suite(*ws.args)
    assert run.status("HELM-001") == "pass"
    found = run.check("HELM-002", cluster=testenv.CLUSTER)
    assert found["status"] == "fail"
    assert found["message"] == (
        f"helm 3.{minor - 16} supports Kubernetes 1.{minor - 4} to 1.{minor - 1}; "
        f"the cluster is 1.{minor}"
    )
    assert found["remediation"] == (
        f"Install a helm release that supports Kubernetes 1.{minor} "
        "(https://helm.sh/docs/topics/version_skew/)"
    )
    assert run.result.ret == 1


def test_helm_skew_policy_from_ikscheck_toml(make_workstation, run_suite) -> None:
    minor = testenv.fixed_kubectl()[1].minor  # the cluster's: the server's offset is 0
    old = helm_for(minor, -1)
    ws = make_workstation(helm=old)
    row = old.rsplit(".", 1)[0]
    policy = f'[helm-skew]\n"{row}" = ["1.{minor - 4}", "1.{minor}"]\n'
    run = run_suite(*ws.args, policy=policy)
    assert run.status("HELM-002", cluster=testenv.CLUSTER) == "pass"
