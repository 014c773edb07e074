"""The remediation plan: a run's root causes as steps, in the order to take them.

Pure: results (or the ``checks`` of a JSON report) and the checks' prerequisites in, steps out.

- **Root causes only.** A step comes from a result that is ``warn``, ``fail`` or ``error``. A
  ``skip`` is never a step: blocked (its ``blocked_by`` names the root cause, which has its
  own step) or not applicable.
- **One step per remediation.** Results whose remediation is the same text (the same command
  for the same names) make one step, naming every result it fixes (``fixes``: result keys,
  the check ID followed by each param in brackets, ``KCTL-002[mycluster]``) and every cluster.
- **Prerequisite order.** Steps whose checks other results are blocked by come first, then by
  severity (critical first), then by check ID; and wherever one step's check is a prerequisite
  (``needs``, transitively) of another's for the same cluster, it comes before it. An
  ``error`` without a known fix ("could not be evaluated") becomes a step to look into it, after
  every step that fixes something: those often clear it.
- **Command or person.** The remediation is a command (``needs_person`` false) when every part
  of it, split at ``;``, starts with a known program (:data:`PROGRAMS`) and it holds no
  placeholder left to fill (``<name>``), no prose, no shell operator outside quotes; a trailing
  parenthesised remark is a note, not part of it (:func:`command_of`). Everything else needs a
  person: an instruction ("Install ...", "Turn on ...", "Report ..."), a download from a URL,
  a name to choose, and ``ibmcloud login``, which prompts for a password or opens a browser
  (``--sso``).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ikscheck.results import Result, result_key

#: Programs a remediation may start with to be run as is.
PROGRAMS = frozenset(
    {
        "ibmcloud",
        "kubectl",
        "oc",
        "helm",
        "chmod",
        "chown",
        "export",
        "unset",
        "sudo",
        "timedatectl",
    }
)
#: Commands that a person must answer (a password prompt, a browser window): never scripted.
INTERACTIVE = ("ibmcloud login",)
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
STEP_STATUSES = ("warn", "fail", "error")
USE_CONTEXT = "kubectl config use-context "
#: Outside quotes, a command holds none of these: redirections, pipes, subshells, expansions,
#: globs, escapes, placeholders (``<name>``).
_UNSAFE = set("<>|&()$`*?[]{}!\\\n\r\t")
_NOTE = re.compile(r"^(?P<command>.*?)\s+\((?P<note>[^()]*)\)$", re.DOTALL)


@dataclass(frozen=True)
class Step:
    """One step of the plan: what to run (or do), and which results it fixes."""

    command: str
    fixes: tuple[str, ...]
    clusters: tuple[str, ...] = ()
    needs_person: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "fixes": list(self.fixes),
            "clusters": list(self.clusters),
            "needs_person": self.needs_person,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Step:
        return cls(
            command=str(doc.get("command") or ""),
            fixes=tuple(str(f) for f in doc.get("fixes") or ()),
            clusters=tuple(str(c) for c in doc.get("clusters") or ()),
            needs_person=bool(doc.get("needs_person")),
        )


@dataclass(frozen=True)
class _Finding:
    id: str
    params: dict[str, str]
    status: str
    severity: str
    remediation: str
    message: str
    blocked_by: tuple[str, ...]


def _finding(result: Result | Mapping[str, Any]) -> _Finding:
    if isinstance(result, Result):
        return _Finding(
            result.id,
            dict(result.params),
            result.status.value,
            result.severity,
            result.remediation,
            result.message,
            tuple(result.blocked_by),
        )
    params = result.get("params")
    return _Finding(
        str(result.get("id") or ""),
        {str(k): str(v) for k, v in params.items()} if isinstance(params, Mapping) else {},
        str(result.get("status") or ""),
        str(result.get("severity") or ""),
        str(result.get("remediation") or ""),
        str(result.get("message") or ""),
        tuple(str(b) for b in result.get("blocked_by") or ()),
    )


def _unquoted(text: str) -> str | None:
    """The characters of ``text`` outside shell quotes (quoted ones as ``_``); None when a
    quote is left open."""
    out: list[str] = []
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
            out.append("_")
        elif char in "'\"":
            quote = char
            out.append("_")
        else:
            out.append(char)
    return None if quote else "".join(out)


def command_of(remediation: str) -> tuple[str, str] | None:
    """``(command, note)`` when ``remediation`` can be run as is (see the module's docstring),
    else None: a person must act on it.

    >>> command_of("ibmcloud ks cluster config --cluster mycluster")
    ('ibmcloud ks cluster config --cluster mycluster', '')
    >>> command_of("ibmcloud ks cluster get --cluster c1 (see its state and status)")
    ('ibmcloud ks cluster get --cluster c1', 'see its state and status')
    >>> command_of("ibmcloud target -r <region> -g <resource group>") is None
    True
    >>> command_of("Install kubectl 1.31: https://dl.k8s.io/release/v1.31.4/bin/linux/kubectl")
    >>> command_of("ibmcloud login (with --sso for a federated ID)") is None
    True
    """
    text = remediation.strip()
    note = ""
    found = _NOTE.match(text)
    if found and _unquoted(found["command"]) is not None:
        text, note = found["command"].strip(), " ".join(found["note"].split())
    bare = _unquoted(text)
    if not text or bare is None or _UNSAFE & set(bare):
        return None
    for part in bare.split(";"):
        words = part.split()
        if not words or words[0] not in PROGRAMS:
            return None
        if words[-1].endswith(":"):  # "... to run: " (prose)
            return None
    if any(text == c or text.startswith(c + " ") for c in INTERACTIVE):
        return None
    return text, note


def _closure(needs: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """Every check's prerequisites, transitively."""
    found: dict[str, frozenset[str]] = {}

    def of(check_id: str, seen: frozenset[str]) -> frozenset[str]:
        if check_id in found:
            return found[check_id]
        direct = [n for n in needs.get(check_id, ()) if n not in seen]
        every = frozenset(direct).union(*(of(n, seen | {check_id}) for n in direct))
        if not seen:
            found[check_id] = every
        return every

    for check_id in needs:
        of(check_id, frozenset())
    return found


@dataclass
class _Draft:
    command: str
    first: int
    person: bool
    unknown: bool  # an error whose fix nobody knows: look into it
    keys: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    units: set[tuple[str, str]] = field(default_factory=set)  # (check ID, cluster or "")
    severity: int = len(SEVERITY_RANK)


def build(
    results: Iterable[Result | Mapping[str, Any]],
    needs: Mapping[str, Iterable[str]] | None = None,
) -> list[Step]:
    """The plan of a run: its root causes as ordered, deduplicated steps (empty: nothing to do).

    ``results`` are :class:`Result` objects or the ``checks`` of a JSON report; ``needs`` maps
    a check ID to the IDs it needs (:class:`ikscheck.check.CheckMeta`), for the order.
    """
    findings = [_finding(r) for r in results]
    blocking: dict[str, set[str]] = {}  # a root cause's ID: the clusters of what it blocks
    for found in findings:
        if found.status == "skip":
            for root in found.blocked_by:
                blocking.setdefault(root, set()).add(found.params.get("cluster", ""))
    switch = _one_switch(findings)
    drafts: dict[str, _Draft] = {}
    for n, found in enumerate(findings):
        if found.status not in STEP_STATUSES:
            continue
        unknown = not found.remediation.strip()
        text = found.remediation.strip()
        if text.startswith(USE_CONTEXT) and switch:
            text = switch
        if unknown:
            key = result_key(found.id, found.params)
            text = f"Find out why {key} could not be evaluated: {' '.join(found.message.split())}"
        draft = drafts.get(text)
        if draft is None:
            person = unknown or command_of(text) is None
            draft = drafts[text] = _Draft(text, n, person, unknown)
        key = result_key(found.id, found.params)
        if key not in draft.keys:
            draft.keys.append(key)
        cluster = found.params.get("cluster", "")
        if cluster and cluster not in draft.clusters:
            draft.clusters.append(cluster)
        draft.ids.add(found.id)
        draft.units.add((found.id, cluster))
        draft.severity = min(draft.severity, SEVERITY_RANK.get(found.severity, len(SEVERITY_RANK)))
    ordered = _order(list(drafts.values()), blocking, _closure(needs or {}))
    return [
        Step(d.command, tuple(d.keys), tuple(d.clusters), needs_person=d.person) for d in ordered
    ]


def _one_switch(findings: list[_Finding]) -> str:
    """One step for several clusters' ``kubectl config use-context`` fixes ("" for fewer than
    two): in a fleet each is the current context of one, and each switch would undo the one
    before it; a person picks the cluster to work with."""
    contexts = sorted(
        {
            f.remediation.strip()[len(USE_CONTEXT) :]
            for f in findings
            if f.status in STEP_STATUSES and f.remediation.strip().startswith(USE_CONTEXT)
        }
    )
    if len(contexts) < 2:
        return ""
    return (
        "Make current the context of the cluster you work with (kubectl follows one at a "
        f"time): {USE_CONTEXT}<one of {', '.join(contexts)}>"
    )


def _same_place(one: str, other: str) -> bool:
    """Whether results on these clusters can depend on each other ("": the workstation's)."""
    return not one or not other or one == other


def _order(
    drafts: list[_Draft],
    blocking: Mapping[str, set[str]],
    prerequisites: Mapping[str, frozenset[str]],
) -> list[_Draft]:
    """Blocking first, then severity, then check ID; a prerequisite's step before its
    dependents' on the same cluster (a topological order that takes the best-ranked ready step
    each time)."""

    def blocks(d: _Draft) -> bool:
        return any(
            any(_same_place(cluster, c) for c in blocking.get(check_id, ()))
            for check_id, cluster in d.units
        )

    def rank(d: _Draft) -> tuple[bool, bool, int, str, int]:
        return (d.unknown, not blocks(d), d.severity, min(d.ids), d.first)

    def needed_by(first: _Draft, then: _Draft) -> bool:
        return any(
            a in prerequisites.get(b, ()) and _same_place(ca, cb)
            for a, ca in first.units
            for b, cb in then.units
        )

    drafts.sort(key=rank)
    after: list[list[int]] = [[] for _ in drafts]
    waiting = [0] * len(drafts)
    for a, first in enumerate(drafts):
        for b, then in enumerate(drafts):
            if a != b and needed_by(first, then) and not needed_by(then, first):
                after[a].append(b)
                waiting[b] += 1
    ready = [n for n, count in enumerate(waiting) if count == 0]
    heapq.heapify(ready)
    done: list[int] = []
    placed = [False] * len(drafts)
    while len(done) < len(drafts):
        if not ready:  # a cycle through merged steps: break it at the best-ranked step
            ready = [next(n for n in range(len(drafts)) if not placed[n])]
        n = heapq.heappop(ready)
        if placed[n]:
            continue
        placed[n] = True
        done.append(n)
        for b in after[n]:
            waiting[b] -= 1
            if waiting[b] == 0 and not placed[b]:
                heapq.heappush(ready, b)
    return [drafts[n] for n in done]


# -- the terminal ------------------------------------------------------------------------------

#: How many results (or contexts) a step's terminal line names before it says "and N more".
SHOWN_FIXES = 3
_CHOICES = re.compile(r"<one of (?P<names>.*)>$", re.DOTALL)


def terminal_lines(steps: list[Step], script: str | None = None) -> list[str]:
    """The plan as the end-of-run summary shows it: numbered, one line a step; ``script``, the
    path ``--plan-script`` wrote it to, if given.

    A fleet's ``<one of ...>`` list of contexts names the first few and says how many more (the
    JSON report, the HTML report and the script keep the whole command).

    >>> terminal_lines([])
    ['Plan: nothing to fix (the plan is empty)']
    >>> print("\\n".join(terminal_lines([Step("ibmcloud update", ("CLI-002",))])))
    Plan (1 step, in this order; --plan-script PATH writes it as a shell script):
      1. ibmcloud update  [fixes CLI-002]
    >>> terminal_lines([Step("ibmcloud update", ("CLI-002",))], "fix.sh")[0]
    'Plan (1 step, in this order; written as a shell script to fix.sh):'
    """
    if not steps:
        return ["Plan: nothing to fix (the plan is empty)"]
    count = f"{len(steps)} step{'s' if len(steps) > 1 else ''}"
    where = (
        f"written as a shell script to {script}"
        if script
        else "--plan-script PATH writes it as a shell script"
    )
    lines = [f"Plan ({count}, in this order; {where}):"]
    width = len(str(len(steps)))
    for number, step in enumerate(steps, 1):
        fixes = some_of(step.fixes)
        who = "by hand: " if step.needs_person else ""
        command = _shown_choices(" ".join(step.command.split()))
        lines.append(f"  {number:>{width}}. {who}{command}  [fixes {fixes}]")
    return lines


def some_of(names: Sequence[str], shown: int = SHOWN_FIXES) -> str:
    """``names`` joined by ", ", the first ``shown`` of them and how many more.

    >>> some_of(["a", "b", "c"])
    'a, b, c'
    >>> some_of(["a", "b", "c", "d", "e"])
    'a, b, c and 2 more'
    """
    listed = ", ".join(names[:shown])
    return f"{listed} and {len(names) - shown} more" if len(names) > shown else listed


def _shown_choices(command: str) -> str:
    """``command`` with the list of a trailing ``<one of A, B, ...>`` (:func:`_one_switch`)
    cut to its first names and how many more.

    >>> _shown_choices("kubectl config use-context <one of a/1, b/2, c/3, d/4, e/5>")
    'kubectl config use-context <one of a/1, b/2, c/3 and 2 more>'
    >>> _shown_choices("kubectl config use-context <one of a/1, b/2, c/3>")
    'kubectl config use-context <one of a/1, b/2, c/3>'
    """
    # Anchored at the end, as _one_switch writes it: a context name may hold "<" or ">". One
    # that holds ", " is counted as two here (the terminal only: the step keeps its command).
    found = _CHOICES.search(command)
    if found is None:
        return command
    names = found["names"].split(", ")
    return f"{command[: found.start()]}<one of {some_of(names)}>"
