"""JWT trimming: keep what checks read, drop the signature and everything personal.

IAM and OIDC tokens are JWTs, and checks need some of what they carry (expiry, issuer,
audience, grant). Rather than fingerprint them whole, :func:`redact_jwt` keeps the header and
the claims in :data:`KEEP_CLAIMS` and replaces the signature, so a redacted token can no longer
be replayed but can still be judged. Tokens are found in free text by shape (:data:`JWT_RE`).

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jwt
import jwt.utils

from ikscheck.secretkeys import MARKER, fingerprint

__all__ = [
    "JWT_RE",
    "KEEP_CLAIMS",
    "KEEP_MEMBERS",
    "REDACTED_JWT_RE",
    "redact_credential",
    "redact_jwt",
    "redact_jwts",
]

KEEP_CLAIMS: frozenset[str] = frozenset(
    {
        "exp",
        "iat",
        "nbf",
        "iss",
        "aud",
        "scope",
        "grant_type",
        "client_id",
        "realmid",
        "acr",
        "amr",
        "token_type",
        "account",
    }
)
"""JWT claims checks read (expiry, issuer, audience, grant, account); every other claim is
dropped."""
#: Of a kept claim that is an object, the members checks read: IAM's ``account`` also carries
#: the IMS account number and flags, which no check needs.
KEEP_MEMBERS: dict[str, frozenset[str]] = {"account": frozenset({"bss"})}

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_REDACTED_SIGNATURE = "redacted"
_EMPTY_PAYLOAD = "e30"  # base64url("{}")
# Stand-ins for a payload that does not decode, one per way it fails, so that a redacted token
# is refused for the same reason as the original (and carries none of its bytes).
_NOT_BASE64 = "A"  # one character: a length no base64 has
_NOT_JSON = "bm90LWpzb24"  # base64url("not-json")
_NOT_AN_OBJECT = "W10"  # base64url("[]")

# Every JSON header starts with '{"', which base64url-encodes to "eyJ". Possessive quantifiers
# keep matching linear on long base64 runs; the look-behind stops matches inside words.
JWT_RE = r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+"
"""Pattern of anything JWT-shaped in free text, redacted or not."""
_JWT = re.compile(JWT_RE)
REDACTED_JWT_RE = r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+\.redacted(?![A-Za-z0-9_-])"
"""Pattern of a JWT that :func:`redact_jwt` has already trimmed."""


def _jwt_header(head: str) -> dict[str, Any] | None:
    try:
        # PyJWT decodes every segment, and an IBM refresh token's payload need not even be
        # valid base64: judge the header alone by pairing it with an empty payload.
        header = jwt.get_unverified_header(f"{head}.{_EMPTY_PAYLOAD}.")
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        return None
    return header


def _jwt_claims(head: str, body: str) -> dict[str, Any]:
    try:
        # The signature is dropped anyway; leaving it out means a truncated one cannot cost
        # us the claims.
        claims = jwt.decode(f"{head}.{body}.", options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError, RecursionError):
        # Refresh tokens ({"alg":"rt"}) carry an encrypted payload: nothing to keep.
        return {}
    return claims


def _undecodable(body: str) -> str:
    """The stand-in for a payload that is not a base64url JSON object, failing as it fails."""
    try:
        decoded = json.loads(jwt.utils.base64url_decode(body))
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        try:
            jwt.utils.base64url_decode(body)
        except (ValueError, TypeError):
            return _NOT_BASE64
        return _NOT_JSON
    return _EMPTY_PAYLOAD if isinstance(decoded, dict) else _NOT_AN_OBJECT


def redact_jwt(token: str) -> str | None:
    """Strip a JWT down to what checks need; ``None`` if ``token`` is not a JWT.

    The header is kept byte for byte, the payload keeps only :data:`KEEP_CLAIMS` (an object
    claim only its :data:`KEEP_MEMBERS`; re-encoded as compact JSON) and the signature becomes
    the literal ``redacted``. The encrypted payload of an IBM refresh token (``alg`` ``rt``)
    becomes ``{}``; any other payload that does not decode becomes a stand-in that fails to
    decode the same way, so that a replay judges the token as the live run did. Redacting a
    redacted token changes nothing.

    >>> redact_jwt("eyJhbGciOiJydCJ9.b3BhcXVl.c2ln")
    'eyJhbGciOiJydCJ9.e30.redacted'
    >>> redact_jwt("eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln")  # the payload is [1]
    'eyJhbGciOiJSUzI1NiJ9.W10.redacted'
    >>> redact_jwt("not-a-jwt") is None
    True
    """
    parts = token.split(".")
    if len(parts) != 3 or not parts[0] or not all(_B64URL.fullmatch(p) for p in parts):
        return None
    head, body, _signature = parts
    header = _jwt_header(head)
    if header is None or not isinstance(header.get("alg"), str):
        return None
    claims = _jwt_claims(head, body)
    if not claims and header["alg"] != "rt":
        return f"{head}.{_undecodable(body)}.{_REDACTED_SIGNATURE}"
    kept = {name: _trimmed(name, value) for name, value in claims.items() if name in KEEP_CLAIMS}
    try:
        encoded = json.dumps(kept, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):
        encoded = b"{}"
    payload = jwt.utils.base64url_encode(encoded).decode("ascii")
    return f"{head}.{payload}.{_REDACTED_SIGNATURE}"


def _trimmed(name: str, value: Any) -> Any:
    members = KEEP_MEMBERS.get(name)
    if members is None or not isinstance(value, dict):
        return value
    return {key: member for key, member in value.items() if key in members}


def redact_credential(cred: str) -> str:
    """Return the stand-in for one bare credential: a trimmed JWT, or else a fingerprint.

    A fingerprint marker is returned as it is, so redacting twice changes nothing.

    >>> redact_credential("eyJhbGciOiJydCJ9.b3BhcXVl.c2ln")
    'eyJhbGciOiJydCJ9.e30.redacted'
    >>> redact_credential("hunter22")
    '<redacted:sha256:20d2fe5e>'
    """
    if MARKER.fullmatch(cred):
        return cred
    redacted = redact_jwt(cred)
    return redacted if redacted is not None else fingerprint(cred)


def _sub_jwt(match: re.Match[str]) -> str:
    token = match.group(0)
    redacted = redact_jwt(token)
    # JWT-shaped but undecodable (truncated, corrupted): still hide it.
    return redacted if redacted is not None else fingerprint(token)


def redact_jwts(text: str) -> str:
    """Trim every JWT-shaped run in ``text``; one that does not decode is fingerprinted.

    >>> redact_jwts("token eyJhbGciOiJydCJ9.b3BhcXVl.c2ln and eyJ.x.y")
    'token eyJhbGciOiJydCJ9.e30.redacted and <redacted:sha256:c6930214>'
    """
    return _JWT.sub(_sub_jwt, text)
