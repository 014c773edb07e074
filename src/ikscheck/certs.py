"""X.509 certificates as kubectl meets them: a cluster CA, an admin client certificate.

Parsed with ``cryptography``; each way a certificate can be unusable has its own message, and
expiry is judged against the instant the run evaluates at (``--now`` in a replay).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID

from ikscheck.errors import ParseError
from ikscheck.results import Status

__all__ = ["Certificate", "expiry", "first_certificate", "from_data_field"]


@dataclass(frozen=True)
class Certificate:
    """The parts of a certificate a verdict names."""

    subject: str  # the common name, else the whole subject
    not_after: datetime


def first_certificate(data: bytes, what: str) -> Certificate:
    """The first certificate of a PEM bundle; :class:`ParseError` naming ``what`` otherwise.

    >>> first_certificate(b"hello", "the CA")
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: the CA is not PEM: no -----BEGIN CERTIFICATE----- block
    """
    if b"-----BEGIN CERTIFICATE-----" not in data:
        if b"-----BEGIN" in data:
            raise ParseError(f"{what} is PEM but not a certificate (no CERTIFICATE block)")
        raise ParseError(f"{what} is not PEM: no -----BEGIN CERTIFICATE----- block")
    try:
        cert = x509.load_pem_x509_certificates(data)[0]
        # cryptography parses the subject only when it is asked for: inside the try too.
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        subject = str(names[0].value) if names else cert.subject.rfc4514_string() or "(no subject)"
        return Certificate(subject, cert.not_valid_after_utc)
    except ValueError as exc:
        raise ParseError(f"{what} is not a readable certificate: {exc}") from None


def from_data_field(value: bytes | str, what: str) -> Certificate:
    """A certificate from a kubeconfig ``*-data`` field (base64 of PEM)."""
    if isinstance(value, bytes):
        return first_certificate(value, what)
    try:
        decoded = base64.b64decode(value.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        raise ParseError(f"{what} is not base64") from None
    return first_certificate(decoded, what)


def expiry(cert: Certificate, now: datetime, warn_days: int) -> tuple[Status, str]:
    """Whether ``cert`` is valid at ``now``: pass, warn within ``warn_days``, fail expired.

    >>> from datetime import UTC
    >>> cert = Certificate("mycluster-ca", datetime(2027, 1, 1, tzinfo=UTC))
    >>> expiry(cert, datetime(2026, 12, 20, tzinfo=UTC), 30)
    (<Status.WARN: 'warn'>, 'mycluster-ca expires 2027-01-01 (in 12 days)')
    """
    day = cert.not_after.date().isoformat()
    left = cert.not_after - now
    if left <= timedelta(0):
        return Status.FAIL, f"{cert.subject} expired {day}"
    if left <= timedelta(days=warn_days):
        return Status.WARN, f"{cert.subject} expires {day} (in {left.days} days)"
    return Status.PASS, f"{cert.subject} valid until {day}"
