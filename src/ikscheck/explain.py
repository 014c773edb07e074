"""``--explain ID``: a check described from its own metadata, without running anything.

Pure: metadata in, text out. The same sections make ``--explain``'s text and the check's entry
in docs/checks.md (:mod:`ikscheck.catalogue`), so the two never disagree: the title, what is
checked and from which evidence, why it matters (the setup guide's step), what each status
means for it, its prerequisites, and its remediation.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ikscheck.check import STATUSES, CheckMeta, fill
from ikscheck.errors import UsageError
from ikscheck.policy import Policy

#: What a status means for a check whose metadata does not say.
ERROR = (
    "could not be evaluated: evidence is missing or unreadable, or a command or request "
    "timed out (the message says why)"
)
NEVER = {
    "pass": "it holds",
    "warn": "never: this check does not warn",
    "fail": "never: this check does not fail (it warns at most)",
    "skip": "never: this check always applies",
}
#: What one result is per, by the check's parameter.
PER = {
    "cluster": "one result per cluster checked",
    "plugin": "one result per plug-in (kubernetes-service, container-registry)",
}


@dataclass(frozen=True)
class Explained:
    """A check's description, in sections of plain text (one paragraph or list each)."""

    id: str
    title: str
    severity: str
    per: str
    what: str
    why: str
    statuses: tuple[tuple[str, str], ...]
    prerequisites: str
    remediation: str


def template(text: str) -> str:
    """A remediation template as docs show it: ``{cluster}`` as ``<cluster>``."""
    return re.sub(r"\{(\w+)\}", r"<\1>", text)


def explained(
    meta: CheckMeta, catalogue: Mapping[str, CheckMeta], params: Sequence[str] = ()
) -> Explained:
    """The sections of ``meta``'s description; ``catalogue`` names its prerequisites,
    ``params`` are the check's parameters (``cluster``, ``plugin``)."""
    words = Policy().words()
    declared = dict(meta.statuses)
    statuses = []
    for status in STATUSES:
        meaning = declared.get(status) or {"error": ERROR}.get(status) or ""
        if status == "skip" and meta.needs:
            blocked = (
                "blocked: a prerequisite failed or could not be evaluated (blocked_by names it)"
            )
            meaning = f"{meaning}; or {blocked}" if meaning else blocked
        statuses.append((status, meaning or NEVER[status]))
    if meta.needs:
        named = ", ".join(
            f"{n} ({fill(catalogue[n].title, words)})" if n in catalogue else n for n in meta.needs
        )
        prerequisites = f"{named}. When one fails or errors, this check is skipped, blocked by it."
    else:
        prerequisites = "None: nothing has to hold before this check runs."
    per = "; ".join(PER[p] for p in params if p in PER) or "one result for this workstation"
    return Explained(
        id=meta.id,
        title=fill(meta.title, words),
        severity=meta.severity,
        per=per,
        what=meta.description or "(not described)",
        why=meta.why or "(not described)",
        statuses=tuple(statuses),
        prerequisites=prerequisites,
        remediation=template(meta.remediation),
    )


def text(found: Explained, width: int = 96) -> str:
    """The description as ``--explain`` prints it, wrapped to ``width`` columns."""

    def para(body: str, indent: str = "  ", hanging: str = "  ") -> list[str]:
        return textwrap.wrap(
            body, width, initial_indent=indent, subsequent_indent=hanging, break_on_hyphens=False
        )

    pad = max(len(s) for s, _ in found.statuses) + 4
    lines = [
        f"{found.id}: {found.title}",
        f"severity {found.severity}; {found.per}",
        "",
        "What is checked",
        *para(found.what),
        "",
        "Why it matters",
        *para(found.why),
        "",
        "Statuses",
        *(
            line
            for status, meaning in found.statuses
            for line in para(meaning, f"  {status:<{pad - 2}}", " " * pad)
        ),
        "",
        "Prerequisites",
        *para(found.prerequisites),
        "",
        "Remediation (names are filled in for each result; a result may carry a more precise one)",
        f"  {found.remediation}",
    ]
    return "\n".join(lines) + "\n"


def markdown(found: Explained) -> str:
    """The description as docs/checks.md holds it: the same sections."""
    lines = [
        f"### {found.id}: {found.title}",
        "",
        f"Severity **{found.severity}**; {found.per}.",
        "",
        f"**What is checked.** {found.what}",
        "",
        f"**Why it matters.** {found.why}",
        "",
        "**Statuses.**",
        "",
        *(f"- `{status}`: {meaning}" for status, meaning in found.statuses),
        "",
        f"**Prerequisites.** {found.prerequisites}",
        "",
        f"**Remediation.** `{found.remediation}`",
    ]
    return "\n".join(lines) + "\n"


def closest(wanted: str, ids: Sequence[str], count: int = 3) -> list[str]:
    """The IDs most like ``wanted``: in its area, the nearest numbers first; else close
    spellings (a mistyped area).

    >>> closest("kctl-2", ["CLI-001", "KCTL-001", "KCTL-002", "KCTL-003", "KCFG-002"])
    ['KCTL-002', 'KCTL-001', 'KCTL-003']
    >>> closest("KTCL-002", ["CLI-001", "KCTL-001", "KCTL-002"])[0]
    'KCTL-002'
    """
    key = wanted.strip().upper()
    found: list[str] = []
    parts = re.fullmatch(r"([A-Z]+)-?0*(\d+)", key)
    if parts:
        number = int(parts[2])
        found = sorted(
            (i for i in ids if i.split("-", 1)[0] == parts[1]),
            key=lambda i: (abs(int(i.split("-", 1)[1]) - number), i),
        )
    found += [i for i in difflib.get_close_matches(key, ids, n=count, cutoff=0.0) if i not in found]
    return found[:count]


def resolve(wanted: str, catalogue: Mapping[str, CheckMeta]) -> CheckMeta:
    """The check ``wanted`` names (any case), or a :class:`UsageError` naming the closest."""
    meta = catalogue.get(wanted.strip().upper())
    if meta is not None:
        return meta
    near = ", ".join(closest(wanted, sorted(catalogue)))
    raise UsageError(
        f"no check has the ID {wanted!r}; the closest: {near} (every check: docs/checks.md)"
    )
