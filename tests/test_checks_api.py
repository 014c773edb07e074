"""API-001..006 in memory: the healthy recording's IAM, IKS and master answers, changed.

Each check's branches: the documented shape or the schema problem (JSON path and rule), the
API's own error, a body that is not JSON, and what each document says of the cluster. Dates
are set relative to the recording's instant (``setup.recorded_at``), which replay takes as "now".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

import testenv
from ikscheck.evidence import iso
from memory import HOME, Setup

CLUSTER = testenv.CLUSTER
CLUSTER_ID = "bq8r2k1d0f6mvs4ab1cg"
CLI_CONFIG = f"{HOME}/.bluemix/config.json"
SETUP = Setup()
TOKEN_URL = SETUP.http("/identity/token")["url"]
IKS = SETUP.settings.containers_url
MASTER = SETUP.http("/version")["url"]
SERVER = MASTER.removesuffix("/version")
BXNIM0415E = (testenv.FORMATS / "iam" / "error-BXNIM0415E.json").read_text()
G0004 = (testenv.FORMATS / "iks" / "error-G0004.json").read_text()
G0004_SAID = (
    "G0004: The specified cluster could not be found. If applicable, make sure that you target "
    "the correct account and resource group. (recovery: To list the clusters you have access "
    "to, run 'ibmcloud ks cluster ls'.)"
)
HTML = "\n  <html><head><title>Access denied</title></head>\n<body>Blocked by proxy</body></html>\n"
NOT_JSON = "and the body is not JSON (an HTML page: 'Access denied', from a proxy?)"
NO_CREDENTIALS = (
    "no IBM Cloud credentials: IBMCLOUD_API_KEY is not set and the CLI is not logged in"
)
#: Endpoints of another cluster (or of this one, re-created).
ELSEWHERE = "https://c111.us-south.containers.cloud.ibm.com:31234"
ELSEWHERE_PRIVATE = "https://c111.private.us-south.containers.cloud.ibm.com:31234"


def cluster_doc(setup: Setup, **fields: Any) -> Setup:
    """The IKS API's ``GET /v1/clusters/mycluster`` answers with ``fields`` changed."""
    return setup.http_json(f"/v1/clusters/{CLUSTER}", lambda doc: doc.update(fields))


def without(*keys: str) -> Callable[[dict[str, Any]], None]:
    """A change of a JSON object: ``keys`` removed."""

    def change(doc: dict[str, Any]) -> None:
        for key in keys:
            del doc[key]

    return change


def no_api_key() -> Setup:
    return Setup().env("IBMCLOUD_API_KEY", None)


def logged_out() -> Setup:
    """No IBMCLOUD_API_KEY, and no IAMToken in the CLI config: no credentials at all."""
    return no_api_key().edit_json(CLI_CONFIG, lambda doc: doc.pop("IAMToken"))


def cli_session() -> Setup:
    """No IBMCLOUD_API_KEY: the IKS requests go with the CLI's IAMToken (answered alike)."""
    setup = no_api_key()
    for key in [k for k in setup.records if k.endswith(" (bearer:apikey)")]:
        moved = key.removesuffix(" (bearer:apikey)") + f" (bearer:{CLI_CONFIG})"
        setup.records[moved] = copy.deepcopy(setup.records.pop(key))
    return setup


def iks_date(offset: timedelta) -> str:
    """The IKS API's way of writing the recording's instant plus ``offset``."""
    return (SETUP.recorded_at + offset).strftime("%Y-%m-%dT%H:%M:%S+0000")


# -- API-001 ---------------------------------------------------------------------------------


def test_api_001_passes() -> None:
    found = Setup().judge("API-001")
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == "the IAM token answer matches iam-token.schema.json (expires_in 3600)"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (without("access_token"), "$: 'access_token' is a required property"),
        (without("expiration"), "$: 'expiration' is a required property"),
        (
            lambda doc: doc.update(expires_in="3600"),
            "$.expires_in: '3600' is not of type 'integer'",
        ),
        (lambda doc: doc.update(scope=["ibm"]), "$.scope: ['ibm'] is not of type 'string'"),
    ],
    ids=["no-access-token", "no-expiration", "expires-in-string", "scope-list"],
)
def test_api_001_fails_on_a_schema_problem(change: Any, problem: str) -> None:
    found = Setup().http_json("/identity/token", change).judge("API-001")
    assert found.status == "fail"
    assert found.message.endswith(
        f"/identity/token does not match iam-token.schema.json: {problem}"
    )


def test_api_001_an_iam_error_of_the_documented_shape_passes() -> None:
    setup = Setup()
    setup.http("/identity/token").update(status=400, body=BXNIM0415E)
    found = setup.judge("API-001")
    assert found.status == "pass"
    assert found.message == (
        "IAM answered HTTP 400: BXNIM0415E: Provided API key could not be found, "
        "an error of the documented shape"
    )


def test_api_001_an_iam_error_without_its_message_fails() -> None:
    setup = Setup()
    setup.http("/identity/token").update(status=400, body='{"errorCode": "BXNIM0415E"}')
    found = setup.judge("API-001")
    assert found.status == "fail"
    assert found.message == (
        "the IAM error body does not match iam-error.schema.json: "
        "$: 'errorMessage' is a required property"
    )


def test_api_001_an_error_body_iam_does_not_document_fails() -> None:
    setup = Setup()
    setup.http("/identity/token").update(status=400, body='{"error": "invalid_grant"}')
    found = setup.judge("API-001")
    assert found.status == "fail"
    assert found.message.endswith(
        f"{TOKEN_URL}: HTTP 400: an error body the API does not document: "
        '{"error": "invalid_grant"}'
    )


def test_api_001_fails_on_a_body_that_is_not_json() -> None:
    setup = Setup()
    setup.http("/identity/token").update(status=200, body=HTML)
    found = setup.judge("API-001")
    assert found.status == "fail"
    assert found.message.endswith(f"{TOKEN_URL}: HTTP 200, {NOT_JSON}")


def test_api_001_names_the_token_request_post() -> None:
    setup = Setup().http_json("/identity/token", without("access_token"))
    assert setup.judge("API-001").message.startswith(f"POST {TOKEN_URL} ")


def test_api_001_is_an_error_when_iam_sent_no_answer_to_check() -> None:
    setup = Setup()
    setup.http("/identity/token").update(status=None, body="", stage="timeout", error="no answer")
    found = setup.judge("API-001")
    assert found.status == "error"
    assert found.message == f"no IAM answer to check: POST {TOKEN_URL}: timed out: no answer"


def test_api_001_does_not_apply_without_an_api_key() -> None:
    found = no_api_key().judge("API-001")
    assert found.status == "skip"
    assert found.message == "IBMCLOUD_API_KEY is not set: no IAM token answer to check"


# -- API-002 ---------------------------------------------------------------------------------

REGIONS = "ap-north, eu-central, eu-de, jp-tok, us-south"


def targeting(setup: Setup, region: str) -> Setup:
    return setup.edit_json(CLI_CONFIG, lambda doc: doc.update(Region=region, RegionID=region))


def test_api_002_passes() -> None:
    found = Setup().judge("API-002")
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == "3 regions; the CLI targets us-south"


def test_api_002_passes_for_a_region_by_its_alias() -> None:
    found = targeting(Setup(), "jp-tok").judge("API-002")
    assert (found.status, found.message) == ("pass", "3 regions; the CLI targets jp-tok")


def test_api_002_passes_without_a_targeted_region() -> None:
    found = targeting(Setup(), "").judge("API-002")
    assert (found.status, found.message) == ("pass", "3 regions; the CLI targets no region")


def test_api_002_warns_when_the_targeted_region_is_not_listed() -> None:
    found = targeting(Setup(), "eu-gb").judge("API-002")
    assert found.status == "warn"
    assert found.message == (
        f"the CLI targets region eu-gb, which the IKS API does not list ({REGIONS})"
    )
    assert found.remediation == "ibmcloud target -r <region> (a region the IKS API lists)"


def test_api_002_with_the_cli_session() -> None:
    found = cli_session().judge("API-002")
    assert (found.status, found.message) == ("pass", "3 regions; the CLI targets us-south")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (without("regions"), "$: 'regions' is a required property"),
        (
            lambda doc: doc["regions"][0].update(name=""),
            "$.regions[0].name: '' should be non-empty",
        ),
        (
            lambda doc: doc.update(regions="us-south"),
            "$.regions: 'us-south' is not of type 'array'",
        ),
    ],
    ids=["no-regions", "empty-name", "regions-string"],
)
def test_api_002_fails_on_a_schema_problem(change: Any, problem: str) -> None:
    found = Setup().http_json("/v1/regions", change, credential="bearer:apikey").judge("API-002")
    assert found.status == "fail"
    assert found.message == (
        f"GET {IKS}/v1/regions does not match iks-regions.schema.json: {problem}"
    )


def test_api_002_does_not_apply_without_credentials() -> None:
    found = logged_out().judge("API-002")
    assert (found.status, found.message) == ("skip", NO_CREDENTIALS)


# -- API-003 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [CLUSTER, CLUSTER_ID], ids=["by-name", "by-id"])
def test_api_003_passes(name: str) -> None:
    found = Setup().judge("API-003", cluster=name)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"cluster {name} is listed (id {CLUSTER_ID}, by IBMCLOUD_API_KEY)"


def test_api_003_passes_with_the_cli_session() -> None:
    found = cli_session().judge("API-003", cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == (
        f"cluster {CLUSTER} is listed (id {CLUSTER_ID}, by the CLI session ({CLI_CONFIG}))"
    )


def renamed(*names: str) -> Any:
    """A change of the cluster list: copies of its one cluster, named ``names`` (other ids)."""

    def change(doc: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**doc[0], "name": n, "id": f"c{i}ab1cg0d0f6mvs4ab1cg"} for i, n in enumerate(names)
        ]

    return change


@pytest.mark.parametrize(
    ("names", "shown"),
    [(("zeta", "alpha"), "alpha, zeta"), ((), "none")],
    ids=["others", "empty"],
)
def test_api_003_fails_when_not_listed(names: tuple[str, ...], shown: str) -> None:
    setup = Setup().http_json("/v1/clusters", renamed(*names))
    found = setup.judge("API-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} is not among the clusters IBMCLOUD_API_KEY can see: {shown}"
    )
    assert found.remediation == (
        "ibmcloud ks cluster ls; ibmcloud target -c <account> -g <resource group> of the cluster"
    )


def test_api_003_adds_what_iks_says_of_a_cluster_it_does_not_list() -> None:
    setup = Setup().http_json("/v1/clusters", renamed())
    setup.http(f"/v1/clusters/{CLUSTER}").update(status=404, body=G0004)
    found = setup.judge("API-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} is not among the clusters IBMCLOUD_API_KEY can see: none; "
        f"GET {IKS}/v1/clusters/{CLUSTER}: HTTP 404: {G0004_SAID}"
    )


def test_api_003_fails_with_the_iks_error() -> None:
    setup = Setup()
    setup.http("/v1/clusters").update(status=404, body=G0004)
    found = setup.judge("API-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {IKS}/v1/clusters: HTTP 404: {G0004_SAID}"


def test_api_003_fails_on_a_schema_problem() -> None:
    setup = Setup().http_json("/v1/clusters", lambda doc: without("id")(doc[0]))
    found = setup.judge("API-003", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"GET {IKS}/v1/clusters does not match iks-clusters.schema.json: "
        "$[0]: 'id' is a required property"
    )


def test_api_003_does_not_apply_without_credentials() -> None:
    found = logged_out().judge("API-003", cluster=CLUSTER)
    assert (found.status, found.message) == ("skip", NO_CREDENTIALS)


# -- API-004 ---------------------------------------------------------------------------------

STATE_REMEDIATION = f"ibmcloud ks cluster get --cluster {CLUSTER} (see its state and status)"


def test_api_004_passes_when_normal() -> None:
    found = Setup().judge("API-004", cluster=CLUSTER)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"cluster {CLUSTER} is normal (All Workers Normal)"


@pytest.mark.parametrize(
    ("state", "status"),
    [
        *((s, "warn") for s in ("warning", "pending", "deploying", "updating", "requested")),
        *(
            (s, "fail")
            for s in (
                "critical",
                "deploy_failed",
                "delete_failed",
                "aborted",
                "deleting",
                "deleted",
                "unsupported",
            )
        ),
    ],
)
def test_api_004_state(state: str, status: str) -> None:
    setup = cluster_doc(Setup(), state=state, status="Some workers need attention")
    found = setup.judge("API-004", cluster=CLUSTER)
    assert found.status == status
    assert found.message == f"cluster {CLUSTER} is {state} (Some workers need attention)"
    assert found.remediation == STATE_REMEDIATION


def test_api_004_without_a_status_names_the_state() -> None:
    found = cluster_doc(Setup(), state="deploying", status="").judge("API-004", cluster=CLUSTER)
    assert (found.status, found.message) == ("warn", f"cluster {CLUSTER} is deploying")


def test_api_004_fails_for_a_state_checks_md_does_not_list() -> None:
    found = cluster_doc(Setup(), state="hibernating").judge("API-004", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} is hibernating (All Workers Normal): a state CHECKS.md does not know"
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"workerCount": "3"}, "$.workerCount: '3' is not of type 'integer'"),
        ({"state": None}, "$.state: None is not of type 'string'"),
        ({"masterKubeVersion": "1.33"}, "$.masterKubeVersion: '1.33' does not match"),
    ],
    ids=["worker-count-string", "state-null", "master-kube-version"],
)
def test_api_004_fails_on_a_schema_problem(fields: dict[str, Any], problem: str) -> None:
    found = cluster_doc(Setup(), **fields).judge("API-004", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith(
        f"GET {IKS}/v1/clusters/{CLUSTER} does not match iks-cluster.schema.json: {problem}"
    )


def test_api_004_fails_with_the_iks_error() -> None:
    setup = Setup()
    setup.http(f"/v1/clusters/{CLUSTER}").update(status=404, body=G0004)
    found = setup.judge("API-004", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {IKS}/v1/clusters/{CLUSTER}: HTTP 404: {G0004_SAID}"


def test_api_004_does_not_apply_without_credentials() -> None:
    found = logged_out().judge("API-004", cluster=CLUSTER)
    assert (found.status, found.message) == ("skip", NO_CREDENTIALS)


# -- API-005 ---------------------------------------------------------------------------------


def test_api_005_passes() -> None:
    found = Setup().judge("API-005", cluster=CLUSTER)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"master 1.33 at {SERVER}; the API says 1.33.4_1530"


def test_api_005_fails_when_the_master_is_another_minor() -> None:
    setup = cluster_doc(Setup(), masterKubeVersion="1.32.9_1530")
    found = setup.judge("API-005", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"master 1.33 at {SERVER}; the API says 1.32.9_1530: another cluster answers there"
    )
    assert found.remediation == f"ibmcloud ks cluster config --cluster {CLUSTER}"


def test_api_005_another_patch_passes() -> None:
    found = cluster_doc(Setup(), masterKubeVersion="1.33.9_1541").judge("API-005", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        f"master 1.33 at {SERVER}; the API says 1.33.9_1541",
    )


def test_api_005_fails_when_the_server_is_none_of_the_endpoints() -> None:
    setup = cluster_doc(
        Setup(),
        serverURL=ELSEWHERE,
        publicServiceEndpointURL=ELSEWHERE + "/",
        privateServiceEndpointURL=ELSEWHERE_PRIVATE,
    )
    found = setup.judge("API-005", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"the kubeconfig server {SERVER} is none of the endpoints of cluster {CLUSTER} "
        f"({ELSEWHERE}, {ELSEWHERE_PRIVATE}): it points at another, or a re-created, cluster"
    )
    assert found.message.count(ELSEWHERE + ",") == 1


def test_api_005_fails_when_the_cluster_has_no_endpoints() -> None:
    setup = cluster_doc(
        Setup(), serverURL="", publicServiceEndpointURL="", privateServiceEndpointURL=""
    )
    found = setup.judge("API-005", cluster=CLUSTER)
    assert found.status == "fail"
    assert f"is none of the endpoints of cluster {CLUSTER} (none)" in found.message


def test_api_005_passes_on_the_private_endpoint_alone() -> None:
    setup = cluster_doc(
        Setup(),
        serverURL=ELSEWHERE,
        publicServiceEndpointURL=ELSEWHERE,
        privateServiceEndpointURL=SERVER + "/",
    )
    found = setup.judge("API-005", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        f"master 1.33 at {SERVER}; the API says 1.33.4_1530",
    )


def test_api_005_fails_on_a_version_without_git_version() -> None:
    setup = Setup().http_json("/version", without("gitVersion"))
    found = setup.judge("API-005", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"GET {MASTER} does not match k8s-version.schema.json: "
        "$: 'gitVersion' is a required property"
    )


def test_api_005_fails_when_the_master_does_not_answer() -> None:
    setup = Setup()
    setup.http("/version").update(status=None, body="", stage="dns", error="no such host")
    found = setup.judge("API-005", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {MASTER}: DNS lookup failed: no such host"


# -- API-006 ---------------------------------------------------------------------------------

VERSION_REMEDIATION = f"ibmcloud ks cluster master update --cluster {CLUSTER} --version <supported>"


def end_of_service(setup: Setup, when: str, platform: str = "kubernetes", minor: int = 33) -> Setup:
    """The listed ``platform`` version ``*.minor`` goes out of service ``when``."""

    def change(doc: dict[str, Any]) -> None:
        [row] = [r for r in doc[platform] if r["minor"] == minor]
        row["end_of_service"] = when

    return setup.http_json("/v1/versions", change)


def day(offset: timedelta) -> str:
    """The UTC date of the recording's instant plus ``offset``, as messages write it."""
    return iso(SETUP.recorded_at + offset)[:10]


def test_api_006_passes_with_no_end_of_service() -> None:
    found = Setup().judge("API-006", cluster=CLUSTER)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == "kubernetes 1.33 is supported, with no end of service announced"


@pytest.mark.parametrize(
    ("left", "status", "days"),
    [
        (timedelta(days=90), "pass", None),
        (timedelta(days=30, seconds=1), "pass", None),
        (timedelta(days=30), "warn", 30),
        (timedelta(days=10), "warn", 10),
        (timedelta(hours=1), "warn", 0),
    ],
    ids=["90-days", "30-days-1-s", "30-days", "10-days", "1-hour"],
)
def test_api_006_before_the_end_of_service(left: timedelta, status: str, days: int | None) -> None:
    found = end_of_service(Setup(), iks_date(left)).judge("API-006", cluster=CLUSTER)
    seen = f"kubernetes 1.33 is supported until {day(left)}"
    assert found.status == status
    if days is None:
        assert (found.message, found.remediation) == (seen, "")
    else:
        assert found.message == f"{seen} ({days} days left)"
        assert found.remediation == VERSION_REMEDIATION


@pytest.mark.parametrize(
    "past", [timedelta(0), timedelta(seconds=1), timedelta(days=45)], ids=["now", "1-s", "45-days"]
)
def test_api_006_fails_past_the_end_of_service(past: timedelta) -> None:
    found = end_of_service(Setup(), iks_date(-past)).judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"kubernetes 1.33 reached its end of service on {day(-past)}"
    assert found.remediation == VERSION_REMEDIATION


def test_api_006_fails_past_an_end_of_service_with_fractional_seconds() -> None:
    when = (SETUP.recorded_at - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    found = end_of_service(Setup(), when).judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"kubernetes 1.33 reached its end of service on {day(-timedelta(45))}"


def test_api_006_fails_when_the_version_is_not_listed() -> None:
    setup = Setup().http_json(
        "/v1/versions",
        lambda doc: doc["kubernetes"].remove(doc["kubernetes"][1]),
        credential="bearer:apikey",
    )
    found = setup.judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == "kubernetes 1.33 is not among the supported versions (1.32, 1.34)"
    assert found.remediation == VERSION_REMEDIATION


OPENSHIFT = "4.16.30_1544_openshift"


def test_api_006_judges_openshift_against_the_openshift_list() -> None:
    setup = cluster_doc(Setup(), masterKubeVersion=OPENSHIFT, type="openshift")
    found = setup.judge("API-006", cluster=CLUSTER)
    assert (found.status, found.message) == (
        "pass",
        "openshift 4.16 is supported, with no end of service announced",
    )


def test_api_006_openshift_past_its_end_of_service_fails() -> None:
    setup = cluster_doc(Setup(), masterKubeVersion=OPENSHIFT, type="openshift")
    end_of_service(setup, iks_date(-timedelta(days=1)), "openshift", 16)
    found = setup.judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"openshift 4.16 reached its end of service on {day(-timedelta(days=1))}"
    )


def test_api_006_openshift_is_not_found_in_the_kubernetes_list() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["kubernetes"].append({**doc["openshift"][0]})  # 4.16, listed for the wrong platform
        doc["openshift"][0]["minor"] = 17

    setup = cluster_doc(Setup(), masterKubeVersion=OPENSHIFT, type="openshift")
    found = setup.http_json("/v1/versions", change).judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == "openshift 4.16 is not among the supported versions (4.17)"


def test_api_006_fails_on_a_schema_problem() -> None:
    setup = end_of_service(Setup(), "2026-12-01")
    found = setup.judge("API-006", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message.startswith(
        f"GET {IKS}/v1/versions does not match iks-versions.schema.json: "
        "$.kubernetes[1].end_of_service: '2026-12-01' does not match"
    )
