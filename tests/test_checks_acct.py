"""ACCT-001 in memory, and the CRN parser it reads the cluster's account with.

Setups start from recordings: ``healthy`` (the cluster, the CLI and the key in one account) and
``api-key-other-account`` (the key in another; IKS showed the cluster to the CLI session only).
Accounts are the recordings' pseudonyms, as a support engineer replaying them sees them.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

import pytest

from ikscheck import accounts
from ikscheck.errors import ParseError
from memory import HOME, Setup

CLUSTER = "mycluster"
CLI_CONFIG = f"{HOME}/.bluemix/config.json"
OTHER = "5e8f0c2b7a9d41c6b3e2f1a0d9c8b7a6"
NEW_KEY = (
    "ibmcloud target -c {}; ibmcloud iam api-key-create <name>; "
    "export IBMCLOUD_API_KEY=<the new key>"
)
WHY_KEY = " (an API key works only in the account it was created in)"
NO_CREDENTIALS = (
    "no IBM Cloud credentials: IBMCLOUD_API_KEY is not set and the CLI is not logged in"
)


def claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def cluster_account(setup: Setup) -> str:
    """The pseudonymised account in the recorded crn."""
    crn = json.loads(setup.http(f"/v1/clusters/{CLUSTER}", "bearer:apikey")["body"])["crn"]
    return str(crn.split(":")[6].removeprefix("a/"))


def key_account(setup: Setup, account: str) -> Setup:
    """The API key's IAM token names ``account`` (as IAM's tokens do, in ``account.bss``)."""

    def change(doc: dict[str, Any]) -> None:
        head, _, signature = doc["access_token"].split(".")
        payload = {**claims(doc["access_token"]), "account": {"bss": account}}
        encoded = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
        doc["access_token"] = f"{head}.{encoded}.{signature}"

    return setup.http_json("/identity/token", change)


def targeting(setup: Setup, account: str | None) -> Setup:
    """The CLI config's ``Account`` names ``account`` (None: no Account at all)."""

    def change(doc: dict[str, Any]) -> None:
        if account is None:
            doc.pop("Account")
        else:
            doc["Account"]["GUID"] = account

    return setup.edit_json(CLI_CONFIG, change)


def one_account() -> tuple[Setup, str]:
    """The healthy recording, its key's token naming the cluster's account: all agree."""
    setup = Setup()
    owner = cluster_account(setup)
    return key_account(setup, owner), owner


def cluster_doc(setup: Setup, change: Any) -> Setup:
    return setup.http_json(f"/v1/clusters/{CLUSTER}", change, "bearer:apikey")


def cli_session(setup: Setup) -> Setup:
    """No IBMCLOUD_API_KEY: the IKS requests go with the CLI's IAMToken (answered alike)."""
    setup.env("IBMCLOUD_API_KEY", None)
    for key in [k for k in setup.records if k.endswith(" (bearer:apikey)")]:
        moved = key.removesuffix(" (bearer:apikey)") + f" (bearer:{CLI_CONFIG})"
        setup.records[moved] = copy.deepcopy(setup.records.pop(key))
    return setup


# -- the CRN parser ------------------------------------------------------------------------------


def test_crn_account_reads_the_account_scope() -> None:
    crn = "crn:v1:bluemix:public:containers-kubernetes:us-south:a/0a1b2c3d4e5f:bq8r2k1d0f6::"
    assert accounts.crn_account(crn) == "0a1b2c3d4e5f"


@pytest.mark.parametrize(
    ("crn", "said"),
    [
        (None, "there is no crn"),
        ("", "there is no crn"),
        (42, "the crn is int, not a string"),
        (["crn:v1"], "the crn is list, not a string"),
        ("mycluster", "the crn 'mycluster' is not a CRN (crn:v1:...: ten segments)"),
        ("crn:v1:bluemix:public", "the crn 'crn:v1:bluemix:public' is not a CRN"),
        (
            "urn:v1:bluemix:public:containers-kubernetes:us-south:a/0a1b:bq8::",
            "is not a CRN (crn:v1:...: ten segments)",
        ),
        (
            "crn:v1:bluemix:public:containers-kubernetes:us-south:o/myorg:bq8::",
            "names no account: its scope is 'o/myorg', not a/<account>",
        ),
        (
            "crn:v1:bluemix:public:containers-kubernetes:us-south::bq8::",
            "names no account: its scope is '', not a/<account>",
        ),
        (
            "crn:v1:bluemix:public:containers-kubernetes:us-south:a/:bq8::",
            "names no account: its scope is 'a/', not a/<account>",
        ),
        ("crn:" + ":" * 5000, "is not a CRN"),
    ],
    ids=[
        "none", "empty", "number", "list", "a-name", "too-short", "not-crn", "org-scope",
        "no-scope", "empty-account", "huge",
    ],
)  # fmt: skip
def test_crn_account_says_why_a_crn_names_no_account(crn: object, said: str) -> None:
    with pytest.raises(ParseError, match=re.escape(said)) as raised:
        accounts.crn_account(crn)
    assert len(str(raised.value)) < 400  # a huge crn is not repeated whole


def test_token_account_reads_account_bss() -> None:
    setup = key_account(Setup(), OTHER)
    token = json.loads(setup.http("/identity/token")["body"])["access_token"]
    assert accounts.token_account(token, "the key's token") == OTHER


def test_token_account_of_a_token_without_one_is_empty() -> None:
    assert accounts.token_account("eyJhbGciOiJub25lIn0.e30.", "the key's token") == ""
    with pytest.raises(ParseError, match="the key's token is not a JWT"):
        accounts.token_account("opaque", "the key's token")


# -- ACCT-001 ------------------------------------------------------------------------------------


def test_acct_001_passes_when_all_three_agree() -> None:
    setup, owner = one_account()
    found = setup.judge("ACCT-001", cluster=CLUSTER)
    assert (found.status, found.remediation) == ("pass", "")
    assert found.message == (
        f"cluster {CLUSTER} belongs to account {owner}: the CLI targets it "
        "and IBMCLOUD_API_KEY belongs to it"
    )


def test_acct_001_passes_with_the_cli_session_alone() -> None:
    setup, owner = one_account()
    found = cli_session(setup).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == f"cluster {CLUSTER} belongs to account {owner}: the CLI targets it"


def test_acct_001_says_what_it_could_not_compare() -> None:
    setup, owner = one_account()
    found = targeting(setup, None).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "pass"
    assert found.message == (
        f"cluster {CLUSTER} belongs to account {owner}: IBMCLOUD_API_KEY belongs to it; "
        "the CLI targets no account"
    )


def test_acct_001_fails_when_the_cli_targets_another_account() -> None:
    setup, owner = one_account()
    found = targeting(setup, OTHER).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} belongs to account {owner}; the CLI targets account {OTHER}"
    )
    assert found.remediation == f"ibmcloud target -c {owner}"


def test_acct_001_fails_for_an_api_key_of_another_account() -> None:
    """Recorded: IKS showed the cluster only to the CLI session, which says whose it is."""
    setup = Setup("api-key-other-account")
    owner = json.loads(setup.http(f"/v1/clusters/{CLUSTER}", f"bearer:{CLI_CONFIG}")["body"])
    owner = owner["crn"].split(":")[6].removeprefix("a/")
    token = json.loads(setup.http("/identity/token")["body"])["access_token"]
    key = claims(token)["account"]["bss"]
    assert key != owner  # two accounts stay two pseudonyms
    found = setup.judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} belongs to account {owner}; "
        f"IBMCLOUD_API_KEY belongs to account {key}{WHY_KEY}"
    )
    assert found.remediation == NEW_KEY.format(owner)


def test_acct_001_names_both_when_the_cli_and_the_key_are_elsewhere() -> None:
    setup, owner = one_account()
    found = targeting(key_account(setup, OTHER), "f" * 32).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "fail"
    assert found.message == (
        f"cluster {CLUSTER} belongs to account {owner}; the CLI targets account {'f' * 32}, "
        f"IBMCLOUD_API_KEY belongs to account {OTHER}{WHY_KEY}"
    )
    assert found.remediation == NEW_KEY.format(owner)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda doc: doc.pop("crn"), "there is no crn"),
        (lambda doc: doc.update(crn=""), "there is no crn"),
        (lambda doc: doc.update(crn=7), "the crn is int, not a string"),
        (
            lambda doc: doc.update(crn="crn:v1:broken"),
            "the crn 'crn:v1:broken' is not a CRN (crn:v1:...: ten segments)",
        ),
        (
            lambda doc: doc.update(
                crn="crn:v1:bluemix:public:containers-kubernetes:us-south:s/space:bq8::"
            ),
            "names no account: its scope is 's/space', not a/<account>",
        ),
        (lambda doc: ["not", "an", "object"], "there is no crn"),
    ],
    ids=["no-crn", "empty-crn", "number", "too-short", "space-scope", "a-list"],
)
def test_acct_001_is_an_error_when_the_crn_names_no_account(change: Any, said: str) -> None:
    setup, _ = one_account()
    found = cluster_doc(setup, change).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "error"
    assert found.message.startswith(
        f"the account of cluster {CLUSTER} cannot be learned: GET https://"
    )
    assert f"/v1/clusters/{CLUSTER}: " in found.message
    assert found.message.endswith(said)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (500, '{"code": "E0000", "description": "Internal error"}', "HTTP 500: E0000"),
        (502, "<html><title>Bad Gateway</title></html>", "HTTP 502, and the body is not JSON"),
        (200, "{truncated", "HTTP 200, and the body is not JSON"),
    ],
    ids=["iks-error", "proxy-page", "not-json"],
)
def test_acct_001_is_an_error_when_iks_does_not_answer(status: int, body: str, said: str) -> None:
    setup, _ = one_account()
    setup.http(f"/v1/clusters/{CLUSTER}", "bearer:apikey").update(status=status, body=body)
    found = setup.judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "error"
    assert f"the account of cluster {CLUSTER} cannot be learned: GET https://" in found.message
    assert said in found.message


def test_acct_001_is_blocked_when_iks_shows_the_cluster_to_nobody() -> None:
    """No CLI session answer to fall back on: API-003 says why the cluster is unknown."""
    setup, _ = one_account()
    g0004 = '{"code": "G0004", "description": "The specified cluster could not be found."}'
    setup.http(f"/v1/clusters/{CLUSTER}", "bearer:apikey").update(status=404, body=g0004)
    found = setup.judge("ACCT-001", cluster=CLUSTER)
    assert (found.status, found.blocked_by) == ("skip", ["API-003"])
    assert found.message == f"the IKS API does not show cluster {CLUSTER} to IBMCLOUD_API_KEY"


def test_acct_001_does_not_apply_without_credentials() -> None:
    setup, _ = one_account()
    setup.env("IBMCLOUD_API_KEY", None).edit_json(CLI_CONFIG, lambda doc: doc.pop("IAMToken"))
    found = setup.judge("ACCT-001", cluster=CLUSTER)
    assert (found.status, found.message) == ("skip", NO_CREDENTIALS)


def test_acct_001_does_not_apply_when_nothing_names_an_account() -> None:
    setup, _ = one_account()
    found = targeting(cli_session(setup), None).judge("ACCT-001", cluster=CLUSTER)
    assert found.status == "skip"
    assert (
        found.message
        == f"nothing names an account to compare with the account of cluster {CLUSTER}"
    )
