"""Redaction at the evidence boundary.

Everything ikscheck records, logs or attaches passes through a :class:`Redactor` first. Secrets
(API keys, IAM and OIDC tokens, client keys, passwords, ``Authorization`` and cookie headers)
never leave it: a JWT keeps its header and the claims checks need and loses its signature, any
other secret becomes a fingerprint. Personal data can be pseudonymised consistently, so that
redacted evidence still cross-references itself (a context's user still names its user entry).

The module is pure: no I/O, no pytest. Redaction never raises and is idempotent, so evidence can
be redacted again (when a bundle is re-recorded) without drifting.

This module is the orchestrator: it remembers secrets for one run and chains the passes. The
passes' vocabulary and pieces live beside it: :mod:`ikscheck.secretkeys` (what is a secret, what
a fingerprint looks like), :mod:`ikscheck.jwts` (JWT trimming), :mod:`ikscheck.structured` (the
parsed JSON/YAML passes) and :mod:`ikscheck.pseudonyms` (personal data). The public names are
re-exported here, so callers import from this module alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from ikscheck.ansi import CSI
from ikscheck.jwts import KEEP_CLAIMS, REDACTED_JWT_RE, redact_credential, redact_jwt, redact_jwts
from ikscheck.pseudonyms import PSEUDO_EMAIL_RE, pseudonymise_text
from ikscheck.secretkeys import (
    HEADER_KEYS,
    MARKER,
    MARKER_RE,
    MIN_SECRET,
    NUMBER_MARKER,
    SECRET_KEYS,
    fingerprint,
    is_secret_key,
    norm_key,
    number_fingerprint,
)
from ikscheck.structured import YAML_PROPERTIES, keep_line_breaks, redact_structured

__all__ = [
    "KEEP_CLAIMS",
    "SECRET_KEYS",
    "Redactor",
    "fingerprint",
    "is_secret_key",
    "redact_jwt",
]

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

_ANSI = f"(?:{CSI})*"  # `ibmcloud` colours keys even inside JSON
_DQ = r"\"(?P<dq>(?:[^\"\\\r\n]|\\.)*+)\""
_SQ = r"'(?P<sq>[^'\r\n]*+)'"
_WORD = r"[^\s\"',;&{}\[\]#][^\s\"',;&{}\[\]]*+"
# A YAML anchor before a value (`token: &a s3cr3t`): part of the match, so that the value
# after it is redacted and the anchor kept.
_ANCHOR = r"(?:&[^\s\"',;{}\[\]]*+[ \t]++)?"
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
    + _ANCHOR
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
# What YAML 1.1 (PyYAML, kubectl's go-yaml) reads as a number in a plain scalar.
_YAML_NUMBER = re.compile(
    r"[-+]?(?:0|[1-9][0-9_]*|0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)"
    r"|[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_NOT_A_SECRET = re.compile(r"(?i:null|~|true|false)|[|>][0-9+-]*")

# Secrets shorter than _SHORT_SECRET are hunted only as whole words, so that they are not found
# inside ordinary ones; below MIN_SECRET (see ikscheck.secretkeys) they are not hunted at all.
_SHORT_SECRET = 12
_MAX_ROUNDS = 4


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
        if len(value) < MIN_SECRET or not replacement or replacement == value:
            return
        forms = {value, json.dumps(value)[1:-1]}  # also as it appears inside a JSON string
        for form in forms:
            if len(form) >= MIN_SECRET and self._secrets.get(form) != replacement:
                self._secrets[form] = replacement
                self._pattern = None

    @staticmethod
    def _replacement(value: str) -> str:
        core = value.strip()
        if not core or MARKER.fullmatch(core):
            return core
        scheme = _SCHEME.fullmatch(core)
        if scheme is not None:
            return scheme["scheme"] + scheme["sp"] + redact_credential(scheme["cred"])
        return redact_credential(core)

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
                self._remember(cred, redact_credential(cred))
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
            if norm_key(name) in HEADER_KEYS or is_secret_key(name):
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
            lambda t: redact_structured(t, kind, self.redact_value),
            lambda t: _HEADER.sub(lambda m: self._sub_keyed(m, yaml_mode), t),
            lambda t: _KEYED.sub(lambda m: self._sub_keyed(m, yaml_mode), t),
            self._sub_secrets,
            lambda t: _PEM.sub(_sub_pem, t),
            redact_jwts,
        ]
        if self.pseudonymise:
            passes.append(lambda t: pseudonymise_text(t, self._pseudonyms))
        for redact_pass in passes:
            try:
                text = redact_pass(text)
            except Exception:  # a failed pass must not stop the others
                continue
        return text

    def _sub_keyed(self, match: re.Match[str], yaml_mode: bool) -> str:
        key = norm_key(match["key"])
        if match.re is _KEYED and (key in HEADER_KEYS or not is_secret_key(key)):
            return match.group(0)
        group = "dq" if match["dq"] is not None else "sq" if match["sq"] is not None else "bare"
        value = match[group]
        tail = ""
        number = False
        if group == "bare":
            if match["q"] == '"' or _NOT_A_SECRET.fullmatch(value):
                # After a JSON key a bare value is a number or literal; in YAML, a null, a bool
                # or a block indicator whose lines the structured pass handles.
                return match.group(0)
            if yaml_mode and _YAML_NUMBER.fullmatch(value.rstrip()):
                # A number stays a number (see secretkeys.number_fingerprint).
                if NUMBER_MARKER.fullmatch(value.rstrip()):
                    return match.group(0)
                number = True
            if value.startswith(("&", "!", "*")):
                # YAML properties and aliases are names, not values: keep them, or anchors
                # and aliases stop resolving. Outside YAML a value may start with one of
                # these characters itself: it is then redacted whole.
                properties = YAML_PROPERTIES.match(value)
                cut = properties.end() if properties is not None else 0
                if yaml_mode and (value.startswith("*") or cut == 0):
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
        replacement = self.redact_value(value)  # remembered, for the other passes
        if number:
            replacement = number_fingerprint(value)
        return prefix + replacement + tail + suffix

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
            protected = "|".join((MARKER_RE, REDACTED_JWT_RE, PSEUDO_EMAIL_RE))
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
            return keep_line_breaks(secret, self._secrets[secret])

        return pattern.sub(replace, text)


def _sub_pem(match: re.Match[str]) -> str:
    block = match.group(0)
    return keep_line_breaks(block, fingerprint(block))
