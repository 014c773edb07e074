"""Merging the JSON reports of sharded runs (``python -m ikscheck merge``) into one report.

A fleet larger than one machine serves is checked by several runs, each with some of the
clusters (a CI matrix sharded by ``--cluster``); their JSON reports merge into one, from which
one HTML report renders. The rules:

- Every input is a report of this schema version that validates against
  ``schemas/report.schema.json``, and all of them share ``mode`` (live or replay), ``fail_on``
  and whether they were compared with a baseline: a merge of reports judged differently would
  have no single verdict. Anything else is a :class:`~ikscheck.errors.UsageError`.
- A result is keyed by check ID and params (:func:`ikscheck.results.result_key`). The checks
  every shard runs (CLI-001, the plug-ins, IAM) appear once per input: inputs that agree on
  the status give one result, the first input's. Inputs that disagree (a live shard ran while
  a token expired, or on another runner) give the **worst** status, in the order
  pass < skip < warn < error < fail, and its message ends by saying what the others said
  (``[merge: pass in shard-1.json]``): a gate never turns green by merging, and nothing is
  hidden. Among results of the same status, a ``new`` baseline mark wins over ``unchanged``,
  which wins over ``fixed``, so that what made a shard's ``--fail-on new`` gate fail still does.
- Results are in the order a serial run gives them: grouped by test function (its node id
  without the params), groups in order of first appearance, each group's results in input
  order; shards split by ``--cluster`` in the serial order merge to the serial order.
- ``clusters`` and ``environment.clusters``: the union, in first-seen order; the rest of
  ``environment`` (the CLI, plug-ins and kubectl) is the first input's.
- ``summary``, ``verdict`` and ``exit_code`` are recomputed from the merged results and the
  shared ``fail_on`` (``error`` counts as ``fail``; under ``new``/``new-warn`` only results
  marked ``new`` count). ``baseline`` counts are those of the merged results (each shard's
  counts summed, a shared result counted once); its ``path`` lists the inputs' baselines, its
  ``evaluated_at`` is the earliest of theirs.
- ``plan`` (the remediation plan) is made again from the merged results, as a run makes it.
- ``evaluated_at`` is the latest input's, ``recorded_at`` the latest recording's (``null`` for
  live runs); ``tool`` is this ikscheck, which wrote the merged report. Fields a later release
  adds are kept from the first input.

Pure apart from :func:`read_report`, which reads one input file: no pytest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ikscheck import __version__, reporting
from ikscheck.baseline import count, passes
from ikscheck.errors import UsageError
from ikscheck.jsonschemas import problems
from ikscheck.results import result_key

__all__ = ["STATUS_ORDER", "merge", "read_report", "verdict"]

#: Statuses from best to worst, for choosing between inputs that disagree on a result.
STATUS_ORDER = ("pass", "skip", "warn", "error", "fail")
#: Baseline marks from least to most urgent, for results of the same status.
_MARK_ORDER = ("fixed", "unchanged", "new")
_STATUSES = ("pass", "warn", "fail", "error", "skip")  # as a summary lists them


def read_report(path: str) -> dict[str, Any]:
    """The JSON report at ``path``, validated; a :class:`UsageError` saying why it is unusable.

    >>> read_report("/nonexistent/shard.json")
    Traceback (most recent call last):
    ...
    ikscheck.errors.UsageError: /nonexistent/shard.json: cannot read it: No such file or directory
    """
    return validated(path, reporting.read_report(path, path, "cannot merge it"))


def validated(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` if it holds to the report schema.

    >>> validated("a.json", {"schema_version": "1"})
    Traceback (most recent call last):
    ...
    ikscheck.errors.UsageError: a.json: not a valid report: $: 'tool' is a required property; $: 'mode' is a required property; $: 'evaluated_at' is a required property
    """  # noqa: E501
    found = problems(document, "report")
    if found:
        raise UsageError(f"{name}: not a valid report: {_one_line('; '.join(found))}")
    return document


def merge(
    inputs: Sequence[tuple[str, Mapping[str, Any]]],
    needs: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, Any]:
    """One report from the ``(name, document)`` pairs of validated reports (``name`` says
    which input in messages: the path given). See the module's rules. ``needs``: each check
    ID's prerequisites, for the order of the plan (default: the packaged checks')."""
    if not inputs:
        raise UsageError("nothing to merge: name at least one JSON report")
    _refuse_mixed(inputs)
    first = inputs[0][1]
    checks = _merged_checks(inputs)
    fail_on = str(first["fail_on"])
    healthy = verdict(checks, fail_on)
    merged: dict[str, Any] = dict(first)
    merged.update(
        tool={"name": "ikscheck", "version": __version__},
        evaluated_at=_latest(str(d["evaluated_at"]) for _, d in inputs),
        recorded_at=_latest(str(d["recorded_at"]) for _, d in inputs if d.get("recorded_at")),
        verdict="healthy" if healthy else "unhealthy",
        exit_code=0 if healthy else 1,
        clusters=list(dict.fromkeys(c for _, d in inputs for c in d["clusters"])),
        environment=_environment(inputs),
        summary={s: sum(1 for c in checks if c["status"] == s) for s in _STATUSES},
        baseline=_baseline(inputs, checks),
        checks=checks,
    )
    if any("plan" in d for _, d in inputs):
        merged["plan"] = _plan(checks, needs)
    return merged


def verdict(checks: Sequence[Mapping[str, Any]], fail_on: str) -> bool:
    """Whether results pass the gate ``fail_on``, as a run judges them: no fail or error (nor
    warn under ``warn``/``new-warn``); under ``new``/``new-warn``, none of them marked new.

    >>> verdict([{"status": "warn"}], "fail"), verdict([{"status": "warn"}], "warn")
    (True, False)
    >>> verdict([{"status": "fail", "baseline": "unchanged"}], "new")
    True
    """
    return passes(((c["status"], c.get("baseline", "")) for c in checks), fail_on)


def _refuse_mixed(inputs: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """A usage error unless every input was judged as the first was."""
    first_name, first = inputs[0]
    for name, document in inputs[1:]:
        for field in ("mode", "fail_on"):
            if document[field] != first[field]:
                raise UsageError(
                    f"{name}: {field} {document[field]!r}, but {first_name}: "
                    f"{first[field]!r}: merge reports of runs judged alike"
                )
        if (document.get("baseline") is None) != (first.get("baseline") is None):
            pair = (first_name, name)
            with_one, without = pair[::-1] if first.get("baseline") is None else pair
            raise UsageError(
                f"{with_one} was compared with a baseline and {without} was not: "
                "merge reports of runs judged alike"
            )


def _key(check: Mapping[str, Any]) -> str:
    return result_key(str(check["id"]), {str(k): str(v) for k, v in check["params"].items()})


def _rank(check: Mapping[str, Any]) -> tuple[int, int]:
    mark = check.get("baseline")
    return STATUS_ORDER.index(check["status"]), _MARK_ORDER.index(mark) if mark else -1


def _merged_checks(inputs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One result per key, the worst of the inputs', in the order a serial run gives."""
    chosen: dict[str, dict[str, Any]] = {}
    seen: dict[str, list[tuple[str, str]]] = {}  # key -> (status, input name), input order
    for name, document in inputs:
        for check in document["checks"]:
            key = _key(check)
            seen.setdefault(key, []).append((check["status"], name))
            if key not in chosen or _rank(check) > _rank(chosen[key]):
                chosen[key] = dict(check)
    for key, check in chosen.items():
        others = [f"{status} in {name}" for status, name in seen[key] if status != check["status"]]
        if others:
            said = ", ".join(dict.fromkeys(others))
            check["message"] = f"{check['message']} [merge: {said}]".lstrip()
    groups: dict[str, int] = {}
    for check in chosen.values():
        groups.setdefault(check["nodeid"].split("[", 1)[0], len(groups))
    order = sorted(chosen.values(), key=lambda c: groups[c["nodeid"].split("[", 1)[0]])
    return order


def _plan(
    checks: Sequence[Mapping[str, Any]], needs: Mapping[str, Iterable[str]] | None
) -> list[dict[str, Any]]:
    """The remediation plan of the merged results, as a run makes it from its own."""
    from ikscheck import plan

    if needs is None:
        from ikscheck.catalogue import collect

        needs = {meta.id: meta.needs for meta in collect()}
    return [step.to_json() for step in plan.build(checks, needs)]


def _environment(inputs: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The first input's tools, and every input's clusters (by name, first seen)."""
    clusters: dict[str, Any] = {}
    for _, document in inputs:
        for cluster in document["environment"]["clusters"]:
            clusters.setdefault(cluster["name"], cluster)
    return {**inputs[0][1]["environment"], "clusters": list(clusters.values())}


def _baseline(
    inputs: Sequence[tuple[str, Mapping[str, Any]]], checks: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """What the inputs were compared with, counted over the merged results; None without."""
    baselines = [d["baseline"] for _, d in inputs if d.get("baseline") is not None]
    if not baselines:
        return None
    counts = count(c.get("baseline", "") for c in checks)
    return {
        "path": ", ".join(dict.fromkeys(str(b["path"]) for b in baselines)),
        "evaluated_at": _latest((str(b["evaluated_at"]) for b in baselines), earliest=True),
        **counts,
    }


def _latest(instants: Iterable[str], earliest: bool = False) -> str | None:
    """The latest (or earliest) of ISO 8601 instants, as written; None when there are none.

    Offsets are compared as instants. Text that is no instant with an offset (a baseline's
    ``evaluated_at`` is whatever that report said) is picked only when nothing else is there.

    >>> _latest(["2026-11-28T22:00:00Z", "2026-11-28T22:45:00+01:00"])
    '2026-11-28T22:00:00Z'
    >>> _latest(["yesterday", "2026-11-28T22:00:00Z", "2026-11-28T21:00:00Z"], earliest=True)
    '2026-11-28T21:00:00Z'
    """
    texts = list(instants)
    moments = [(moment, text) for text in texts if (moment := _moment(text)) is not None]
    if not moments:
        return texts[0] if texts else None
    pick = min if earliest else max
    return pick(moments, key=lambda m: m[0])[1]


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
