"""Check metadata, statuses and the verdict helpers checks call.

A check is a test function with metadata beside it::

    @check("CLI-002", "IBM Cloud CLI is recent enough", severity="medium",
           remediation="ibmcloud update", needs=("CLI-001",))
    def test_cli_version(workstation, policy):
        version = workstation.cli_version()
        expect(version >= policy.min_cli_version, f"ibmcloud {version} (minimum ...)")

``expect`` fails with its message or records it as the passing observation; ``warn`` ends the
check with ``warn``; engine errors (:class:`EvidenceError`, :class:`ParseError`) become
``error``; ``blocked`` skips the check naming the prerequisite that failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

ID_RE = re.compile(r"^[A-Z]{2,5}-\d{3}$")
SEVERITIES = ("info", "low", "medium", "high", "critical")
STATUSES = ("pass", "warn", "fail", "error", "skip")


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


@dataclass(frozen=True)
class CheckMeta:
    """What a check is: its stable ID, title, severity, remediation and prerequisites."""

    id: str
    title: str
    severity: str
    remediation: str
    needs: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        """What is wrong with this metadata (empty when valid)."""
        found = []
        if not ID_RE.match(self.id):
            found.append(f"malformed check ID {self.id!r} (expected AREA-NNN, e.g. CLI-001)")
        if not self.title.strip():
            found.append(f"{self.id}: missing title")
        if self.severity not in SEVERITIES:
            found.append(f"{self.id}: severity {self.severity!r} is not one of {SEVERITIES}")
        if not self.remediation.strip():
            found.append(f"{self.id}: missing remediation")
        found += [
            f"{self.id}: malformed prerequisite {n!r}" for n in self.needs if not ID_RE.match(n)
        ]
        return found


def check(
    id: str,
    title: str,
    *,
    severity: str,
    remediation: str,
    needs: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Declare a function as the check ``id``; the plugin validates this at collection."""
    meta = CheckMeta(id, title, severity, remediation, tuple(needs))

    def mark(func: F) -> F:
        func.__ikscheck__ = meta  # type: ignore[attr-defined]
        return func

    return mark


def meta_of(func: object) -> CheckMeta | None:
    meta = getattr(func, "__ikscheck__", None)
    return meta if isinstance(meta, CheckMeta) else None


@dataclass
class Result:
    """One check's outcome for one set of parameters: a row of every report."""

    id: str
    nodeid: str
    title: str
    severity: str
    status: Status
    message: str
    remediation: str
    params: dict[str, str] = field(default_factory=dict)
    blocked_by: list[str] = field(default_factory=list)
    duration: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nodeid": self.nodeid,
            "title": self.title,
            "severity": self.severity,
            "status": self.status.value,
            "message": self.message,
            "remediation": self.remediation,
            "params": dict(self.params),
            "blocked_by": list(self.blocked_by),
            "duration": round(self.duration, 4),
        }


class CheckFailed(AssertionError):
    """The check does not hold. ``fix`` is a remediation for this case, if more precise."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


class CheckWarning(Exception):
    """The check holds, but something needs attention."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


class Blocked(Exception):
    """A prerequisite failed: the check is skipped and names it."""

    def __init__(self, prerequisites: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.prerequisites = prerequisites


class NotApplicable(Exception):
    """The check does not apply to this setup."""


# The observation a passing check leaves, set by ``expect`` and read by the plugin.
observation: ContextVar[str] = ContextVar("ikscheck_observation", default="")


def expect(holds: bool, message: str, *, warn: bool = False, fix: str = "") -> None:
    """The verdict: ``fail`` with ``message`` unless ``holds``; ``warn`` if ``warn``; else pass.

    The message states the observed value either way, e.g. "ibmcloud 2.9.0 (minimum 0.8.0)".
    ``fix``, when given, is a remediation more precise than the check's own for this case.
    """
    if not holds:
        raise CheckFailed(message, fix)
    if warn:
        raise CheckWarning(message, fix)
    observation.set(message)


def blocked(prerequisite: str, reason: str) -> Blocked:
    """Raise this when a prerequisite that only the check can see has failed."""
    return Blocked((prerequisite,), reason)
