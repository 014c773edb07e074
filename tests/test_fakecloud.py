"""The fake IBM Cloud (tests/fakecloud.py), driven by plain ``requests`` over real TLS.

``REQUESTS_CA_BUNDLE`` may be set on this machine, and it wins over a Session's ``verify``:
every request here passes ``verify=`` itself.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
import trustme

import fakecloud
import testenv
from fakecloud import APIKEY_GRANT, HUGE_SIZE, SIGNING_KEY, FakeCloud, running
from ikscheck import jsonschemas

CANARY = "canary-api-key-test-fakecloud-5f1d"


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def cloud(ca: trustme.CA) -> Iterator[FakeCloud]:
    with running(ca, api_key=CANARY) as started:
        yield started


def grant(cloud: FakeCloud, ca_file: str, **form: str) -> requests.Response:
    data = {"grant_type": APIKEY_GRANT, "apikey": CANARY, **form}
    return requests.post(cloud.url + "/identity/token", data=data, verify=ca_file, timeout=5)


def get(
    cloud: FakeCloud, ca_file: str, path: str, token: str | None = "", **kwargs: Any
) -> requests.Response:
    """GET ``path`` with a bearer token (a fresh one if ``token`` is "", none if None)."""
    headers = {}
    if token is not None:
        headers["Authorization"] = "Bearer " + (token or cloud.issue_token())
    kwargs.setdefault("timeout", 5)
    return requests.get(cloud.url + path, headers=headers, verify=ca_file, **kwargs)


# -- IAM ------------------------------------------------------------------------------------


def test_the_api_key_grant_gives_a_fresh_signed_token(cloud: FakeCloud, ca_file: str) -> None:
    before = time.time()
    answer = grant(cloud, ca_file)
    assert answer.status_code == 200
    doc = answer.json()
    assert jsonschemas.problems(doc, "iam-token") == []
    claims = jwt.decode(doc["access_token"], SIGNING_KEY, algorithms=["HS256"])
    assert before - 1 <= claims["iat"] <= time.time() + 1
    assert claims["exp"] == claims["iat"] + 3600 == doc["expiration"]
    assert doc["expires_in"] == 3600
    assert (doc["token_type"], doc["scope"]) == ("Bearer", "ibm openid")
    assert doc["refresh_token"] and doc["refresh_token"] != doc["access_token"]
    assert claims["grant_type"] == APIKEY_GRANT
    assert grant(cloud, ca_file).json()["access_token"] != doc["access_token"]
    # The answer's Date is the server's clock.
    date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
    assert abs(date - (doc["expiration"] - doc["expires_in"])) <= 2


def test_a_clock_offset_moves_token_times_and_the_date_header(ca: trustme.CA, ca_file: str) -> None:
    with running(ca, api_key=CANARY, clock_offset=timedelta(minutes=10)) as cloud:
        answer = grant(cloud, ca_file)
        doc = answer.json()
        server_now = doc["expiration"] - doc["expires_in"]
        assert 590 <= server_now - time.time() <= 610
        date = parsedate_to_datetime(answer.headers["Date"]).timestamp()
        assert 590 <= date - time.time() <= 610


def test_a_wrong_api_key_is_refused_as_iam_does(cloud: FakeCloud, ca_file: str) -> None:
    answer = grant(cloud, ca_file, apikey="not-the-key")
    assert answer.status_code == 400
    doc = answer.json()
    assert doc["errorCode"] == "BXNIM0415E"
    assert doc["errorMessage"] == "Provided API key could not be found"
    assert jsonschemas.problems(doc, "iam-error") == []


@pytest.mark.parametrize(
    "form", [{"grant_type": "password"}, {"grant_type": "refresh_token"}, {"apikey": ""}]
)
def test_other_grants_are_refused_with_a_bxnim_error(
    cloud: FakeCloud, ca_file: str, form: dict[str, str]
) -> None:
    answer = grant(cloud, ca_file, **form)
    assert answer.status_code == 400
    assert answer.json()["errorCode"].startswith("BXNIM")
    assert jsonschemas.problems(answer.json(), "iam-error") == []


# -- IKS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/regions", "/v1/clusters", "/v1/versions"])
def test_the_iks_api_wants_a_token_this_server_issued(
    cloud: FakeCloud, ca_file: str, path: str
) -> None:
    stranger = jwt.encode({"exp": time.time() + 3600}, SIGNING_KEY, algorithm="HS256")
    for token in (None, "garbage", stranger):
        answer = get(cloud, ca_file, path, token=token)
        assert answer.status_code == 401, token
        assert jsonschemas.problems(answer.json(), "iks-error") == []
    issued = grant(cloud, ca_file).json()["access_token"]
    assert get(cloud, ca_file, path, token=issued).status_code == 200
    # Expired by the server's clock.
    cloud.clock_offset = timedelta(hours=2)
    assert get(cloud, ca_file, path, token=issued).status_code == 401


def test_each_route_serves_its_sample_shape(cloud: FakeCloud, ca_file: str) -> None:
    for path, schema in [
        ("/v1/regions", "iks-regions"),
        ("/v1/clusters", "iks-clusters"),
        (f"/v1/clusters/{testenv.CLUSTER}", "iks-cluster"),
        (f"/v1/clusters/{testenv.CLUSTER_ID}", "iks-cluster"),
        ("/v1/versions", "iks-versions"),
        ("/version", "k8s-version"),
    ]:
        answer = get(cloud, ca_file, path, token=None if path == "/version" else "")
        assert answer.status_code == 200, path
        assert answer.headers["Content-Type"] == "application/json"
        assert jsonschemas.problems(answer.json(), schema) == [], path
    token = grant(cloud, ca_file).json()
    assert jsonschemas.problems(token, "iam-token") == []


def test_the_cluster_s_master_is_this_server(cloud: FakeCloud, ca_file: str) -> None:
    (listed,) = get(cloud, ca_file, "/v1/clusters").json()
    assert (listed["name"], listed["id"]) == (testenv.CLUSTER, testenv.CLUSTER_ID)
    assert listed["serverURL"] == listed["publicServiceEndpointURL"] == cloud.url
    master = requests.get(listed["serverURL"] + "/version", verify=ca_file, timeout=5)
    assert master.json()["gitVersion"] == "v1.31.4+IKS"
    assert (master.json()["major"], master.json()["minor"]) == ("1", "31")
    assert cloud.cluster_document(name="other")["serverURL"] == cloud.url


def test_an_unknown_cluster_is_g0004(cloud: FakeCloud, ca_file: str) -> None:
    answer = get(cloud, ca_file, "/v1/clusters/nosuchcluster")
    assert answer.status_code == 404
    doc = answer.json()
    assert doc["code"] == "G0004"
    assert doc["description"].startswith("The specified cluster could not be found")
    assert "ibmcloud ks cluster ls" in doc["recoveryCLI"]
    assert jsonschemas.problems(doc, "iks-error") == []
    assert (
        get(cloud, ca_file, "/v1/clusters/nosuchcluster").json()["incidentID"] != doc["incidentID"]
    )


def test_tests_change_the_documents_served(cloud: FakeCloud, ca_file: str) -> None:
    cloud.clusters[0].update(state="critical", masterKubeVersion="1.29.7_1550")
    cloud.versions["kubernetes"][0]["end_of_service"] = "2026-01-01T00:00:00+0000"
    cloud.clusters.append(cloud.cluster_document(name="second", id="cq0000000000000000aa"))
    assert get(cloud, ca_file, "/v1/clusters/mycluster").json()["state"] == "critical"
    assert [c["name"] for c in get(cloud, ca_file, "/v1/clusters").json()] == [
        "mycluster",
        "second",
    ]
    assert get(cloud, ca_file, "/v1/clusters/cq0000000000000000aa").json()["name"] == "second"
    versions = get(cloud, ca_file, "/v1/versions").json()
    assert versions["kubernetes"][0]["end_of_service"] == "2026-01-01T00:00:00+0000"
    # The master follows the first cluster's version, unless set.
    version = get(cloud, ca_file, "/version", token=None).json()
    assert (version["minor"], version["gitVersion"]) == ("29", "v1.29.7+IKS")
    cloud.master_version = "1.33"
    version = get(cloud, ca_file, "/version", token=None).json()
    assert (version["major"], version["minor"], version["gitVersion"]) == ("1", "33", "v1.33.0+IKS")


def test_an_unknown_path_is_404(cloud: FakeCloud, ca_file: str) -> None:
    assert get(cloud, ca_file, "/v2/nothing").status_code == 404
    assert requests.get(cloud.url + "/identity/token", verify=ca_file, timeout=5).status_code == 404


# -- the record -----------------------------------------------------------------------------


def test_the_request_log_tells_routes_forms_and_headers(cloud: FakeCloud, ca_file: str) -> None:
    grant(cloud, ca_file)
    grant(cloud, ca_file, apikey="wrong")
    get(cloud, ca_file, "/v1/clusters")
    get(cloud, ca_file, "/v1/clusters/mycluster?showResources=true")
    assert cloud.hits("/identity/token") == 2
    assert cloud.hits("/v1/clusters") == 1
    assert cloud.hits("/v1/clusters*") == 2
    first = cloud.requests[0]
    assert (first.method, first.status, first.form["grant_type"]) == ("POST", 200, APIKEY_GRANT)
    assert first.form["apikey"] == CANARY
    assert cloud.requests[1].status == 400
    assert cloud.requests[2].headers["Authorization"].startswith("Bearer ")
    assert cloud.requests[3].url.endswith("/v1/clusters/mycluster?showResources=true")
    assert not any(CANARY in hit.url for hit in cloud.requests)
    cloud.clear_requests()
    assert (cloud.requests, cloud.hits("/identity/token")) == ([], 0)


# -- faults ---------------------------------------------------------------------------------


def test_a_status_fault_for_the_next_n_requests(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/identity/token", status=503, times=2)
    assert [grant(cloud, ca_file).status_code for _ in range(3)] == [503, 503, 200]
    body = {"errorCode": "BXNIM0000E", "errorMessage": "down"}
    cloud.fault("/identity/token", status=500, body=body)  # every request
    assert [grant(cloud, ca_file).json() for _ in range(2)] == [body, body]
    assert [h.fault for h in cloud.requests] == ["status"] * 2 + [""] + ["status"] * 2
    cloud.clear_faults()
    assert grant(cloud, ca_file).status_code == 200


def test_the_newest_matching_fault_wins_until_used_up(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/v1/*", status=500)
    cloud.fault("/v1/regions", status=502, times=1)
    assert get(cloud, ca_file, "/v1/regions").status_code == 502
    assert get(cloud, ca_file, "/v1/regions").status_code == 500
    assert get(cloud, ca_file, "/v1/versions").status_code == 500
    assert get(cloud, ca_file, "/version", token=None).status_code == 200
    cloud.clear_faults("/v1/*")
    assert get(cloud, ca_file, "/v1/regions").status_code == 200


def test_an_html_page_from_a_proxy(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/v1/regions", html=True)
    answer = get(cloud, ca_file, "/v1/regions")
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text.startswith("<html>\r\n<head><title>502 Bad Gateway</title>")
    cloud.fault("/v1/regions", html=True, status=504)
    assert "<title>504 Gateway Timeout</title>" in get(cloud, ca_file, "/v1/regions").text


def test_a_truncated_body_breaks_the_read(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/v1/clusters", truncate=True, times=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        get(cloud, ca_file, "/v1/clusters")
    assert get(cloud, ca_file, "/v1/clusters").status_code == 200


def test_a_huge_body(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/version", huge=True, times=1)
    answer = get(cloud, ca_file, "/version")
    assert answer.status_code == 200
    assert int(answer.headers["Content-Length"]) == len(answer.content) == HUGE_SIZE
    assert set(answer.json()) == {"padding"}


def test_a_reset_connection(cloud: FakeCloud, ca_file: str, ca: trustme.CA) -> None:
    cloud.fault("/identity/token", reset=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        grant(cloud, ca_file)
    assert cloud.requests[-1].status is None
    # Below TLS it is a real RST (Python's TLS layer tells it as an EOF).
    context = ssl.create_default_context()
    ca.configure_trust(context)
    raw = socket.create_connection(("127.0.0.1", cloud.port), timeout=5)
    tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
    tls.sendall(b"POST /identity/token HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    with socket.socket(fileno=tls.detach()) as plain:
        plain.settimeout(5)
        with pytest.raises(ConnectionResetError):
            while plain.recv(65536):  # TLS records (session tickets), then the RST
                pass


def test_a_hang_times_out_and_does_not_hold_up_stopping(ca: trustme.CA, ca_file: str) -> None:
    cloud = FakeCloud(ca, api_key=CANARY)
    cloud.start()
    try:
        cloud.fault("/v1/regions", hang=True)
        with pytest.raises(requests.exceptions.ReadTimeout):
            get(cloud, ca_file, "/v1/regions", timeout=0.5)
        assert get(cloud, ca_file, "/v1/versions").status_code == 200  # others are served
    finally:
        started = time.monotonic()
        cloud.stop()
        assert time.monotonic() - started < 1.0
    assert not cloud.is_running()


def test_latency_delays_the_answer(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/v1/regions", latency=0.2, times=1)
    started = time.monotonic()
    assert get(cloud, ca_file, "/v1/regions").status_code == 200
    assert time.monotonic() - started >= 0.2
    assert cloud.requests[-1].fault == "latency"


def test_slow_requests_are_served_concurrently(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/v1/clusters", latency=0.3)
    token = cloud.issue_token()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(
            pool.map(lambda _: get(cloud, ca_file, "/v1/clusters", token).status_code, range(8))
        )
    assert statuses == [200] * 8
    assert cloud.hits("/v1/clusters") == 8
    assert cloud.max_in_flight > 1


def test_running_stops_the_server_on_an_error(ca: trustme.CA) -> None:
    with pytest.raises(RuntimeError), running(ca) as cloud:
        assert cloud.is_running()
        raise RuntimeError("boom")
    assert not cloud.is_running()


def test_clear_keeps_the_routes(cloud: FakeCloud, ca_file: str) -> None:
    cloud.fault("/version", status=500)
    get(cloud, ca_file, "/version")
    cloud.clear()
    assert cloud.requests == []
    assert get(cloud, ca_file, "/version", token=None).status_code == 200
    assert get(cloud, ca_file, "/nothing").status_code == 404


# -- the master's OpenShift OAuth discovery --------------------------------------------------


def test_the_master_serves_its_oauth_discovery_naming_itself(
    cloud: FakeCloud, ca_file: str
) -> None:
    answer = get(cloud, ca_file, "/.well-known/oauth-authorization-server", token=None)
    assert answer.status_code == 200
    doc = answer.json()
    assert jsonschemas.problems(doc, "oauth-authorization-server") == []
    assert doc["issuer"] == cloud.url
    assert doc["token_endpoint"] == f"{cloud.url}/oauth/token"
    assert doc["authorization_endpoint"] == f"{cloud.url}/oauth/authorize"


def test_an_openshift_masters_version_is_an_openshift_build(cloud: FakeCloud, ca_file: str) -> None:
    assert get(cloud, ca_file, "/version", token=None).json()["gitVersion"].endswith("+IKS")
    cloud.clusters[0].update(type="openshift", masterKubeVersion="4.16.30_1544_openshift")
    cloud.master_version = "1.29.10"
    doc = get(cloud, ca_file, "/version", token=None).json()
    assert (doc["minor"], doc["gitVersion"]) == ("29", "v1.29.10+67d3387")


# -- the setup guide's flow from an API key to the Kubernetes API ------------------------------


def post(cloud: FakeCloud, ca_file: str, client: str, **form: str) -> requests.Response:
    headers = {"Authorization": client} if client else {}
    url = cloud.url + "/identity/token"
    return requests.post(url, data=form, headers=headers, verify=ca_file, timeout=5)


def test_the_flow_from_an_api_key_to_the_master_and_who_it_sees(
    cloud: FakeCloud, ca_file: str
) -> None:
    assert grant(cloud, ca_file).json()["refresh_token"] == "not_supported"  # not the CLI's client
    apikey = {"grant_type": APIKEY_GRANT, "apikey": CANARY}
    refresh = post(cloud, ca_file, fakecloud.CLI_CLIENT, **apikey).json()["refresh_token"]
    delegation = {"response_type": "delegated_refresh_token", "receiver_client_ids": "kube"}
    answer = post(
        cloud, ca_file, fakecloud.CLI_CLIENT, grant_type="refresh_token", refresh_token=refresh,
        **delegation,
    )  # fmt: skip
    assert jsonschemas.problems(answer.json(), "iam-delegated-token") == []
    delegated = answer.json()["delegated_refresh_token"]
    exchange = {"grant_type": fakecloud.DELEGATED_GRANT, "refresh_token": delegated}
    assert post(cloud, ca_file, fakecloud.CLI_CLIENT, **exchange).status_code == 400  # not kube
    answer = post(cloud, ca_file, fakecloud.KUBE_CLIENT, **exchange)
    assert jsonschemas.problems(answer.json(), "iam-id-token") == []
    id_token = answer.json()["id_token"]
    assert jwt.decode(id_token, options={"verify_signature": False})["aud"] == "kube"
    version = get(cloud, ca_file, "/version", token=id_token)
    assert jsonschemas.problems(version.json(), "k8s-version") == []
    assert get(cloud, ca_file, "/version").status_code == 401  # an access token is not one
    headers = {"Authorization": f"Bearer {id_token}"}
    review = requests.post(
        cloud.url + fakecloud.WHOAMI, json={}, headers=headers, verify=ca_file, timeout=5
    )
    assert review.status_code == 201
    assert jsonschemas.problems(review.json(), "k8s-selfsubjectreview") == []
    assert review.json()["status"]["userInfo"]["username"] == "IAM#jane.doe@example.com"
    cloud.refuse_id_tokens = True
    refused = get(cloud, ca_file, "/version", token=id_token)
    assert (refused.status_code, refused.json()["reason"]) == (401, "Unauthorized")
    cloud.serves_whoami = False
    gone = requests.post(cloud.url + fakecloud.WHOAMI, json={}, verify=ca_file, timeout=5)
    assert (gone.status_code, gone.json()["reason"]) == (404, "NotFound")


def test_a_refresh_token_it_took_is_exchanged_or_refused_as_expired(
    cloud: FakeCloud, ca_file: str
) -> None:
    cloud.accept_refresh("the-cli-refresh-token")
    cloud.accept_refresh("an-old-one", expired=True)
    fresh = post(cloud, ca_file, fakecloud.CLI_CLIENT, grant_type="refresh_token",
                 refresh_token="the-cli-refresh-token")  # fmt: skip
    assert jsonschemas.problems(fresh.json(), "iam-token") == []
    for token, code in [("an-old-one", "BXNIM0408E"), ("never-issued", "BXNIM0407E")]:
        answer = post(cloud, ca_file, fakecloud.CLI_CLIENT, grant_type="refresh_token",
                      refresh_token=token)  # fmt: skip
        assert (answer.status_code, answer.json()["errorCode"]) == (400, code)
