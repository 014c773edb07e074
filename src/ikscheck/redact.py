"""Redaction at the evidence boundary.

Everything ikscheck records, logs or attaches passes through a :class:`Redactor` first. Secrets
(API keys, IAM and OIDC tokens, client keys, passwords, ``Authorization`` and cookie headers)
never leave it: a JWT keeps its header and the claims checks need and loses its signature, any
other secret becomes a fingerprint. Personal data can be pseudonymised consistently, so that
redacted evidence still cross-references itself (a context's user still names its user entry).

The module is pure: no I/O, no pytest. Redaction never raises and is idempotent, so evidence can
be redacted again (when a bundle is re-recorded) without drifting.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
import jwt.utils
import yaml
import yaml.nodes

__all__ = [
    "KEEP_CLAIMS",
    "SECRET_KEYS",
    "Redactor",
    "fingerprint",
    "is_secret_key",
    "redact_jwt",
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
    }
)
"""JWT claims checks read (expiry, issuer, audience, grant); every other claim is dropped."""


def _norm_key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


SECRET_KEYS: frozenset[str] = frozenset(
    _norm_key(k)
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

# Header-like keys whose value runs to the end of the line ("Cookie: a=1; b=2").
_HEADER_KEYS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)

_MARKER_RE = r"<redacted:sha256:[0-9a-f]{8}>"
_MARKER = re.compile(_MARKER_RE)
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_REDACTED_SIGNATURE = "redacted"
_EMPTY_PAYLOAD = "e30"  # base64url("{}")

# Every JSON header starts with '{"', which base64url-encodes to "eyJ". Possessive quantifiers
# keep matching linear on long base64 runs; the look-behind stops matches inside words.
_JWT_RE = r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+"
_JWT = re.compile(_JWT_RE)
_REDACTED_JWT_RE = r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]*+\.[A-Za-z0-9_-]*+\.redacted(?![A-Za-z0-9_-])"

_PEM = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*)PRIVATE KEY-----"
    # A truncated block (no END line) still hides what is there.
    r"(?:.*?-----END (?P=label)PRIVATE KEY-----|[A-Za-z0-9+/=\s\\:,.-]*+)",
    re.DOTALL,
)

_SCHEME = re.compile(
    r"(?P<scheme>Bearer|Basic|Token|Digest|Negotiate|NTLM)(?P<sp>[ \t]+)(?P<cred>\S.*)",
    re.IGNORECASE | re.DOTALL,
)

_ANSI = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"  # `ibmcloud` colours keys even inside JSON
_DQ = r"\"(?P<dq>(?:[^\"\\\r\n]|\\.)*+)\""
_SQ = r"'(?P<sq>[^'\r\n]*+)'"
_WORD = r"[^\s\"',;&{}\[\]#][^\s\"',;&{}\[\]]*+"
_KEY_HEAD = r"(?<![A-Za-z0-9_-])(?P<q>[\"']?)" + _ANSI
_KEY_TAIL = _ANSI + r"(?P=q)" + _ANSI + r"[ \t]*(?P<sep>[:=])[ \t]*" + _ANSI

# `key: value` / `"key": "value"` / `KEY=value` anywhere: the fallback when text is not
# parseable (command output, broken YAML) and a second net when it is.
_KEYED = re.compile(
    _KEY_HEAD
    + r"(?P<key>[A-Za-z0-9_-]++)"
    + _KEY_TAIL
    + r"(?:"
    + _DQ
    + "|"
    + _SQ
    + r"|(?P<bare>"
    + _WORD
    + r"(?:[ \t]+"
    + _WORD
    + r")*+))"
)
_HEADER = re.compile(
    _KEY_HEAD
    + r"(?P<key>(?:proxy-)?authorization|(?:set-)?cookie)"
    + _KEY_TAIL
    + r"(?:"
    + _DQ
    + "|"
    + _SQ
    + r"|(?P<bare>[^\s\"'][^\r\n]*))",
    re.IGNORECASE,
)
_NOT_A_SECRET = re.compile(r"(?i:null|~|true|false)|[|>][0-9+-]*")

_EMAIL_RE = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)++"
_PSEUDO_EMAIL_RE = r"user-[0-9a-f]{8}@example\.invalid(?![A-Za-z0-9.-])"
_UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PSEUDO = re.compile(
    r"(?P<keep>" + _JWT_RE + "|" + _MARKER_RE + r")"
    r"|(?P<email>" + _EMAIL_RE + r")"
    r"|(?P<ibmid>(?<![A-Za-z0-9])IBMid-[A-Za-z0-9]++)"
    r"|(?P<sid>(?<![A-Za-z0-9])(?:iam-)?ServiceId-)(?P<uuid>" + _UUID_RE + r")(?![A-Za-z0-9])"
    r"|(?P<hex>(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9]))"
)
_HEX8 = re.compile(r"[0-9a-f]{8}")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_YAML_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)*")
_FAST_YAML_LOADER: type[yaml.SafeLoader | yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)
_YAML_NON_SECRET_TAGS = frozenset({"tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"})

# Composing builds a Python node per scalar (seconds per MB even with libyaml): above this the
# regex passes alone must do.
_MAX_STRUCTURED = 1_000_000
# Secrets shorter than _SHORT_SECRET are hunted only as whole words, so that they are not found
# inside ordinary ones; below _MIN_SECRET they are not hunted at all: a value that short (IBM's
# public OIDC client secret "kube") is redacted under its key, but scrubbing every occurrence
# would mangle the client-id beside it and protect nothing.
_SHORT_SECRET = 12
_MIN_SECRET = 8
_MAX_ROUNDS = 4


def _sha256_hex(text: str) -> str:
    # surrogatepass: text decoded with surrogateescape must hash, not raise
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprint(secret: str) -> str:
    """Return a stable stand-in for an opaque secret: the first 8 hex digits of its SHA-256.

    >>> fingerprint("hunter22")
    '<redacted:sha256:20d2fe5e>'
    """
    return f"<redacted:sha256:{_sha256_hex(secret)[:8]}>"


def is_secret_key(name: str) -> bool:
    """Tell whether a mapping key, header or variable name holds a secret.

    Case and ``-``/``_`` are ignored; names ending in a secret key count too.

    >>> is_secret_key("IAMToken"), is_secret_key("IBMCLOUD_API_KEY"), is_secret_key("token_type")
    (True, True, False)
    """
    key = _norm_key(name)
    return key in SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


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


def redact_jwt(token: str) -> str | None:
    """Strip a JWT down to what checks need; ``None`` if ``token`` is not a JWT.

    The header is kept byte for byte, the payload keeps only :data:`KEEP_CLAIMS` (re-encoded as
    compact JSON) and the signature becomes the literal ``redacted``. A payload that is not a
    JSON object (IBM refresh tokens) becomes ``{}``. Redacting a redacted token changes nothing.

    >>> redact_jwt("eyJhbGciOiJydCJ9.b3BhcXVl.c2ln")
    'eyJhbGciOiJydCJ9.e30.redacted'
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
    kept = {name: value for name, value in claims.items() if name in KEEP_CLAIMS}
    try:
        encoded = json.dumps(kept, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):
        encoded = b"{}"
    payload = jwt.utils.base64url_encode(encoded).decode("ascii")
    return f"{head}.{payload}.{_REDACTED_SIGNATURE}"


def _redact_credential(cred: str) -> str:
    if _MARKER.fullmatch(cred):
        return cred
    redacted = redact_jwt(cred)
    return redacted if redacted is not None else fingerprint(cred)


def _keep_line_breaks(original: str, replacement: str) -> str:
    # Later parse errors and check messages cite line numbers: never change the line count.
    return replacement + "".join(_NEWLINES.findall(original))


def _account_pseudonym(hex_id: str) -> str:
    digest = _sha256_hex("ikscheck-account:" + hex_id)[:24]
    # A check suffix lets a later pass recognise its own output (the result is 32 hex digits
    # too, like the input) so that redacting twice leaves it alone.
    return digest + _sha256_hex("ikscheck-pseudonym:" + digest)[:8]


def _is_account_pseudonym(hex_id: str) -> bool:
    return hex_id[24:] == _sha256_hex("ikscheck-pseudonym:" + hex_id[:24])[:8]


def _substitute(text: str, mapping: Mapping[str, str]) -> str:
    if not mapping:
        return text
    # One pass, longest first: a replacement is never rescanned, and a secret that contains
    # another is replaced whole.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)


def _render_yaml(replacement: str, style: str | None) -> str:
    if style in (None, "", "|", ">"):  # libyaml reports plain as "", PyYAML as None
        return replacement  # markers and JWTs are valid plain scalars, even in flow context
    return json.dumps(replacement)  # a JSON string is a YAML double-quoted scalar


class Redactor:
    """Collects secret values and scrubs them from any text; pseudonymises personal data when asked.

    One Redactor lives as long as one run, so a secret seen once (in a config file) is also
    scrubbed where it is echoed later (in a command's output).

    >>> r = Redactor()
    >>> r.redact_value("CANARY-apikey-0123456789")
    '<redacted:sha256:3a0e357a>'
    >>> r.redact_text("error: API key CANARY-apikey-0123456789 is invalid")
    'error: API key <redacted:sha256:3a0e357a> is invalid'
    """

    def __init__(self, pseudonymise: bool = False) -> None:
        self.pseudonymise = pseudonymise
        self._secrets: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._pattern_for: frozenset[str] = frozenset()
        self._pseudonyms: dict[str, str] = {}

    # -- secrets -------------------------------------------------------------------------------

    def add_secret(self, value: str) -> None:
        """Remember ``value`` so that :meth:`redact_text` replaces it wherever it appears.

        Values shorter than 8 characters are ignored; values shorter than 12 are only replaced
        where they stand alone, not inside longer words.

        >>> r = Redactor()
        >>> r.add_secret("s3cr3t-pass")
        >>> r.redact_text("login with s3cr3t-pass")
        'login with <redacted:sha256:c1519e7e>'
        """
        try:
            self._remember(value, self._replacement(value))
        except Exception:  # redaction must never take the run down
            return

    def _remember(self, value: str, replacement: str) -> None:
        value = value.strip()
        if len(value) < _MIN_SECRET or not replacement or replacement == value:
            return
        forms = {value, json.dumps(value)[1:-1]}  # also as it appears inside a JSON string
        for form in forms:
            if len(form) >= _MIN_SECRET and self._secrets.get(form) != replacement:
                self._secrets[form] = replacement
                self._pattern = None

    @staticmethod
    def _replacement(value: str) -> str:
        core = value.strip()
        if not core or _MARKER.fullmatch(core):
            return core
        scheme = _SCHEME.fullmatch(core)
        if scheme is not None:
            return scheme["scheme"] + scheme["sp"] + _redact_credential(scheme["cred"])
        return _redact_credential(core)

    def redact_value(self, value: str) -> str:
        """Return the replacement for one secret value and remember the value.

        A JWT keeps its header and checked claims (:func:`redact_jwt`); ``Bearer``/``Basic``
        credentials keep their scheme word; anything else becomes a :func:`fingerprint`.
        Empty values stay empty, so "not logged in" remains visible.

        >>> Redactor().redact_value("opaque-delegated-refresh-token")
        '<redacted:sha256:3d88128a>'
        >>> Redactor().redact_value("Basic dXNlcjpwYXNzd29yZA==")
        'Basic <redacted:sha256:bdfeaef4>'
        """
        try:
            replacement = self._replacement(value)
            self._remember(value, replacement)
            scheme = _SCHEME.fullmatch(value.strip())
            if scheme is not None:
                # The bare credential may be echoed elsewhere without its scheme word.
                cred = scheme["cred"]
                self._remember(cred, _redact_credential(cred))
            return replacement
        except Exception:  # redaction must never take the run down
            return fingerprint(str(value))

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Redact HTTP headers: credentials and cookies by value, the rest as text.

        >>> Redactor().redact_headers({"Authorization": "Basic dXNlcjpwYXNzd29yZA==", "X": "1"})
        {'Authorization': 'Basic <redacted:sha256:bdfeaef4>', 'X': '1'}
        """
        result: dict[str, str] = {}
        for name, value in headers.items():
            text = value if isinstance(value, str) else str(value)
            if _norm_key(name) in _HEADER_KEYS or is_secret_key(name):
                result[name] = self.redact_value(text)
            else:
                result[name] = self.redact_text(text)
        return result

    # -- text ----------------------------------------------------------------------------------

    def redact_text(self, text: str, kind: str = "") -> str:
        """Scrub secrets (and, if asked, personal data) from any text, keeping its layout.

        ``kind`` is a hint: ``"yaml"`` (kubeconfig), ``"json"``, or ``""`` for anything else.
        Parseable text gets a structured pass over values under secret keys; every text gets the
        regex passes (key/value pairs, headers, remembered secrets, private keys, JWTs). Values
        are replaced where they stand, so line numbers do not move. Idempotent; never raises.

        >>> Redactor().redact_text("password: hunter22\\nuser: jane")
        'password: <redacted:sha256:20d2fe5e>\\nuser: jane'
        """
        if not isinstance(text, str):
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        result = self._redact_once(text, kind)
        # A replacement can change what a later match sees (a value redacted just before a key
        # turns the key's neighbour from a letter into ">"), and values found late in one pass
        # are remembered for the next: run to a fixed point, so redacting again changes nothing.
        for _ in range(_MAX_ROUNDS):
            again = self._redact_once(result, kind)
            if again == result:
                break
            result = again
        return result

    def _redact_once(self, text: str, kind: str) -> str:
        yaml_mode = kind == "yaml"
        passes: list[Callable[[str], str]] = [
            lambda t: self._structured(t, kind),
            lambda t: _HEADER.sub(lambda m: self._sub_keyed(m, yaml_mode), t),
            lambda t: _KEYED.sub(lambda m: self._sub_keyed(m, yaml_mode), t),
            self._sub_secrets,
            lambda t: _PEM.sub(_sub_pem, t),
            lambda t: _JWT.sub(_sub_jwt, t),
        ]
        if self.pseudonymise:
            passes.append(lambda t: _PSEUDO.sub(self._sub_pseudonym, t))
        for redact_pass in passes:
            try:
                text = redact_pass(text)
            except Exception:  # a failed pass must not stop the others
                continue
        return text

    def _structured(self, text: str, kind: str) -> str:
        if len(text) > _MAX_STRUCTURED:
            return text
        if kind == "yaml":
            return self._structured_yaml(text)
        if kind == "json" or (not kind and text.lstrip()[:1] in ("{", "[")):
            return self._structured_json(text)
        return text

    def _structured_json(self, text: str) -> str:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return text
        replacements: dict[str, str] = {}
        for value in _secret_strings(data):
            replacement = self.redact_value(value)
            # A short value ("kube") under its key is the keyed pass's: replacing every equal
            # JSON string would also hit the client-id beside it.
            if replacement != value and len(value) >= _MIN_SECRET:
                for form in {json.dumps(value), json.dumps(value, ensure_ascii=False)}:
                    replacements[form] = json.dumps(replacement)
        return _substitute(text, replacements)

    def _structured_yaml(self, text: str) -> str:
        # libyaml is ~10x faster and reports the same character offsets, except that it does
        # not count a byte-order mark.
        loader = yaml.SafeLoader if "\ufeff" in text else _FAST_YAML_LOADER
        try:
            documents = list(yaml.compose_all(text, Loader=loader))
        except (yaml.YAMLError, ValueError, RecursionError):
            return text
        edits: dict[int, tuple[int, str]] = {}
        for node in _secret_scalars(documents):
            if node.start_mark is None or node.end_mark is None:
                continue
            value = node.value if isinstance(node.value, str) else str(node.value)
            replacement = self.redact_value(value)
            if replacement == value:
                continue
            start, end = node.start_mark.index, node.end_mark.index
            # Marks include an anchor or tag (`&a value`): keep those, or aliases break.
            properties = _YAML_PROPERTIES.match(text, start, end)
            if properties is not None:
                start = properties.end()
            rendered = _render_yaml(replacement, node.style)
            edits[start] = (end, _keep_line_breaks(text[start:end], rendered))
        pieces: list[str] = []
        done = 0
        for start in sorted(edits):
            end, rendered = edits[start]
            if start >= done:  # overlapping spans cannot occur; never emit text twice anyway
                pieces += [text[done:start], rendered]
                done = end
        pieces.append(text[done:])
        return "".join(pieces)

    def _sub_keyed(self, match: re.Match[str], yaml_mode: bool) -> str:
        key = _norm_key(match["key"])
        if match.re is _KEYED and (key in _HEADER_KEYS or not is_secret_key(key)):
            return match.group(0)
        group = "dq" if match["dq"] is not None else "sq" if match["sq"] is not None else "bare"
        value = match[group]
        tail = ""
        if group == "bare":
            if match["q"] == '"' or _NOT_A_SECRET.fullmatch(value):
                # After a JSON key a bare value is a number or literal; in YAML, a null, a bool
                # or a block indicator whose lines the structured pass handles.
                return match.group(0)
            if yaml_mode and value.startswith(("&", "!", "*")):
                # YAML properties and aliases are names, not values: keep them, or anchors
                # and aliases stop resolving.
                properties = _YAML_PROPERTIES.match(value)
                cut = properties.end() if properties is not None else 0
                if value.startswith("*") or cut == 0:
                    return match.group(0)
                value = value[cut:]
            if match["sep"] == "=" and match.re is _KEYED:
                # Shell and query-string values end at the first blank.
                first = re.match(r"[^ \t]*", value)
                cut = first.end() if first is not None else len(value)
                value, tail = value[:cut], value[cut:]
            stripped = value.rstrip()
            tail = value[len(stripped) :] + tail
            value = stripped
        if not value:
            return match.group(0)
        start = match.end(group) - match.start() - len(value) - len(tail)
        prefix = match.group(0)[:start]
        suffix = match.group(0)[start + len(value) + len(tail) :]
        return prefix + self.redact_value(value) + tail + suffix

    def _compiled_secrets(self, text: str) -> re.Pattern[str] | None:
        # A regex alternation costs time per alternative at every position: keep only the
        # secrets this text contains (a fast substring test), and reuse the pattern while
        # that set does not change.
        present = frozenset(secret for secret in self._secrets if secret in text)
        if not present:
            return None
        if self._pattern is None or self._pattern_for != present:
            alternatives = []
            for secret in sorted(present, key=len, reverse=True):
                escaped = re.escape(secret)
                if len(secret) < _SHORT_SECRET:
                    escaped = r"(?<![A-Za-z0-9_-])" + escaped + r"(?![A-Za-z0-9_-])"
                alternatives.append(escaped)
            # Already-redacted spans come first so a secret is never found inside them.
            protected = "|".join((_MARKER_RE, _REDACTED_JWT_RE, _PSEUDO_EMAIL_RE))
            self._pattern = re.compile(
                "(?P<keep>" + protected + ")|(?P<secret>" + "|".join(alternatives) + ")"
            )
            self._pattern_for = present
        return self._pattern

    def _sub_secrets(self, text: str) -> str:
        pattern = self._compiled_secrets(text)
        if pattern is None:
            return text

        def replace(match: re.Match[str]) -> str:
            secret = match["secret"]
            if secret is None:
                return match.group(0)
            return _keep_line_breaks(secret, self._secrets[secret])

        return pattern.sub(replace, text)

    # -- personal data -------------------------------------------------------------------------

    def _sub_pseudonym(self, match: re.Match[str]) -> str:
        original = match.group(0)
        if match["keep"] is not None:
            return original
        cached = self._pseudonyms.get(original)
        if cached is not None:
            return cached
        pseudonym = _pseudonym(match)
        self._pseudonyms[original] = pseudonym
        return pseudonym


def _pseudonym(match: re.Match[str]) -> str:
    # Hashes, not counters: the same input maps to the same pseudonym in every Redactor, so
    # separately redacted files still agree. Inputs are hashed exactly as written: two names
    # that differ in case are different names to kubectl, and must stay different.
    original = match.group(0)
    if match["email"] is not None:
        local, _, domain = original.rpartition("@")
        if domain == "example.invalid" and re.fullmatch(r"user-[0-9a-f]{8}", local):
            return original
        return f"user-{_sha256_hex('ikscheck-email:' + original)[:8]}@example.invalid"
    if match["ibmid"] is not None:
        if _HEX8.fullmatch(original[len("IBMid-") :]):
            return original
        return "IBMid-" + _sha256_hex("ikscheck-iam-id:" + original)[:8]
    if match["sid"] is not None:
        return match["sid"] + _sha256_hex("ikscheck-iam-id:" + original)[:8]
    if _is_account_pseudonym(original):
        return original
    return _account_pseudonym(original)


def _sub_pem(match: re.Match[str]) -> str:
    block = match.group(0)
    return _keep_line_breaks(block, fingerprint(block))


def _sub_jwt(match: re.Match[str]) -> str:
    token = match.group(0)
    redacted = redact_jwt(token)
    # JWT-shaped but undecodable (truncated, corrupted): still hide it.
    return redacted if redacted is not None else fingerprint(token)


def _secret_strings(data: Any) -> Iterable[str]:
    """Yield every string under a secret key in parsed JSON (iteratively: input may be deep)."""
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        item, under_secret = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                secret = under_secret or (isinstance(key, str) and is_secret_key(key))
                stack.append((value, secret))
        elif isinstance(item, list):
            stack.extend((value, under_secret) for value in item)
        elif isinstance(item, str) and under_secret:
            yield item


def _secret_scalars(documents: Iterable[yaml.nodes.Node | None]) -> Iterable[yaml.nodes.ScalarNode]:
    """Yield each scalar node under a secret key once (aliases share nodes; anchors may loop)."""
    stack: list[tuple[yaml.nodes.Node, bool]] = [(d, False) for d in documents if d is not None]
    seen: set[tuple[int, bool]] = set()
    while stack:
        node, under_secret = stack.pop()
        if (id(node), under_secret) in seen:
            continue
        seen.add((id(node), under_secret))
        if isinstance(node, yaml.nodes.MappingNode):
            for key, value in node.value:
                secret = under_secret or (
                    isinstance(key, yaml.nodes.ScalarNode)
                    and isinstance(key.value, str)
                    and is_secret_key(key.value)
                )
                stack.append((value, secret))
        elif isinstance(node, yaml.nodes.SequenceNode):
            stack.extend((value, under_secret) for value in node.value)
        elif (
            isinstance(node, yaml.nodes.ScalarNode)
            and under_secret
            and node.tag not in _YAML_NON_SECRET_TAGS
        ):
            yield node
