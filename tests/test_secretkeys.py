"""Tests for ikscheck.secretkeys: which keys hold secrets; the fingerprint that replaces them."""

from __future__ import annotations

import re

from ikscheck.secretkeys import fingerprint, is_secret_key
from redaction_samples import MARKER


def test_fingerprint_format_and_stability() -> None:
    assert re.fullmatch(MARKER, fingerprint("s3cret-value"))
    assert fingerprint("s3cret-value") == fingerprint("s3cret-value")
    assert fingerprint("s3cret-value") != fingerprint("s3cret-valuf")
    assert fingerprint("\udc80 lone surrogate").startswith("<redacted:sha256:")


def test_is_secret_key() -> None:
    for key in ("id-token", "ID_TOKEN", "IAMToken", "client-key-data", "Set-Cookie", "apikey"):
        assert is_secret_key(key), key
    for key in ("IBMCLOUD_API_KEY", "x-auth-token", "db_password"):
        assert is_secret_key(key), key
    for key in ("token_type", "client-key", "client-certificate-data", "user", "expires_in"):
        assert not is_secret_key(key), key
