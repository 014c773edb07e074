"""Tests for ikscheck.pseudonyms, through the Redactor: personal data is replaced consistently."""

from __future__ import annotations

import base64
import json
import re

import yaml

from ikscheck.pseudonyms import pseudonymise_text
from ikscheck.redact import Redactor
from redaction_samples import assert_no_canary, canary_kubeconfig, read


def test_pseudonymised_user_still_names_its_entry() -> None:
    text = canary_kubeconfig("kubeconfig/merged-cluster-config.yml")
    first = Redactor(pseudonymise=True).redact_text(text, kind="yaml")
    second = Redactor(pseudonymise=True).redact_text(text, kind="yaml")
    assert first == second
    assert "jane.doe@example.com" not in first
    assert "0a1b2c3d4e5f60718293a4b5c6d7e8f9" not in first
    assert_no_canary(first)
    config = yaml.safe_load(first)
    user = config["contexts"][0]["context"]["user"]
    assert user == config["users"][0]["name"]
    email, account, rest = user.split("/")
    assert re.fullmatch(r"user-[0-9a-f]{8}@example\.invalid", email)
    assert re.fullmatch(r"[0-9a-f]{32}", account)
    assert rest == "iam.cloud.ibm.com-identity"
    # The same account id in another file maps to the same pseudonym.
    cli = json.loads(Redactor(pseudonymise=True).redact_text(read("ibmcloud/config.json"), "json"))
    assert cli["Account"]["GUID"] == account
    assert cli["Account"]["Owner"] == email


def test_pseudonymise_iam_ids() -> None:
    text = (
        "iam_id: IBMid-550000ABCD\n"
        "service: iam-ServiceId-0c4f2b5e-1111-2222-3333-444455556666\n"
        "again: IBMid-550000ABCD, other IBMid-270002WXYZ\n"
    )
    out = Redactor(pseudonymise=True).redact_text(text)
    assert "550000ABCD" not in out and "270002WXYZ" not in out
    assert "0c4f2b5e-1111" not in out
    ids = re.findall(r"IBMid-[0-9a-f]{8}", out)
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert re.search(r"iam-ServiceId-[0-9a-f]{8}\n", out)
    assert Redactor(pseudonymise=True).redact_text(out) == out


def test_no_pseudonymisation_by_default() -> None:
    text = "owner: jane.doe@example.com account 0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert Redactor().redact_text(text) == text


def test_an_account_in_a_trimmed_jwt_gets_the_pseudonym_it_gets_elsewhere() -> None:
    """ACCT-001 compares the token's account.bss with the crn's and Account.GUID: a replay
    must see one account where the live run saw one, and two where it saw two."""
    account, other = "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "5e8f0c2b7a9d41c6b3e2f1a0d9c8b7a6"

    def trimmed(bss: str) -> str:
        claims = {"exp": 1795168800, "account": {"bss": bss}}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"eyJhbGciOiJSUzI1NiJ9.{payload}.redacted"

    def bss(token: str) -> str:
        body = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["account"]["bss"]

    memo: dict[str, str] = {}
    crn = pseudonymise_text(
        f"crn:v1:bluemix:public:containers-kubernetes:us-south:a/{account}::", memo
    )
    same, elsewhere = (pseudonymise_text(trimmed(a), memo) for a in (account, other))
    assert bss(same) == crn.split(":")[6].removeprefix("a/") != account
    assert bss(elsewhere) not in (bss(same), other)
    assert pseudonymise_text(same, memo) == same  # twice: unchanged
    signed = trimmed(account).replace(".redacted", ".c2ln")  # never rewritten: not trimmed
    assert pseudonymise_text(signed, {}) == signed
