"""Pseudonymisation of personal data: e-mail addresses, IBMids, IAM service ids, account ids.

Bundles shared outside the team must not name people or accounts, yet evidence has to keep
cross-referencing itself (a kubeconfig context's user still names its user entry). So each
identifier is replaced by a pseudonym derived from a hash of it: the same input gives the same
pseudonym in every file and every run, and a pseudonym is recognised and left alone, so
pseudonymising twice changes nothing. Only bundles ask for this; live runs keep the real names.

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from typing import Any

import jwt.utils

from ikscheck.jwts import JWT_RE, REDACTED_JWT_RE
from ikscheck.secretkeys import MARKER_RE, sha256_hex

__all__ = ["PSEUDO_EMAIL_RE", "pseudonymise_text"]

_EMAIL_RE = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++"
PSEUDO_EMAIL_RE = r"user-[0-9a-f]{8}@example\.invalid(?![A-Za-z0-9.-])"
"""Pattern of an e-mail pseudonym, for passes that must leave pseudonyms alone."""
_UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# JWTs and markers are matched first and kept whole, so that no pseudonym is ever written
# into the middle of one (a JWT's base64 can hold a run of 32 hex digits).
_PSEUDO = re.compile(
    r"(?P<keep>" + JWT_RE + "|" + MARKER_RE + r")"
    r"|(?P<email>" + _EMAIL_RE + r")"
    r"|(?P<ibmid>(?<![A-Za-z0-9])IBMid-[A-Za-z0-9]++)"
    r"|(?P<sid>(?<![A-Za-z0-9])(?:iam-)?ServiceId-)(?P<uuid>" + _UUID_RE + r")(?![A-Za-z0-9])"
    r"|(?P<hex>(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9]))"
)
_HEX8 = re.compile(r"[0-9a-f]{8}")
_REDACTED_JWT = re.compile(REDACTED_JWT_RE)


def _account_pseudonym(hex_id: str) -> str:
    digest = sha256_hex("ikscheck-account:" + hex_id)[:24]
    # A check suffix lets a later pass recognise its own output (the result is 32 hex digits
    # too, like the input) so that redacting twice leaves it alone.
    return digest + sha256_hex("ikscheck-pseudonym:" + digest)[:8]


def _is_account_pseudonym(hex_id: str) -> bool:
    return hex_id[24:] == sha256_hex("ikscheck-pseudonym:" + hex_id[:24])[:8]


def _pseudonym(match: re.Match[str]) -> str:
    # Hashes, not counters: the same input maps to the same pseudonym in every Redactor, so
    # separately redacted files still agree. Inputs are hashed exactly as written: two names
    # that differ in case are different names to kubectl, and must stay different.
    original = match.group(0)
    if match["email"] is not None:
        local, _, domain = original.rpartition("@")
        if domain == "example.invalid" and re.fullmatch(r"user-[0-9a-f]{8}", local):
            return original
        return f"user-{sha256_hex('ikscheck-email:' + original)[:8]}@example.invalid"
    if match["ibmid"] is not None:
        if _HEX8.fullmatch(original[len("IBMid-") :]):
            return original
        return "IBMid-" + sha256_hex("ikscheck-iam-id:" + original)[:8]
    if match["sid"] is not None:
        return match["sid"] + sha256_hex("ikscheck-iam-id:" + original)[:8]
    if _is_account_pseudonym(original):
        return original
    return _account_pseudonym(original)


def pseudonymise_text(text: str, memo: MutableMapping[str, str]) -> str:
    """Replace e-mail addresses, IBMids, service ids and account ids in ``text`` by pseudonyms.

    ``memo`` caches original to pseudonym across calls (the caller keeps one per run); it is a
    speed-up only, as pseudonyms depend on nothing but the original. JWTs, fingerprint markers
    and earlier pseudonyms are left as they are.

    >>> pseudonymise_text("owner jane@example.com", {})
    'owner user-a28743d9@example.invalid'
    """

    def replace(match: re.Match[str]) -> str:
        original = match.group(0)
        if match["keep"] is not None:
            return _pseudonymise_claims(original, memo)
        cached = memo.get(original)
        if cached is not None:
            return cached
        pseudonym = _pseudonym(match)
        memo[original] = pseudonym
        return pseudonym

    return _PSEUDO.sub(replace, text)


def _pseudonymise_claims(token: str, memo: MutableMapping[str, str]) -> str:
    """A trimmed JWT (signature ``redacted``) with its claims pseudonymised; anything else as is.

    A token's ``account.bss`` must name the same pseudonym as the cluster's ``crn`` and the CLI
    config's ``Account.GUID``, or a replay would see three accounts where the live run saw one.
    A token with nothing personal left keeps its bytes.
    """
    if not _REDACTED_JWT.fullmatch(token):
        return token  # live tokens are trimmed first (redact.py); never rewrite a signed one
    head, body, signature = token.split(".")
    try:
        claims = json.loads(jwt.utils.base64url_decode(body))
    except (ValueError, TypeError):
        return token
    changed = _pseudonymise_values(claims, memo)
    if changed == claims:
        return token
    encoded = json.dumps(changed, separators=(",", ":")).encode("ascii")
    return f"{head}.{jwt.utils.base64url_encode(encoded).decode('ascii')}.{signature}"


def _pseudonymise_values(value: Any, memo: MutableMapping[str, str]) -> Any:
    if isinstance(value, str):
        return pseudonymise_text(value, memo)
    if isinstance(value, dict):
        return {key: _pseudonymise_values(member, memo) for key, member in value.items()}
    if isinstance(value, list):
        return [_pseudonymise_values(member, memo) for member in value]
    return value
