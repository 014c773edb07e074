"""Tests for ikscheck.certs beyond its doctests: certificates that do not parse."""

from __future__ import annotations

import base64
import re

import pytest

import testenv
from ikscheck import certs
from ikscheck.errors import ParseError

PEM = (
    testenv.FORMATS / "kubeconfig" / "2019-cluster-config" / "ca-dal10-mycluster.pem"
).read_text()


def _with_der(change: bytes, to: bytes) -> bytes:
    """The sample CA with the last ``change`` of its DER bytes replaced by ``to``."""
    body = re.search(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END", PEM, re.S)
    assert body is not None
    der = base64.b64decode(body.group(1))
    at = der.rindex(change)
    der = der[:at] + to + der[at + len(change) :]
    return (
        b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    )


def test_the_sample_reads() -> None:
    assert certs.first_certificate(PEM.encode(), "the CA").subject == "mycluster-ca"


def test_a_subject_that_is_not_asn1_is_not_a_readable_certificate() -> None:
    # Found by tests/test_fuzz.py: the subject's UTF8String tag (0x0c) flipped to 0x00.
    # cryptography parses the subject only when it is asked for, and its ValueError escaped.
    broken = _with_der(b"\x0c\x0cmycluster-ca", b"\x00\x0cmycluster-ca")
    with pytest.raises(ParseError, match="the CA is not a readable certificate: error parsing"):
        certs.first_certificate(broken, "the CA")
