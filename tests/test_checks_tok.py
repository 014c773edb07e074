"""TOK-001..003 judged in memory: tokens issued relative to the recording's instant."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import jwt
import pytest

import testenv
from ikscheck.policy import Policy
from memory import HOME, Setup

KUBECONFIG = f"{HOME}/.kube/config"
CLI_CONFIG = f"{HOME}/.bluemix/config.json"
CONFIG = "ibmcloud ks cluster config --cluster mycluster"
KEY = "ikscheck-test-signing-key-not-a-secret-0123"


def where(setup: Setup) -> str:
    """How a finding names the kubeconfig file and the user holding the tokens."""
    return f"{KUBECONFIG}, user {setup.kubeconfig_user()}: "


def token(at: datetime, **claims: object) -> str:
    return jwt.encode({"iss": "https://iam.cloud.ibm.com/identity", **claims}, KEY)


def oidc(setup: Setup, **config: object) -> Setup:
    """The cluster user's auth-provider config, changed: a None value removes the field."""

    def change(doc: dict) -> None:
        fields = doc["users"][0]["user"]["auth-provider"]["config"]
        for key, value in config.items():
            if value is None:
                fields.pop(key, None)
            else:
                fields[key] = value

    return setup.edit_yaml(KUBECONFIG, change)


def id_token(setup: Setup, issued: timedelta, lifetime: timedelta = timedelta(hours=1)) -> str:
    """An id-token issued ``issued`` before the recording, valid for ``lifetime``."""
    iat = setup.recorded_at - issued
    return token(iat, iat=int(iat.timestamp()), exp=int((iat + lifetime).timestamp()))


def judge(setup: Setup, check_id: str, **policy: int):
    params = {} if check_id == "TOK-003" else {"cluster": testenv.CLUSTER}
    return setup.judge(check_id, Policy(**policy), **params)


# -- TOK-001 ----------------------------------------------------------------------------------


def test_tok_001_passes_for_a_valid_id_token() -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"id-token": id_token(setup, timedelta(minutes=10))}), "TOK-001")
    assert found.status == "pass"
    assert found.message.startswith("the id-token expires ")
    assert found.message.endswith("(in 50 min)")


def test_tok_001_warns_inside_the_warning_window() -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"id-token": id_token(setup, timedelta(minutes=55))}), "TOK-001")
    assert (found.status, found.remediation) == ("warn", CONFIG)
    assert found.message.endswith("(in 5 min)")


def test_tok_001_an_expired_id_token_with_a_refresh_token_passes() -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"id-token": id_token(setup, timedelta(hours=3))}), "TOK-001")
    assert found.status == "pass"
    assert found.message.endswith("(2 h 0 min ago): kubectl renews it with the refresh-token")


def test_tok_001_an_expired_id_token_without_a_refresh_token_fails() -> None:
    setup = Setup()
    expired = id_token(setup, timedelta(hours=3))
    found = judge(oidc(setup, **{"id-token": expired, "refresh-token": None}), "TOK-001")
    assert (found.status, found.remediation) == ("fail", CONFIG)
    assert found.message.endswith("(2 h 0 min ago), and there is no refresh-token")


def b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-jwt", "the id-token is not a JWT: Not enough segments"),
        ("eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2ln", "the id-token is not a JWT: Invalid payload"),
        (
            f"{b64({'alg': 'none'})}.{b64({'exp': '1795166400'})}.c2ln",
            "the id-token: exp is '1795166400', not a number of seconds",
        ),
        (
            f"{b64({'alg': 'none'})}.{b64({'exp': 1795166400000})}.c2ln",
            "the id-token: exp 1795166400000 is in milliseconds",
        ),
        (f"{b64({'alg': 'none'})}.{b64({'iat': 1})}.c2ln", "the id-token has no exp claim"),
    ],
    ids=["two-parts", "payload-not-json", "exp-string", "exp-milliseconds", "no-exp"],
)
def test_tok_001_fails_for_an_id_token_it_cannot_judge(value: str, message: str) -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"id-token": value}), "TOK-001")
    assert found.status == "fail"
    assert found.message.startswith(where(setup) + message)


def test_tok_001_does_not_apply_without_oidc() -> None:
    setup = Setup().edit_yaml(KUBECONFIG, lambda doc: doc["users"][0].update(user={"token": "x"}))
    found = judge(setup, "TOK-001")
    assert found.status == "skip"
    assert found.message.endswith("does not sign in with OIDC")


# -- TOK-002 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "status"), [(3, "pass"), (29, "pass"), (31, "fail"), (40, "fail")]
)
def test_tok_002_infers_the_refresh_tokens_age_from_the_id_token(days: int, status: str) -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"id-token": id_token(setup, timedelta(days=days))}), "TOK-002")
    assert found.status == status
    assert f"({days} days ago)" in found.message
    if status == "fail":
        assert found.message.endswith(": the refresh token it came with expired")
        assert found.remediation == CONFIG


@pytest.mark.parametrize(("hours", "status"), [(5, "pass"), (-5, "fail")])
def test_tok_002_judges_a_refresh_token_with_exp_by_it(hours: int, status: str) -> None:
    setup = Setup()
    exp = int((setup.recorded_at + timedelta(hours=hours)).timestamp())
    found = judge(oidc(setup, **{"refresh-token": token(setup.recorded_at, exp=exp)}), "TOK-002")
    assert found.status == status
    prefix = where(setup) if status == "fail" else ""
    assert found.message.startswith(prefix + "the refresh token expire")


def test_tok_002_fails_without_a_refresh_token() -> None:
    setup = Setup()
    found = judge(oidc(setup, **{"refresh-token": None}), "TOK-002")
    assert (found.status, found.message) == (
        "fail",
        where(setup) + "no refresh-token: kubectl cannot renew the id-token",
    )


def test_tok_002_an_opaque_refresh_token_is_judged_by_the_id_token() -> None:
    setup = Setup()
    young = id_token(setup, timedelta(days=2))
    found = judge(
        oidc(setup, **{"id-token": young, "refresh-token": "opaque-0123456789"}), "TOK-002"
    )
    assert found.status == "pass"


# -- TOK-003 ----------------------------------------------------------------------------------


def cli(setup: Setup, **fields: object) -> Setup:
    return setup.edit_json(CLI_CONFIG, lambda doc: doc.update(fields))


def test_tok_003_passes_for_a_valid_session() -> None:
    setup = Setup()
    found = judge(cli(setup, IAMToken="Bearer " + id_token(setup, timedelta(minutes=5))), "TOK-003")
    assert found.status == "pass"
    assert found.message.endswith("(in 55 min)")


def test_tok_003_warns_inside_the_window_and_for_an_expired_session_it_can_renew() -> None:
    setup = Setup()
    soon = cli(setup, IAMToken="Bearer " + id_token(setup, timedelta(minutes=55)))
    assert judge(soon, "TOK-003").status == "warn"
    setup = Setup()
    expired = cli(setup, IAMToken="Bearer " + id_token(setup, timedelta(hours=2)))
    found = judge(expired, "TOK-003")
    assert found.status == "warn"
    assert found.message.endswith(": the CLI renews it with its IAMRefreshToken")
    assert found.remediation == "ibmcloud target (any command renews the session)"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"IAMToken": ""}, f"not logged in: no IAMToken in {CLI_CONFIG}"),
        ({"IAMRefreshToken": ""}, f"{CLI_CONFIG}: the CLI session expired "),
        ({"IAMToken": "Bearer garbage"}, f"{CLI_CONFIG}: the CLI's IAMToken is not a JWT"),
    ],
    ids=["absent", "expired-no-refresh", "garbage"],
)
def test_tok_003_fails_when_the_cli_is_not_logged_in(fields: dict, message: str) -> None:
    setup = Setup()
    fields.setdefault("IAMToken", "Bearer " + id_token(setup, timedelta(hours=2)))
    found = judge(cli(setup, **fields), "TOK-003")
    assert found.status == "fail"
    assert message in found.message
    assert found.remediation == "ibmcloud login (with --sso for a federated ID)"


def test_tok_windows_follow_the_policy() -> None:
    setup = Setup()
    session = cli(setup, IAMToken="Bearer " + id_token(setup, timedelta(minutes=30)))
    assert judge(session, "TOK-003").status == "pass"
    assert judge(session, "TOK-003", token_warning_minutes=45).status == "warn"
