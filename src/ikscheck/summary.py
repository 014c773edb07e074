"""The end of a run in the terminal: one line per result that is not a pass, alike ones folded.

Results whose lines would differ only in their params (a fleet's clusters: the same check,
status, message, remediation and baseline mark, no traceback) make one line, at the first one's
place, naming the first few: ``SKIP  OC-003[c1, c2, c3 and 5 more]: ...``. So do the skips one
failure blocked, whatever their check:
``SKIP  ACCT-001[c1], API-002, API-003[c1] and 4 more: blocked by TOK-004 (...)``.
The reports list each result; :func:`folded_note` says so when anything was folded.
"""

from __future__ import annotations

from ikscheck.plan import some_of
from ikscheck.results import Result, Status

__all__ = ["folded_note", "lines"]


def lines(results: list[Result]) -> list[str]:
    """What was seen, and what to run or why, per result that is not a pass (or folded group of
    them); a bug's traceback follows its line.

    >>> one = Result("KCTL-002", "n", "t", "high", Status.FAIL, "skew 2", "install kubectl 1.31")
    >>> lines([one])
    ['FAIL  KCTL-002: skew 2  -> install kubectl 1.31']
    """
    said = []
    for group in _groups(results):
        result = group[0]
        label = _label(group)
        if result.baseline == "new":
            label += " (new)"
        line = f"{result.status.value.upper():5} {label}: {result.message}"
        if result.remediation:
            line += f"  -> {result.remediation}"
        said.append(line)
        # A bug is reported by its traceback: under its line, indented to read as part of it.
        said += ["    " + t for t in result.traceback.splitlines()]
    return said


def folded_note(results: list[Result], report_json: str | None, html: str | None) -> list[str]:
    """A line saying how many results :func:`lines` folded, in what they differ, and which
    report lists each; none when nothing was folded."""
    folded = [g for g in _groups(results) if len(g) > 1]
    if not folded:
        return []
    names: dict[str, None] = {}  # what differs within a line: check, params, in order
    for group in folded:
        if len({r.id for r in group}) > 1:
            names["check"] = None
        for name in dict.fromkeys(n for r in group for n in r.params):
            if len({r.params.get(name, "") for r in group}) > 1:
                names[name] = None
    differ = " and ".join(names) or "params"
    kinds = [kind for kind, path in (("JSON", report_json), ("HTML", html)) if path]
    where = {
        0: "--report-json PATH writes a report that lists each",
        1: f"the {''.join(kinds)} report lists each",
        2: "the JSON and HTML reports list each",
    }[len(kinds)]
    count = sum(len(g) for g in folded)
    return [
        f"Folded {count} results that differ only in their {differ} into {len(folded)} "
        f"line{'s' if len(folded) > 1 else ''}: {where}"
    ]


def _groups(results: list[Result]) -> list[list[Result]]:
    """The results that are not a pass, in order, as the summary shows them: those whose line
    would differ only in their params, together at the first one's place, and so the skips a
    failure blocked, whatever their check. A result with a traceback (a bug) stands alone, and
    so does one without a param that nothing blocked."""
    groups: list[list[Result]] = []
    open_groups: dict[tuple[object, ...], list[Result]] = {}
    for result in results:
        if result.status is Status.PASS:
            continue
        blocked = bool(result.blocked_by)
        if result.traceback or not (blocked or any(result.params.values())):
            groups.append([result])
            continue
        check = "" if blocked else result.id  # "blocked by X" says the same of every check
        key = (result.status, check, result.message, result.remediation, result.baseline)
        group = open_groups.get(key)
        if group is None:
            group = open_groups[key] = []
            groups.append(group)
        group.append(result)
    return groups


def _label(group: list[Result]) -> str:
    """What a summary line names: each check once, with the params of its results.

    >>> from dataclasses import replace
    >>> one = Result("OC-003", "n", "t", "low", Status.SKIP, "m", "", {"cluster": "c1"})
    >>> _label([one, replace(one, params={"cluster": "c2"}), replace(one, id="API-002", params={})])
    'OC-003[c1, c2], API-002'
    """
    by_check: dict[str, list[list[str]]] = {}
    for result in group:
        by_check.setdefault(result.id, []).append([v for v in result.params.values() if v])
    labels = []
    for check, values in by_check.items():
        if len(values) > 1 and all(len(v) == 1 for v in values):  # one value each: a list
            labels.append(f"{check}[{some_of([v for [v] in values])}]")
        else:  # each as a single result's, listed: [c1][p1], [c2][p2]
            labels.append(check + some_of(["".join(f"[{v}]" for v in vs) for vs in values]))
    return some_of(labels)
