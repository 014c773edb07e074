"""Baselines for CI gates: an earlier JSON report, against which each result is new, unchanged
or fixed.

A gate on a fleet that is never fully healthy cannot fail on every finding: it fails on what is
new since the report it last accepted (``--baseline``, ``--fail-on new``). Results are matched
by check ID and params; a baseline of another schema version, or of another set of clusters,
cannot say what is new and is refused.

The module is pure apart from reading the baseline file: no pytest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ikscheck.errors import UsageError
from ikscheck.reporting import read_report
from ikscheck.results import result_key

__all__ = ["CHANGES", "Baseline", "change", "count", "load", "passes"]

#: How a result compares with the baseline's.
CHANGES = ("new", "unchanged", "fixed")
#: How bad a status is, for comparing: error counts as fail (a gate that cannot evaluate is
#: not green); a skip, blocked or not applicable, is no finding of its own.
_RANK = {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 2}


def change(before: str | None, now: str) -> str:
    """``new``, ``unchanged`` or ``fixed``: how a result with status ``now`` compares with its
    baseline's status ``before`` (None: the baseline has no such result).

    Worse than before and not a pass: new; better: fixed; as bad: unchanged.

    >>> change("pass", "fail"), change("warn", "fail"), change(None, "warn")
    ('new', 'new', 'new')
    >>> change("fail", "pass"), change("fail", "warn"), change("error", "fail")
    ('fixed', 'fixed', 'unchanged')
    >>> change(None, "pass"), change("pass", "skip")
    ('unchanged', 'unchanged')
    """
    then = _RANK.get(before or "pass", 0)
    rank = _RANK.get(now, 0)
    if rank > then:
        return "new"
    return "fixed" if rank < then else "unchanged"


def passes(results: Iterable[tuple[str, str]], fail_on: str) -> bool:
    """Whether results, as (status, baseline mark) pairs, pass the gate ``fail_on``: no fail
    or error (nor warn under ``warn``/``new-warn``); under ``new``/``new-warn`` only the ones
    marked new count. A run and a merge of runs judge by it.

    >>> passes([("warn", "")], "fail"), passes([("warn", "")], "warn")
    (True, False)
    >>> passes([("fail", "unchanged")], "new"), passes([("fail", "new")], "new")
    (True, False)
    """
    bad = {"fail", "error", *(("warn",) if fail_on in ("warn", "new-warn") else ())}
    only_new = fail_on in ("new", "new-warn")
    return not any(status in bad and (not only_new or mark == "new") for status, mark in results)


def count(marks: Iterable[str]) -> dict[str, int]:
    """How many of ``marks`` are new, unchanged and fixed (every one present).

    >>> count(["new", "unchanged", "new", ""])
    {'new': 2, 'unchanged': 1, 'fixed': 0}
    """
    counts = dict.fromkeys(CHANGES, 0)
    for mark in marks:
        if mark in counts:
            counts[mark] += 1
    return counts


@dataclass(frozen=True)
class Baseline:
    """An earlier report, as a gate compares with it."""

    path: str
    evaluated_at: str
    clusters: tuple[str, ...]
    statuses: dict[str, str]  # by ikscheck.results.result_key

    def status_of(self, check_id: str, params: Mapping[str, str]) -> str | None:
        return self.statuses.get(result_key(check_id, params))

    def refuse_other_clusters(self, clusters: Iterable[str]) -> None:
        """A usage error unless this run checks the clusters the baseline checked."""
        now = sorted(set(clusters))
        then = sorted(set(self.clusters))
        if now != then:
            raise UsageError(
                f"--baseline {self.path} checked clusters {_names(then)}; this run checks "
                f"{_names(now)}: a baseline compares the same clusters (record a new one)"
            )


def load(path: str) -> Baseline:
    """The report at ``path`` as a baseline; a :class:`UsageError` saying why it cannot be one.

    >>> load("/nonexistent/health.json")
    Traceback (most recent call last):
    ...
    ikscheck.errors.UsageError: --baseline /nonexistent/health.json: cannot read it: No such file or directory
    """  # noqa: E501
    where = f"--baseline {path}"
    unable = "cannot say what is new against it (record a new baseline)"
    document = read_report(path, where, unable)
    if not isinstance(document.get("checks"), list):
        raise UsageError(f"{where}: not an ikscheck JSON report (no list of checks)")
    statuses: dict[str, str] = {}
    for entry in document["checks"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise UsageError(f"{where}: a result without a check id: {str(entry)[:80]}")
        params = entry.get("params") or {}
        if not isinstance(params, dict):
            raise UsageError(f"{where}: {entry['id']}: params is not an object")
        statuses[result_key(entry["id"], {str(k): str(v) for k, v in params.items()})] = str(
            entry.get("status", "")
        )
    clusters = document.get("clusters") or []
    return Baseline(
        path=path,
        evaluated_at=str(document.get("evaluated_at", "")),
        clusters=tuple(str(c) for c in clusters) if isinstance(clusters, list) else (),
        statuses=statuses,
    )


def _names(clusters: list[str]) -> str:
    return ", ".join(c or "(the current context's)" for c in clusters) or "none"
