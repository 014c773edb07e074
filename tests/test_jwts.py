"""Tests for ikscheck.jwts: a trimmed JWT keeps its header and checked claims, not its signature."""

from __future__ import annotations

import json

import pytest

from ikscheck.jwts import KEEP_CLAIMS, KEEP_MEMBERS, redact_jwt
from redaction_samples import CANARY_REFRESH, claims_of, read


def test_redact_jwt_keeps_header_and_checked_claims() -> None:
    data = json.loads(read("iam/token-kube-exchange.json"))
    for field in ("access_token", "id_token"):
        token = data[field]
        redacted = redact_jwt(token)
        assert redacted is not None
        head, _payload, signature = redacted.split(".")
        assert head == token.split(".")[0]
        assert signature == "redacted"
        before, after = claims_of(token), claims_of(redacted)
        kept = {k: v for k, v in before.items() if k in KEEP_CLAIMS}
        for name, members in KEEP_MEMBERS.items():
            if isinstance(kept.get(name), dict):
                kept[name] = {k: v for k, v in kept[name].items() if k in members}
        assert after == kept
        for personal in ("email", "sub", "name", "iam_id", "given_name"):
            assert personal not in after
        assert redact_jwt(redacted) == redacted


def test_redact_jwt_keeps_the_account_and_nothing_else_of_it() -> None:
    """ACCT-001 reads the access token's account.bss; IMS ids and flags are not kept."""
    token = json.loads(read("iam/token-apikey.json"))["access_token"]
    assert "boundary" in claims_of(token)["account"]
    redacted = redact_jwt(token)
    assert redacted is not None
    assert claims_of(redacted)["account"] == {"bss": "0a1b2c3d4e5f60718293a4b5c6d7e8f9"}


def test_redact_jwt_refresh_token_with_opaque_payload() -> None:
    redacted = redact_jwt(CANARY_REFRESH)
    assert redacted == "eyJhbGciOiJydCJ9.e30.redacted"
    sample = json.loads(read("iam/token-kube-exchange.json"))["refresh_token"]
    assert redact_jwt(sample) == "eyJhbGciOiJydCJ9.e30.redacted"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not_supported",
        "opaque-delegated-refresh-token",
        "a.b.c",
        "eyJub3RhbGciOjF9.e30.sig",  # header without "alg"
        "eyJhbGciOiJydCJ9.e30",  # two parts
        "eyJhbGciOiJydCJ9.e30.x.y",  # four parts
        "eyJhbGciOiJydCJ9.e3 0.x",
        "!!!.###.$$$",
    ],
)
def test_redact_jwt_rejects_non_jwts(value: str) -> None:
    assert redact_jwt(value) is None


@pytest.mark.parametrize(
    ("payload", "refused_for"),
    [
        ("bm90LWpzb24", "Invalid payload string: Expecting value"),  # "not-json"
        ("WzEsIDJd", "Invalid payload string: must be a json object"),  # [1, 2]
        ("c2VjcmV0LXBheWxvYWQtYnl0ZXM_", "Invalid payload"),  # not base64url of JSON
        ("A", "Invalid payload padding"),
    ],
)
def test_an_undecodable_payload_stays_undecodable_and_loses_its_bytes(
    payload: str, refused_for: str
) -> None:
    import jwt

    redacted = redact_jwt(f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2lnbmF0dXJl")
    assert redacted is not None
    head, body, signature = redacted.split(".")
    assert (head, signature) == ("eyJhbGciOiJSUzI1NiJ9", "redacted")
    assert len(body) <= len("bm90LWpzb24")  # a stand-in, not the original bytes
    with pytest.raises(jwt.DecodeError, match=refused_for):
        jwt.decode(redacted, options={"verify_signature": False})
    assert redact_jwt(redacted) == redacted
