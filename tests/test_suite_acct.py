"""ACCT-001 end to end: the suite against the fake IBM Cloud (tests/fakecloud.py), which shows a
token only its account's clusters, as IKS does; and a recorded bundle replays to the verdict of
the live run, its accounts pseudonymised alike wherever they appear.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

import fakecloud
import testenv

CLUSTER = testenv.CLUSTER
OTHER = testenv.OTHER_ACCOUNT
OWNER = fakecloud.ACCOUNT
pytestmark = pytest.mark.usefixtures("make_workstation")


def acct(run) -> dict[str, Any]:
    return run.check("ACCT-001", cluster=CLUSTER)


def test_one_account_passes(make_workstation, run_suite) -> None:
    ws = make_workstation()
    found = acct(run_suite(*ws.args))
    assert found["status"] == "pass"
    assert found["message"] == (
        f"cluster {CLUSTER} belongs to account {OWNER}: the CLI targets it "
        "and IBMCLOUD_API_KEY belongs to it"
    )


def test_the_cli_targeting_another_account_fails(make_workstation, run_suite) -> None:
    """The key sees the cluster; the CLI (its session in the other account) would not."""
    ws = make_workstation(cli_account=OTHER)
    run = run_suite(*ws.args)
    found = acct(run)
    assert found["status"] == "fail"
    assert found["message"] == (
        f"cluster {CLUSTER} belongs to account {OWNER}; the CLI targets account {OTHER}"
    )
    assert found["remediation"] == f"ibmcloud target -c {OWNER}"
    assert run.status("API-003", cluster=CLUSTER) == "pass"


def test_an_api_key_of_another_account_fails(make_workstation, run_suite) -> None:
    ws = make_workstation(api_key_account=OTHER)
    run = run_suite(*ws.args)
    found = acct(run)
    assert found["status"] == "fail"
    assert found["message"] == (
        f"cluster {CLUSTER} belongs to account {OWNER}; IBMCLOUD_API_KEY belongs to account "
        f"{OTHER} (an API key works only in the account it was created in)"
    )
    assert found["remediation"].startswith(f"ibmcloud target -c {OWNER}; ibmcloud iam api-key")
    assert run.status("API-003", cluster=CLUSTER) == "fail"  # IKS hides the cluster from it


def test_no_credential_that_sees_the_cluster_is_blocked_by_api_003(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(api_key_account=OTHER, cli_account=OTHER)
    found = acct(run_suite(*ws.args))
    assert (found["status"], found["blocked_by"]) == ("skip", ["API-003"])
    assert found["message"] == f"the IKS API does not show cluster {CLUSTER} to IBMCLOUD_API_KEY"


def test_a_crn_without_an_account_is_an_error(make_workstation, run_suite) -> None:
    ws = make_workstation()
    ws.cloud.clusters[0]["crn"] = "crn:v1:bluemix:public:containers-kubernetes:us-south"
    found = acct(run_suite(*ws.args))
    assert found["status"] == "error"
    assert found["message"].startswith(f"the account of cluster {CLUSTER} cannot be learned")
    assert found["message"].endswith("is not a CRN (crn:v1:...: ten segments)")


def test_a_broken_iks_answer_is_an_error(make_workstation, run_suite) -> None:
    ws = make_workstation()
    ws.cloud.fault(f"/v1/clusters/{CLUSTER}", status=503, body={"code": "E0503"})
    found = acct(run_suite(*ws.args, timeout=2))
    assert found["status"] == "error"
    assert "cannot be learned: GET " in found["message"]
    assert "HTTP 503" in found["message"]


def test_without_credentials_it_does_not_apply(make_workstation, run_suite) -> None:
    ws = make_workstation(api_key=None)
    config = ws.home / ".bluemix" / "config.json"
    doc = json.loads(config.read_text())
    doc["IAMToken"] = ""
    config.write_text(json.dumps(doc))
    found = acct(run_suite(*ws.args))
    assert found["status"] == "skip"
    assert found["message"].startswith("no IBM Cloud credentials")


# -- a recorded bundle: pseudonyms, and the same verdict ----------------------------------------


def _accounts_in(manifest: dict[str, Any]) -> dict[str, set[str]]:
    """Every account the bundle names: in crns, in CLI configs, in IAM tokens."""
    found: dict[str, set[str]] = {"crn": set(), "cli": set(), "key": set(), "session": set()}
    for entry in manifest["evidence"]:
        text = json.dumps(entry["data"])
        found["crn"] |= set(re.findall(r":a/([0-9a-f]{32}):", text))
        if entry["key"].endswith("/.bluemix/config.json"):
            config = json.loads(entry["data"]["text"])
            found["cli"].add(config["Account"]["GUID"])
            found["session"].add(_bss(config["IAMToken"].removeprefix("Bearer ")))
        if entry["key"].startswith("POST ") and "(apikey)" in entry["key"]:
            found["key"].add(_bss(json.loads(entry["data"]["body"])["access_token"]))
    return found


def _bss(token: str) -> str:
    body = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return str(claims["account"]["bss"])


@pytest.mark.parametrize(
    ("changes", "same_key"),
    [({}, True), ({"api_key_account": OTHER}, False)],
    ids=["one-account", "key-elsewhere"],
)
def test_a_bundle_pseudonymises_accounts_alike_and_replays_alike(
    make_workstation, run_suite, tmp_path: Path, changes: dict[str, str], same_key: bool
) -> None:
    ws = make_workstation(**changes)
    bundle = tmp_path / "bundle"
    live = run_suite(*ws.args, "--record", str(bundle))
    manifest = json.loads((bundle / "manifest.json").read_text())
    text = json.dumps(manifest)
    assert OWNER not in text and OTHER not in text
    found = _accounts_in(manifest)
    assert len(found["crn"]) == 1 and found["crn"] == found["cli"] == found["session"]
    assert len(found["key"]) == 1
    assert (found["key"] == found["crn"]) is same_key
    replayed = run_suite("--replay", str(bundle))
    assert acct(replayed)["status"] == acct(live)["status"] == ("pass" if same_key else "fail")
    assert live.statuses() == replayed.statuses()
