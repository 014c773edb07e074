"""OC-001, OC-002 and OC-003 end to end: a shell oc printing the real oc's output, and the fake
cloud saying the cluster is OpenShift 4.16 (its master's OAuth discovery document too).

Every branch of the checks' judgement is in tests/test_checks_oc.py, in memory.
"""

from __future__ import annotations

import json
import time

import testenv

C = testenv.CLUSTER
MIRROR = "https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable-4.16/"


def test_an_openshift_cluster_with_a_matching_oc_passes(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True, oc="4.16.0")
    run = run_suite(*ws.args)
    found = run.check("OC-001", cluster=C)
    assert (found["status"], found["message"]) == (
        "pass",
        f"oc 4.16.0 (JSON releaseClientVersion) at {ws.bin / 'oc'}",
    )
    found = run.check("OC-002", cluster=C)
    assert (found["status"], found["message"]) == ("pass", "oc 4.16 vs OpenShift 4.16: skew 0")
    found = run.check("OC-003", cluster=C)
    url = ws.cloud.url
    assert (found["status"], found["message"]) == (
        "pass",
        f"GET {url}/.well-known/oauth-authorization-server: issuer {url}, "
        f"token_endpoint {url}/oauth/token",
    )
    assert run.status("KCTL-002", cluster=C) == "pass"
    assert run.status("API-005", cluster=C) == "pass"
    assert run.result.ret == 0


def test_oc_3_11_runs_through_its_text_output(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True, oc="3.11")
    run = run_suite(*ws.args)
    found = run.check("OC-001", cluster=C)
    assert (found["status"], found["message"]) == (
        "pass",
        f"oc v3.11.0+0cbc58b (oc 3.x text) at {ws.bin / 'oc'}",
    )
    found = run.check("OC-002", cluster=C)
    assert (found["status"], found["message"]) == (
        "fail",
        "oc 3.11 vs OpenShift 4.16: different major versions",
    )


def test_oc_two_minors_off_fails(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True, oc="4.14.0")
    run = run_suite(*ws.args)
    assert run.status("OC-001", cluster=C) == "pass"
    found = run.check("OC-002", cluster=C)
    assert (found["status"], found["message"]) == ("fail", "oc 4.14 vs OpenShift 4.16: skew 2")
    assert found["remediation"].startswith(f"Install oc 4.16: {MIRROR}")
    assert run.result.ret == 1


def test_no_oc_on_an_openshift_cluster_fails_and_blocks_oc_002(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True)
    run = run_suite(*ws.args)
    found = run.check("OC-001", cluster=C)
    assert (found["status"], found["message"]) == (
        "fail",
        f"oc not found on PATH; cluster {C} is OpenShift",
    )
    assert found["remediation"].startswith(f"Install oc 4.16: {MIRROR}")
    blocked = run.check("OC-002", cluster=C)
    assert (blocked["status"], blocked["blocked_by"]) == ("skip", ["OC-001"])
    assert run.status("OC-003", cluster=C) == "pass"
    assert run.result.ret == 1


def test_a_community_cluster_skips_every_oc_check(make_workstation, run_suite) -> None:
    ws = make_workstation(oc="4.16.0")
    run = run_suite(*ws.args)
    for check_id in ("OC-001", "OC-002", "OC-003"):
        found = run.check(check_id, cluster=C)
        assert found["status"] == "skip"
        assert found["message"].startswith("not an OpenShift cluster (the IKS API says type ")
        assert found["blocked_by"] == []
    assert run.result.ret == 0


def test_a_hung_oc_fails_and_the_run_ends(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True, oc="hang")
    began = time.monotonic()
    run = run_suite(*ws.args, timeout=1)
    elapsed = time.monotonic() - began
    found = run.check("OC-001", cluster=C)
    assert found["status"] == "fail"
    assert found["message"] == "`oc version --client -o json`: timed out after 1s"
    assert run.check("OC-002", cluster=C)["blocked_by"] == ["OC-001"]
    assert "INTERNALERROR" not in run.result.stdout.str()
    assert elapsed < 60  # a hang would take an hour, not seconds


def test_without_credentials_the_masters_build_tells_openshift(make_workstation, run_suite) -> None:
    ws = make_workstation(openshift=True, oc="4.16.0", api_key=None)
    config = ws.home / ".bluemix" / "config.json"
    doc = json.loads(config.read_text())
    doc["IAMToken"] = ""  # a CLI never logged in: no IBM Cloud credentials at all
    config.write_text(json.dumps(doc))
    run = run_suite(*ws.args)
    assert run.status("OC-001", cluster=C) == "pass"
    found = run.check("OC-002", cluster=C)
    assert (found["status"], found["message"]) == (
        "skip",
        "the cluster's OpenShift release is unknown without the IKS API (no IBM Cloud "
        f"credentials; the master's /version is an OpenShift build v1.{ws.kubectl.minor}."
        "4+67d3387)",
    )
