"""NET-001..003 in memory: the healthy recording's HTTP answers, broken at each stage.

The end-to-end runs keep real DNS, sockets, TLS and proxies; these cover each branch of the
checks' judgement: the stage named in words, the URL, the HTTP status, the remediation.
"""

from __future__ import annotations

from typing import Any

import pytest

import testenv
from memory import Setup

CLUSTER = testenv.CLUSTER
SETUP = Setup()
#: Where the recording's IAM, IKS API and master live (one stand-in server).
MASTER = SETUP.http("/version")["url"]
SERVER = MASTER.removesuffix("/version")
IAM = SETUP.settings.iam_url
IKS = SETUP.settings.containers_url
DISCOVERY = "/identity/.well-known/openid-configuration"
NETWORK = "Check the network path (VPN, firewall, HTTPS_PROXY / NO_PROXY) to {host}"
CA_BUNDLE = "A proxy that inspects TLS needs its CA in REQUESTS_CA_BUNDLE"

#: Each stage a request can break at: (stage, the error the transport said, the words shown).
STAGES = [
    ("dns", "[Errno -2] Name or service not known", "DNS lookup failed"),
    ("connect", "[Errno 111] Connection refused", "connection failed"),
    ("tls", "certificate verify failed: self-signed certificate", "TLS verification failed"),
    ("timeout", "no answer within 10.0 s", "timed out"),
    ("http", "Connection aborted: RemoteDisconnected", "the HTTP exchange broke"),
]  # fmt: skip
STAGE_IDS = [stage for stage, _, _ in STAGES]


def broken(answer: dict[str, Any], stage: str, error: str) -> None:
    """``answer`` becomes a request that broke at ``stage``: no status, no body."""
    answer.update(status=None, headers={}, body="", stage=stage, error=error)


def answered(answer: dict[str, Any], status: int) -> None:
    """``answer`` becomes an HTTP answer with ``status`` (in 0.25 s, so the message is known)."""
    answer.update(status=status, stage="", error="", duration=0.25)


# -- NET-001 ---------------------------------------------------------------------------------


def test_net_001_passes_on_200() -> None:
    setup = Setup()
    answered(setup.http("/version"), 200)
    found = setup.judge("NET-001", cluster=CLUSTER)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"GET {MASTER}: HTTP 200 over verified TLS in 0.25 s"


@pytest.mark.parametrize(("stage", "error", "words"), STAGES, ids=STAGE_IDS)
def test_net_001_fails_naming_the_stage(stage: str, error: str, words: str) -> None:
    setup = Setup()
    broken(setup.http("/version"), stage, error)
    found = setup.judge("NET-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {MASTER}: {words}: {error}"
    if stage == "tls":
        assert found.remediation == (
            f"ibmcloud ks cluster config --cluster {CLUSTER} (the CA may be out of date)"
        )
    else:
        assert found.remediation == (
            NETWORK.format(host=SERVER) + "; a private service endpoint answers only from "
            "IBM Cloud's private network"
        )


def test_net_001_an_unknown_stage_still_fails() -> None:
    setup = Setup()
    broken(setup.http("/version"), "socks", "something went wrong")
    found = setup.judge("NET-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {MASTER}: failed: something went wrong"


@pytest.mark.parametrize("status", [401, 503])
def test_net_001_fails_on_an_http_error(status: int) -> None:
    setup = Setup()
    answered(setup.http("/version"), status)
    found = setup.judge("NET-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == f"GET {MASTER}: HTTP status {status}"
    assert found.remediation.startswith(NETWORK.format(host=SERVER))


# -- NET-002 and NET-003 ---------------------------------------------------------------------

#: (check, the recorded request it judges: path and credential, the URL, the host it names).
ENDPOINTS = [
    ("NET-002", DISCOVERY, None, IAM + DISCOVERY, IAM),
    ("NET-003", "/v1/regions", "", IKS + "/v1/regions", IKS),
]
ENDPOINT_IDS = ["NET-002", "NET-003"]


@pytest.mark.parametrize(
    ("check_id", "path", "credential", "url", "host"), ENDPOINTS, ids=ENDPOINT_IDS
)
@pytest.mark.parametrize("status", [200, 401, 404])
def test_endpoint_passes_when_it_answers(
    check_id: str, path: str, credential: str | None, url: str, host: str, status: int
) -> None:
    setup = Setup()
    answered(setup.http(path, credential), status)
    found = setup.judge(check_id)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == f"GET {url}: HTTP {status} over verified TLS in 0.25 s"


@pytest.mark.parametrize(
    ("check_id", "path", "credential", "url", "host"), ENDPOINTS, ids=ENDPOINT_IDS
)
def test_endpoint_fails_on_503(
    check_id: str, path: str, credential: str | None, url: str, host: str
) -> None:
    setup = Setup()
    answered(setup.http(path, credential), 503)
    found = setup.judge(check_id)
    assert found.status == "fail"
    assert found.message == f"GET {url}: HTTP status 503"
    assert found.remediation == NETWORK.format(host=host)


@pytest.mark.parametrize(
    ("check_id", "path", "credential", "url", "host"), ENDPOINTS, ids=ENDPOINT_IDS
)
@pytest.mark.parametrize(("stage", "error", "words"), STAGES, ids=STAGE_IDS)
def test_endpoint_fails_naming_the_stage(
    check_id: str,
    path: str,
    credential: str | None,
    url: str,
    host: str,
    stage: str,
    error: str,
    words: str,
) -> None:
    setup = Setup()
    broken(setup.http(path, credential), stage, error)
    found = setup.judge(check_id)
    assert found.status == "fail"
    assert found.message == f"GET {url}: {words}: {error}"
    assert found.remediation == (CA_BUNDLE if stage == "tls" else NETWORK.format(host=host))


def test_net_003_asks_without_credentials() -> None:
    """Reachability, not access: the API key's request may fail, NET-003 does not look at it."""
    setup = Setup()
    broken(setup.http("/v1/regions", "bearer:apikey"), "connect", "Connection refused")
    found = setup.judge("NET-003")
    assert found.status == "pass"
    assert found.message.startswith(f"GET {IKS}/v1/regions: HTTP 401 over verified TLS")
