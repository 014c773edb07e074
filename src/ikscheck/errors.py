"""Exceptions the engine raises; the session turns them into check statuses."""

from __future__ import annotations


class ParseError(ValueError):
    """Evidence was gathered but does not have the expected format."""


class EvidenceError(Exception):
    """Evidence a check needs could not be gathered or is missing from a bundle.

    A check that meets it reports ``error`` with this message, and with ``remediation`` when
    the engine knows what would let it gather the evidence (a kubeconfig to download, say).
    """

    def __init__(self, message: str, remediation: str = "") -> None:
        super().__init__(message)
        self.remediation = remediation


class UsageError(Exception):
    """The command line or a bundle is unusable; reported as one line, no traceback."""
