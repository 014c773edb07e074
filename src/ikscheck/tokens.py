"""Tokens as the checks judge them: JWTs decoded (never verified), their times validated.

IAM access tokens, OIDC id-tokens and (newer) IAM refresh tokens are JWTs. ikscheck reads their
claims without checking the signature: it judges expiry, it does not authenticate. A redacted
token (signature replaced, claims trimmed) decodes the same. Times must be NumericDates in
seconds: a value in milliseconds or a string is reported, never silently accepted.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from ikscheck.errors import ParseError

__all__ = ["Jwt", "ago", "decode", "duration", "strip_bearer"]

# 10^11 seconds is the year 5138: a larger NumericDate is milliseconds.
_MILLISECONDS = 10**11


@dataclass(frozen=True)
class Jwt:
    """A decoded JWT: its header and claims, named for messages by ``what``."""

    what: str
    header: dict[str, Any]
    claims: dict[str, Any]

    def time(self, claim: str) -> datetime | None:
        """The NumericDate ``claim`` as a UTC instant, None when absent.

        >>> Jwt("the id-token", {}, {"exp": 1795166400}).time("exp").isoformat()
        '2026-11-20T09:20:00+00:00'
        >>> Jwt("the id-token", {}, {"exp": 1795166400000}).time("exp")
        Traceback (most recent call last):
        ...
        ikscheck.errors.ParseError: the id-token: exp 1795166400000 is in milliseconds, not seconds
        """
        value = self.claims.get(claim)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = f"{value!r}" if isinstance(value, str) else type(value).__name__
            raise ParseError(f"{self.what}: {claim} is {shown}, not a number of seconds")
        if value != value:  # NaN
            raise ParseError(f"{self.what}: {claim} is NaN, not a number of seconds")
        if abs(value) >= _MILLISECONDS:
            raise ParseError(f"{self.what}: {claim} {value} is in milliseconds, not seconds")
        try:
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            raise ParseError(
                f"{self.what}: {claim} {value} is not a time kubectl can use"
            ) from None


def strip_bearer(value: str) -> str:
    """The token of an ``Authorization`` value as the CLI stores ``IAMToken``: ``Bearer <jwt>``."""
    scheme, _, rest = value.strip().partition(" ")
    return rest.strip() if scheme.lower() == "bearer" and rest else value.strip()


def decode(token: str, what: str) -> Jwt:
    """Decode ``token`` without verifying it; :class:`ParseError` naming ``what`` if it is none.

    >>> decode("not-a-jwt", "the id-token")
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: the id-token is not a JWT: Not enough segments
    """
    try:
        header, claims = _parts(token) if isinstance(token, str) else _header_and_claims(token)
    except jwt.exceptions.PyJWTError as exc:
        raise ParseError(f"{what} is not a JWT: {exc}") from None
    except UnicodeError:  # bytes that were not UTF-8 where it was read (lone surrogates)
        raise ParseError(f"{what} is not a JWT: it holds bytes that are not UTF-8") from None
    if not isinstance(claims, dict):  # pragma: no cover - PyJWT refuses non-object payloads
        raise ParseError(f"{what}: its payload is not a JSON object")
    return Jwt(what, dict(header), dict(claims))


def _header_and_claims(token: Any) -> tuple[dict[str, Any], Any]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


# A fleet's checks read the same few tokens once per cluster: each is decoded once.
_parts = functools.lru_cache(maxsize=256)(_header_and_claims)


def duration(seconds: float) -> str:
    """A span of time as a person says it, to the second under an hour.

    >>> duration(603.4), duration(42), duration(7260)
    ('10 min 3 s', '42 s', '2 h 1 min')
    """
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    if whole >= 60:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole} s"


def ago(moment: datetime, now: datetime) -> str:
    """How far ``moment`` is from ``now``, as a person says it.

    >>> now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    >>> ago(datetime(2026, 11, 28, 13, 5, tzinfo=UTC), now)
    'in 1 h 5 min'
    >>> ago(datetime(2026, 11, 20, tzinfo=UTC), now)
    '8 days ago'
    """
    delta = moment - now
    span = abs(delta)
    if span >= timedelta(days=2):
        text = f"{span.days} days"
    elif span >= timedelta(hours=1):
        text = f"{span.seconds // 3600 + span.days * 24} h {span.seconds % 3600 // 60} min"
    else:
        text = f"{span.seconds // 60} min"
    return f"in {text}" if delta > timedelta(0) else f"{text} ago"
