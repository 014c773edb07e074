"""Statuses, results, and the judging of how a check ended.

A check ends by returning (``pass``, with the observation it left), or by raising one of the
exceptions below, which the helpers in :mod:`ikscheck.check` raise for it. :func:`judge` turns
that ending into a :class:`Verdict`; the session adds the check's metadata to make a
:class:`Result`, one row of every report.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType
from typing import Any

from ikscheck.errors import EvidenceError, ParseError


class Status(StrEnum):
    """How a check came out. Separate from severity, which says how much it matters."""

    PASS = "pass"  # holds
    WARN = "warn"  # holds, but something needs attention
    FAIL = "fail"  # does not hold
    ERROR = "error"  # could not be evaluated; the message says why
    SKIP = "skip"  # not applicable, or blocked by a failed prerequisite (see blocked_by)

    @property
    def unhealthy(self) -> bool:
        """Whether this status makes a run unhealthy under ``--fail-on fail``."""
        return self in (Status.FAIL, Status.ERROR)


class Verdict(Exception):
    """A check's conclusion other than a bare pass, raised by ``expect``, ``warn``, ``conclude``."""

    def __init__(self, status: Status, message: str, remediation: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.remediation = remediation


class Blocked(Exception):
    """A prerequisite failed: the check is skipped and ``blocked_by`` names it."""

    def __init__(self, blocked_by: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.blocked_by = blocked_by


def blocked_by(roots: tuple[str, ...]) -> Blocked:
    """The ending of a check whose prerequisites ``roots`` failed, as every run says it.

    >>> str(blocked_by(("CLI-001",)))
    'blocked by CLI-001 (a prerequisite failed)'
    """
    return Blocked(roots, f"blocked by {', '.join(roots)} (a prerequisite failed)")


class NotApplicable(Exception):
    """The check does not apply to this setup."""


@dataclass(frozen=True)
class Ending:
    """How one check call ended, before the check's metadata is added."""

    status: Status
    message: str
    remediation: str = ""  # more precise than the check's own, for this case
    blocked_by: tuple[str, ...] = ()
    traceback: str = ""  # only for a bug in a check or the engine


def judge(
    exc: BaseException | None, observation: str, check: Callable[..., object] | None = None
) -> Ending:
    """The ending of a check that raised ``exc`` (None: it returned, leaving ``observation``).

    A bug's traceback starts at ``check``'s frame when it is in it: the frames that called the
    check (pytest's runner, its hooks) are the same for every bug and would bury the cause.

    >>> judge(None, "ibmcloud 2.9.0 (minimum 0.8.0)").status
    <Status.PASS: 'pass'>
    >>> judge(EvidenceError("`ibmcloud version`: timed out after 30s"), "").status
    <Status.ERROR: 'error'>
    """
    if exc is None:
        return Ending(Status.PASS, observation or "holds")
    if isinstance(exc, Verdict):
        return Ending(exc.status, exc.message, exc.remediation)
    if isinstance(exc, AssertionError):  # a plain `assert` in a check
        return Ending(Status.FAIL, str(exc).split("\nassert ")[0])
    if isinstance(exc, Blocked):
        return Ending(Status.SKIP, str(exc), blocked_by=exc.blocked_by)
    if isinstance(exc, NotApplicable):
        return Ending(Status.SKIP, str(exc))
    if isinstance(exc, EvidenceError):
        return Ending(Status.ERROR, str(exc), exc.remediation)
    if isinstance(exc, ParseError):
        return Ending(Status.ERROR, str(exc))
    trace = "".join(traceback.format_exception(type(exc), exc, _from(exc.__traceback__, check)))
    where = f"{type(exc).__name__}: {exc}"
    return Ending(Status.ERROR, f"internal error in the check ({where})", traceback=trace)


def _from(tb: TracebackType | None, check: Callable[..., object] | None) -> TracebackType | None:
    """``tb`` from the entry of ``check``'s frame on, or the whole of it if that is not in it."""
    code = getattr(check, "__code__", None)
    entry = tb
    while entry is not None and entry.tb_frame.f_code is not code:
        entry = entry.tb_next
    return entry or tb


def result_key(check_id: str, params: Mapping[str, object]) -> str:
    """A result's key, unique within a run: its check ID, then each non-empty param in
    brackets. Plans name the results a step fixes by it; baselines and merges match by it.

    >>> result_key("KCTL-002", {"cluster": "mycluster"})
    'KCTL-002[mycluster]'
    >>> result_key("CLI-001", {})
    'CLI-001'
    """
    return check_id + "".join(f"[{v}]" for v in params.values() if v != "")


@dataclass
class Result:
    """One check's outcome for one set of parameters: a row of every report.

    ``(id, params)`` is unique within a run.
    """

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
    traceback: str = ""
    baseline: str = ""  # against --baseline: new, unchanged or fixed ("" without one)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
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
        if self.traceback:
            doc["traceback"] = self.traceback
        if self.baseline:
            doc["baseline"] = self.baseline
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Result:
        """The result :meth:`to_json` wrote (a pytest-xdist worker's, sent to the controller).

        >>> r = Result("CLI-001", "n", "t", "high", Status.FAIL, "m", "fix", {"cluster": "c"})
        >>> Result.from_json(r.to_json()) == r
        True
        """
        return cls(
            id=doc["id"],
            nodeid=doc["nodeid"],
            title=doc["title"],
            severity=doc["severity"],
            status=Status(doc["status"]),
            message=doc["message"],
            remediation=doc["remediation"],
            params=dict(doc.get("params") or {}),
            blocked_by=list(doc.get("blocked_by") or ()),
            duration=float(doc.get("duration") or 0.0),
            traceback=doc.get("traceback", ""),
            baseline=doc.get("baseline", ""),
        )
