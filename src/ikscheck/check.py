"""The check API: metadata beside each check, and the verdict helpers checks call.

A check is a test function with metadata beside it::

    @check("CLI-002", "The IBM Cloud CLI is recent enough", severity="medium",
           remediation="ibmcloud update", needs=("CLI-001",))
    def test_cli_version(workstation, policy):
        version = workstation.cli_version()
        minimum = policy.min_cli_version
        expect(version >= minimum, f"ibmcloud {version} (minimum {minimum})")

``expect`` fails with its message unless the condition holds, and otherwise leaves the message
as the passing observation; ``warn`` ends the check with ``warn``; ``observe`` leaves a passing
observation; ``conclude`` ends it with a status a fact computed; ``blocked`` skips it, naming a
prerequisite that failed. Engine errors (``EvidenceError``, ``ParseError``) end it with
``error``. Titles and remediations may name a check's parameters (``{cluster}``, ``{plugin}``)
and policy values (``{skew_window}``); they are filled in per result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from ikscheck.results import Blocked, NotApplicable, Status, Verdict

__all__ = [
    "SEVERITIES",
    "CheckMeta",
    "NotApplicable",
    "blocked",
    "check",
    "conclude",
    "expect",
    "meta_of",
    "observe",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])

ID_RE = re.compile(r"^[A-Z]{2,5}-\d{3}$")
SEVERITIES = ("info", "low", "medium", "high", "critical")
STATUSES = tuple(s.value for s in Status)


class _Blanks(dict[str, str]):
    """Fills a template's unknown or empty names with ``<name>``: a placeholder a user sees."""

    def __missing__(self, key: str) -> str:
        return "<" + key + ">"


def fill(template: str, values: Mapping[str, object]) -> str:
    """``template`` with ``{name}`` filled from ``values``; unknown or empty names as ``<name>``.

    >>> fill("ibmcloud ks cluster config --cluster {cluster}", {"cluster": ""})
    'ibmcloud ks cluster config --cluster <cluster>'
    >>> fill("kubectl config use-context a{b", {})
    'kubectl config use-context a{b'
    """
    try:
        return template.format_map(_Blanks({k: str(v) for k, v in values.items() if v != ""}))
    except (ValueError, IndexError):  # braces that are not placeholders (from a name): as is
        return template


@dataclass(frozen=True)
class CheckMeta:
    """What a check is: its stable ID, title, severity, remediation and prerequisites."""

    id: str
    title: str
    severity: str
    remediation: str
    needs: tuple[str, ...] = ()
    #: What is checked, and from which evidence (``--explain`` and docs/checks.md show it).
    description: str = ""
    #: Why it matters: the setup guide's step it comes from.
    why: str = ""
    #: What each status means for this check, as ``(status, meaning)`` pairs.
    statuses: tuple[tuple[str, str], ...] = ()

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
        found += [
            f"{self.id}: {status!r} is not a status ({', '.join(STATUSES)})"
            for status, _ in self.statuses
            if status not in STATUSES
        ]
        return found


def check(
    id: str,
    title: str,
    *,
    severity: str,
    remediation: str,
    needs: tuple[str, ...] = (),
    description: str = "",
    why: str = "",
    statuses: Mapping[str, str] | None = None,
) -> Callable[[F], F]:
    """Declare a function as the check ``id``; the metadata is validated at collection.

    ``description`` says what is checked and from which evidence, ``why`` why it matters (the
    setup guide's step), ``statuses`` what each status it can end with means for it: the text
    of ``--explain`` and of docs/checks.md (see :mod:`ikscheck.explain`).
    """
    meta = CheckMeta(
        id,
        title,
        severity,
        remediation,
        tuple(needs),
        description=_prose(description),
        why=_prose(why),
        statuses=tuple((k, _prose(v)) for k, v in (statuses or {}).items()),
    )

    def mark(func: F) -> F:
        func.__ikscheck__ = meta  # type: ignore[attr-defined]
        return func

    return mark


def _prose(text: str) -> str:
    """``text`` on one line: a wrapped paragraph's breaks and indents as single spaces.

    >>> _prose(" Runs `ibmcloud version`   from PATH. ")
    'Runs `ibmcloud version` from PATH.'
    """
    return " ".join(text.split())


def meta_of(func: object) -> CheckMeta | None:
    """The metadata ``@check`` attached to ``func``, or None."""
    meta = getattr(func, "__ikscheck__", None)
    return meta if isinstance(meta, CheckMeta) else None


# The observation a passing check leaves, set by ``observe`` and read by the session.
observation: ContextVar[str] = ContextVar("ikscheck_observation", default="")


def observe(message: str) -> None:
    """Leave ``message`` (the observed value) as what the check saw if it passes."""
    observation.set(message)


def expect(holds: bool, message: str, *, remediation: str = "") -> None:
    """``fail`` with ``message`` unless ``holds``; otherwise leave it as the observation.

    The message states the observed value either way ("ibmcloud 2.9.0 (minimum 0.8.0)").
    ``remediation``, when given, is more precise than the check's own for this case.
    """
    if not holds:
        raise Verdict(Status.FAIL, message, remediation)
    observe(message)


def warn(message: str, *, remediation: str = "") -> NoReturn:
    """End the check with ``warn``: it holds, but ``message`` needs attention."""
    raise Verdict(Status.WARN, message, remediation)


def conclude(status: Status, message: str, *, remediation: str = "") -> None:
    """End the check with ``status`` (pass, warn or fail) that a fact computed."""
    if status is Status.PASS:
        observe(message)
        return
    if status not in (Status.WARN, Status.FAIL):
        raise ValueError(f"conclude() takes pass, warn or fail, not {status}")
    raise Verdict(status, message, remediation)


def blocked(needed: str, reason: str) -> Blocked:
    """Raise this when a prerequisite that only the check can see has failed."""
    return Blocked((needed,), reason)


def problems_of(checks: list[tuple[str, CheckMeta | None]]) -> list[str]:
    """What is wrong with a suite's checks, given as ``(owner, metadata)`` pairs.

    An owner is where the check is defined (``test_cli.py::test_cli_runs``); several pairs
    may share one owner (a parametrised check). Each ID must be well formed and owned once.
    """
    found: list[str] = []
    owners: dict[str, str] = {}
    for owner, meta in checks:
        if meta is None:
            found.append(f"{owner}: a check without @check metadata")
            continue
        found += meta.problems()
        if owners.setdefault(meta.id, owner) != owner:
            found.append(f"duplicate check ID {meta.id}: {owners[meta.id]} and {owner}")
    return list(dict.fromkeys(found))


def depths(metas: list[CheckMeta]) -> dict[str, int]:
    """How deep each check sits under its prerequisites (0: needs nothing), to run them first.

    >>> a, b = CheckMeta("A-001", "a", "low", "x"), CheckMeta("B-001", "b", "low", "x", ("A-001",))
    >>> sorted(depths([b, a]).items())
    [('A-001', 0), ('B-001', 1)]
    """
    by_id = {m.id: m for m in metas}
    found: dict[str, int] = {}

    def level(check_id: str, seen: frozenset[str]) -> int:
        if check_id not in found:
            meta = by_id.get(check_id)
            needs = [n for n in (meta.needs if meta else ()) if n not in seen]
            found[check_id] = 1 + max((level(n, seen | {check_id}) for n in needs), default=-1)
        return found[check_id]

    for meta in metas:
        level(meta.id, frozenset())
    return found


def module_ranks(checks: list[tuple[str, CheckMeta]]) -> dict[str, int]:
    """How deep each module sits under the modules whose checks its checks need (0: none), so
    that modules can run in an order where every prerequisite has a result already.

    ``checks`` pairs a module's name with the metadata of one of its checks. A cycle between
    modules is cut where it closes (the checks then run in the order given).

    >>> a = CheckMeta("API-001", "a", "low", "x", ("NET-001",))
    >>> n = CheckMeta("NET-001", "n", "low", "x")
    >>> sorted(module_ranks([("test_api", a), ("test_net", n)]).items())
    [('test_api', 1), ('test_net', 0)]
    """
    home = {meta.id: module for module, meta in checks}
    needs: dict[str, set[str]] = {module: set() for module, _ in checks}
    for module, meta in checks:
        needs[module] |= {home[n] for n in meta.needs if n in home and home[n] != module}
    found: dict[str, int] = {}

    def rank(module: str, seen: frozenset[str]) -> int:
        if module not in found:
            deeper = [rank(m, seen | {module}) for m in needs[module] if m not in seen]
            found[module] = 1 + max(deeper, default=-1)
        return found[module]

    for module in needs:
        rank(module, frozenset())
    return found
