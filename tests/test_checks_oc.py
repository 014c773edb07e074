"""OC-001, OC-002 and OC-003 in memory: the openshift and healthy recordings, changed.

The end-to-end runs (tests/test_suite_oc.py) keep a real shell oc, a hang and the blocking by
OC-001; these cover each branch of the checks' judgement and of telling OpenShift apart.
"""

from __future__ import annotations

import json

import pytest

import testenv
from ikscheck.evidence import Command
from memory import BIN, HOME, Setup

CLUSTER = testenv.CLUSTER
OC = f"{BIN}/oc"
JSON = ("version", "--client", "-o", "json")
TEXT = ("version",)
DOCS = "https://cloud.ibm.com/docs/openshift?topic=openshift-cli-install"
MIRROR = "https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable-4.16/"
INSTALL_416 = f"Install oc 4.16: {MIRROR} (see also {DOCS})"
COMMUNITY = (
    "not an OpenShift cluster (the IKS API says type kubernetes, masterKubeVersion 1.33.4_1530)"
)
OAUTH = "/.well-known/oauth-authorization-server"


def with_oc(oc: str, setup: Setup | None = None) -> Setup:
    """``setup`` (default: the openshift recording) with the stand-in oc ``oc`` on PATH."""
    setup = setup or Setup("openshift")
    setup.which("oc", OC)
    for args, (code, stdout, stderr) in testenv.oc_outputs(oc).items():
        setup.command(OC, *args).update(returncode=code, stdout=stdout, stderr=stderr, error="")
    return setup


def without_api(setup: Setup, build: str) -> Setup:
    """No IBM Cloud credentials: no API key, a CLI never logged in; the master's /version
    build ``v1.33.4<build>``."""
    setup.env("IBMCLOUD_API_KEY", None)
    setup.edit_json(f"{HOME}/.bluemix/config.json", lambda doc: doc.update(IAMToken=""))
    answer = setup.master()
    doc = json.loads(answer["body"])
    doc.update(gitVersion=f"v1.33.4{build}")
    answer["body"] = json.dumps(doc)
    return setup


# -- telling OpenShift apart -----------------------------------------------------------------


@pytest.mark.parametrize("check_id", ["OC-001", "OC-002", "OC-003"])
def test_community_clusters_skip(check_id: str) -> None:
    found = with_oc("4.16.0", Setup()).judge(check_id, cluster=CLUSTER)
    assert (found.status, found.message) == ("skip", COMMUNITY)


@pytest.mark.parametrize("check_id", ["OC-001", "OC-002", "OC-003"])
def test_unknown_type_without_api_access_skips(check_id: str) -> None:
    setup = without_api(with_oc("4.16.0"), "")
    found = setup.judge(check_id, cluster=CLUSTER)
    assert (found.status, found.message) == (
        "skip",
        "the cluster's type is unknown without API access (no IBM Cloud credentials; "
        "the master's /version is v1.33.4)",
    )


def test_without_api_access_an_iks_build_is_a_community_cluster() -> None:
    found = without_api(with_oc("4.16.0", Setup()), "+IKS").judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "skip",
        "not an OpenShift cluster (no IBM Cloud credentials; the master's /version is an IKS "
        "build v1.33.4+IKS)",
    )


def test_without_api_access_an_openshift_build_is_openshift() -> None:
    setup = without_api(with_oc("4.16.0"), "+67d3387")
    found = setup.judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        f"oc 4.16.0 (JSON releaseClientVersion) at {OC}",
    )
    found = setup.judge("OC-002", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "skip",
        "the cluster's OpenShift release is unknown without the IKS API (no IBM Cloud "
        "credentials; the master's /version is an OpenShift build v1.33.4+67d3387)",
    )
    assert setup.judge("OC-003", cluster=CLUSTER).status == "pass"


def test_api_failing_falls_back_to_the_master() -> None:
    setup = with_oc("4.16.0")
    setup.http(f"/v1/clusters/{CLUSTER}").update(status=503, body="")
    assert setup.judge("OC-001", cluster=CLUSTER).status == "pass"
    found = setup.judge("OC-002", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "skip",
        "the cluster's OpenShift release is unknown without the IKS API (the IKS API did not "
        "answer: HTTP 503, and the body is not JSON (it is empty); the master's /version is an "
        "OpenShift build v1.33.4+67d3387)",
    )


def test_master_kube_version_alone_tells_openshift() -> None:
    setup = with_oc("4.16.0")
    setup.http_json(f"/v1/clusters/{CLUSTER}", lambda doc: doc.update(type="kubernetes"))
    found = setup.judge("OC-002", cluster=CLUSTER)
    assert (found.status, found.message) == ("pass", "oc 4.16 vs OpenShift 4.16: skew 0")


# -- OC-001 ----------------------------------------------------------------------------------


def test_oc_001_passes_with_the_version_and_layout() -> None:
    found = with_oc("4.16.0").judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        f"oc 4.16.0 (JSON releaseClientVersion) at {OC}",
    )


def test_oc_001_reads_the_git_version_without_release_client_version() -> None:
    setup = with_oc("4.16.0")
    record = setup.command(OC, *JSON)
    doc = json.loads(record["stdout"])
    del doc["releaseClientVersion"]
    record["stdout"] = json.dumps(doc)
    found = setup.judge("OC-001", cluster=CLUSTER)
    assert found.message == (
        "oc 4.16.0-202406131906.p0.gd1ac0a9.assembly.stream.el9-d1ac0a9 "
        f"(JSON clientVersion.gitVersion) at {OC}"
    )


def test_oc_001_falls_back_to_text_for_oc_3_11() -> None:
    found = with_oc("3.11").judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == ("pass", f"oc v3.11.0+0cbc58b (oc 3.x text) at {OC}")


def test_oc_001_falls_back_to_the_client_version_text() -> None:
    setup = with_oc("4.16.0")
    setup.command(OC, *JSON).update(returncode=1, stdout="", stderr="error: unknown flag\n")
    found = setup.judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == ("pass", f"oc 4.16.0 (text Client Version) at {OC}")


def test_oc_001_fails_when_not_found_on_an_openshift_cluster() -> None:
    setup = Setup("openshift")
    setup.which("oc")
    found = setup.judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "fail",
        f"oc not found on PATH; cluster {CLUSTER} is OpenShift",
    )
    assert found.remediation == INSTALL_416


def test_oc_001_fails_on_exit_1() -> None:
    found = with_oc("exit1").judge("OC-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        '`oc version` exited with status 1: error: unknown command "version" for "oc"'
    )
    assert found.remediation == INSTALL_416


def test_oc_001_fails_on_garbage() -> None:
    found = with_oc("garbage").judge("OC-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == "`oc version`: oc printed no version: 'Segmentation fault'"


@pytest.mark.parametrize("error", ["timed out after 30s", "not executable"])
def test_oc_001_fails_when_it_does_not_run_to_the_end_and_does_not_ask_again(error: str) -> None:
    setup = with_oc("4.16.0")
    setup.command(OC, *JSON).update(returncode=None, stdout="", error=error)
    del setup.records[Command(OC, TEXT).key]  # asking again would be a replay error
    found = setup.judge("OC-001", cluster=CLUSTER)
    assert (found.status, found.message) == ("fail", f"`oc version --client -o json`: {error}")


# -- OC-002 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oc", "status", "message"),
    [
        ("4.16.0", "pass", "oc 4.16 vs OpenShift 4.16: skew 0"),
        ("4.15.3", "warn", "oc 4.15 vs OpenShift 4.16: skew 1"),
        ("4.17.2", "warn", "oc 4.17 vs OpenShift 4.16: skew 1"),
        ("4.14.0", "fail", "oc 4.14 vs OpenShift 4.16: skew 2"),
        ("4.19.0", "fail", "oc 4.19 vs OpenShift 4.16: skew 3"),
        ("3.11", "fail", "oc 3.11 vs OpenShift 4.16: different major versions"),
    ],
)
def test_oc_002_skew(oc: str, status: str, message: str) -> None:
    found = with_oc(oc).judge("OC-002", cluster=CLUSTER)
    assert (found.status, found.message) == (status, message)
    if status != "pass":
        assert found.remediation == INSTALL_416


def test_oc_002_judges_the_clusters_release_from_the_api() -> None:
    setup = with_oc("4.14.0")
    change = {"masterKubeVersion": "4.14.38_1580_openshift"}
    setup.http_json(f"/v1/clusters/{CLUSTER}", lambda doc: doc.update(change))
    found = setup.judge("OC-002", cluster=CLUSTER)
    assert (found.status, found.message) == ("pass", "oc 4.14 vs OpenShift 4.14: skew 0")


def test_oc_002_alone_errors_with_why_oc_has_no_version() -> None:
    """In a run OC-001's fail blocks it (tests/test_suite_oc.py); the fact says why."""
    found = with_oc("exit1").judge("OC-002", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message == (
        '`oc version` exited with status 1: error: unknown command "version" for "oc"'
    )


# -- OC-003 ----------------------------------------------------------------------------------


def test_oc_003_passes_naming_issuer_and_token_endpoint() -> None:
    setup = with_oc("4.16.0")
    found = setup.judge("OC-003", cluster=CLUSTER)
    assert found.status == "pass"
    doc = json.loads(setup.http(OAUTH)["body"])
    assert found.message.endswith(
        f"{OAUTH}: issuer {doc['issuer']}, token_endpoint {doc['token_endpoint']}"
    )
    assert found.message.startswith("GET https://127.0.0.1:")


def test_oc_003_fails_on_an_html_page() -> None:
    setup = with_oc("4.16.0")
    page = "<html><head><title>502 Bad Gateway</title></head></html>"
    setup.http(OAUTH).update(status=200, body=page)
    found = setup.judge("OC-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith(
        f"{OAUTH}: HTTP 200, and the body is not JSON (an HTML page: '502 Bad Gateway', "
        "from a proxy?)"
    )


def test_oc_003_fails_without_a_token_endpoint() -> None:
    setup = with_oc("4.16.0")
    setup.http_json(OAUTH, lambda doc: doc.pop("token_endpoint") and None)
    found = setup.judge("OC-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.endswith(
        f"{OAUTH} does not match oauth-authorization-server.schema.json: "
        "$: 'token_endpoint' is a required property"
    )


@pytest.mark.parametrize(
    ("stage", "error", "said"),
    [
        ("tls", "certificate verify failed", "TLS verification failed: certificate verify failed"),
        ("timeout", "timed out: no answer within 2 s", "timed out: no answer within 2 s"),
    ],
)
def test_oc_003_fails_naming_the_stage(stage: str, error: str, said: str) -> None:
    setup = with_oc("4.16.0")
    setup.http(OAUTH).update(status=None, body="", stage=stage, error=error)
    found = setup.judge("OC-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith("GET https://")
    assert found.message.endswith(f"{OAUTH}: {said}")


def test_oc_003_fails_on_http_404() -> None:
    setup = with_oc("4.16.0")
    setup.http(OAUTH).update(status=404, body='{"kind": "Status", "code": 404}')
    found = setup.judge("OC-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert f"{OAUTH}: HTTP 404: " in found.message
