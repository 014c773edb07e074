"""What counts as a secret, and what a redacted one looks like.

The vocabulary every redaction pass shares: which mapping keys, headers and variable names hold
secrets (:data:`SECRET_KEYS`, :func:`is_secret_key`), the shortest value worth hunting, and the
fingerprint marker that stands in for an opaque secret (:func:`fingerprint`, :data:`MARKER_RE`).
It lives apart from :mod:`ikscheck.redact` so that the JWT, pseudonym and structured passes can
agree on it without importing the orchestrator.

The module is pure: no I/O, no pytest.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "HEADER_KEYS",
    "MARKER",
    "MARKER_RE",
    "MIN_SECRET",
    "NUMBER_MARKER",
    "SECRET_KEYS",
    "fingerprint",
    "is_secret_key",
    "norm_key",
    "number_fingerprint",
    "sha256_hex",
]


def norm_key(name: str) -> str:
    """Normalise a key for comparison: surrounding blanks dropped, lower case, ``_`` spelt ``-``.

    >>> norm_key(" ID_Token ")
    'id-token'
    """
    return name.strip().lower().replace("_", "-")


SECRET_KEYS: frozenset[str] = frozenset(
    norm_key(k)
    for k in (
        "id-token",
        "refresh-token",
        "access-token",
        "token",
        "client-key-data",
        "password",
        "client-secret",
        "apikey",
        "api-key",
        "iamtoken",
        "iamrefreshtoken",
        "uaatoken",
        "uaarefreshtoken",
        "access_token",
        "refresh_token",
        "id_token",
        "delegated_refresh_token",
        "authorization",
        "cookie",
        "set-cookie",
        "secret",
    )
)
"""Keys whose values are secrets, normalised: lower case, ``_`` spelt ``-``."""

# Suffixes cover every SECRET_KEYS entry and also the spellings tools invent around them
# (IBMCLOUD_API_KEY, sessionToken, x-auth-token, db_password) without listing each one.
_SECRET_SUFFIXES: tuple[str, ...] = (
    "token",
    "secret",
    "password",
    "apikey",
    "api-key",
    "client-key-data",
    "authorization",
    "cookie",
)

HEADER_KEYS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
"""Header-like keys whose value runs to the end of the line (``Cookie: a=1; b=2``)."""

MARKER_RE = r"<redacted:sha256:[0-9a-f]{8}>"
"""Pattern of a :func:`fingerprint` marker, for passes that must leave markers alone."""
MARKER = re.compile(MARKER_RE)
NUMBER_MARKER = re.compile(r"0x[0-9a-f]{8}")
"""Pattern of a :func:`number_fingerprint`: the stand-in for a secret written as a YAML number."""

# Secrets below this length are not hunted through text at all: a value that short (IBM's
# public OIDC client secret "kube") is redacted under its key, but scrubbing every occurrence
# would mangle the client-id beside it and protect nothing.
MIN_SECRET = 8


def sha256_hex(text: str) -> str:
    """Return the SHA-256 of ``text`` (UTF-8) as hex digits; never raises on lone surrogates.

    >>> sha256_hex("hunter22")[:8]
    '20d2fe5e'
    """
    # surrogatepass: text decoded with surrogateescape must hash, not raise
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(secret: str) -> str:
    """Return a stable stand-in for an opaque secret: the first 8 hex digits of its SHA-256.

    >>> fingerprint("hunter22")
    '<redacted:sha256:20d2fe5e>'
    """
    return f"<redacted:sha256:{sha256_hex(secret)[:8]}>"


def is_secret_key(name: str) -> bool:
    """Tell whether a mapping key, header or variable name holds a secret.

    Case and ``-``/``_`` are ignored; names ending in a secret key count too.

    >>> is_secret_key("IAMToken"), is_secret_key("IBMCLOUD_API_KEY"), is_secret_key("token_type")
    (True, True, False)
    """
    key = norm_key(name)
    return key in SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


def number_fingerprint(secret: str) -> str:
    """Return the stand-in for a secret written as a YAML number: a YAML number itself.

    A kubeconfig with a number where a string belongs is refused by kubectl ("cannot unmarshal
    number"); a redacted copy must be refused too, so the stand-in keeps the type (YAML reads
    ``0x...`` as an integer) and is still recognisably a fingerprint.

    >>> number_fingerprint("1234567890")
    '0xc775e7b7'
    """
    return "0x" + sha256_hex(secret)[:8]
