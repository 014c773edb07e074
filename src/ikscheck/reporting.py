"""The JSON report (canonical, ``schemas/report.schema.json``), from one run's session.

The HTML reports render from the same document, so every report says the same thing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ikscheck import __version__
from ikscheck.errors import EvidenceError, ParseError, UsageError
from ikscheck.evidence import iso
from ikscheck.ibmcloud import PLUGIN_NAMES, json_type
from ikscheck.results import Result, Status

if TYPE_CHECKING:
    from ikscheck.session import Session
    from ikscheck.workstation import Workstation

SCHEMA_VERSION = "1"
T = TypeVar("T")


def read_report(path: str, where: str, unable: str) -> dict[str, Any]:
    """The JSON report at ``path``, an object of this schema version: what ``--baseline`` and
    ``merge`` read. A :class:`UsageError` otherwise, starting ``where`` and, for a report of
    another version, saying what this ikscheck is ``unable`` to do with it.

    >>> read_report("/nonexistent/r.json", "--baseline /nonexistent/r.json", "")
    Traceback (most recent call last):
    ...
    ikscheck.errors.UsageError: --baseline /nonexistent/r.json: cannot read it: No such file or directory
    """  # noqa: E501
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:  # JSON, or bytes that are not UTF-8
        raise UsageError(f"{where}: not a JSON report ({' '.join(str(exc).split())})") from None
    except RecursionError:
        raise UsageError(f"{where}: not a JSON report (nested too deeply to read)") from None
    if not isinstance(document, dict):
        kind = json_type(document)
        said = kind if kind == "null" else f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"
        raise UsageError(f"{where}: not an ikscheck JSON report ({said}, not an object)")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise UsageError(
            f"{where}: a report of schema version {version!r}; this ikscheck writes version "
            f"{SCHEMA_VERSION!r} and {unable}"
        )
    return document


def summary(results: Iterable[Result]) -> dict[str, int]:
    """Counts by status, every status present: ``{"pass": 7, "warn": 1, ...}``."""
    counts = {status.value: 0 for status in Status}
    for result in results:
        counts[result.status.value] += 1
    return counts


def build(session: Session) -> dict[str, Any]:
    """The report document of a run."""
    results = session.results
    workstation = session.workstation
    clusters = list(dict.fromkeys(r.params["cluster"] for r in results if "cluster" in r.params))
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ikscheck", "version": __version__},
        "mode": workstation.evidence.mode,
        "evaluated_at": iso(session.evaluated_at),
        "recorded_at": iso(session.replay.recorded_at) if session.replay is not None else None,
        "verdict": "healthy" if session.healthy else "unhealthy",
        "exit_code": 0 if session.healthy else 1,
        "fail_on": session.options.fail_on,
        "clusters": clusters or list(workstation.settings.clusters),
        "environment": environment(workstation),
        "summary": summary(results),
        "plan": [step.to_json() for step in session.plan()],
        "baseline": _baseline(session),
        "checks": [r.to_json() for r in results],
    }


def _baseline(session: Session) -> dict[str, Any] | None:
    """What the run was compared with, and how many results are new, unchanged, fixed."""
    if session.baseline is None:
        return None
    from ikscheck.baseline import count

    counts = count(r.baseline for r in session.results)
    return {
        "path": session.baseline.path,
        "evaluated_at": session.baseline.evaluated_at,
        **counts,
    }


def write_json(document: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(document), encoding="utf-8")
    return target


def dumps(document: dict[str, Any]) -> str:
    """The report as text: indented, but each result on one line of its own.

    One line a result reads and diffs well over thousands of them; and ``json`` indents only
    in its pure-Python encoder, where a fleet's results took most of the report's writing time.

    >>> print(dumps({"schema_version": "1", "checks": [{"id": "CLI-001"}, {"id": "CLI-002"}]}))
    {
      "schema_version": "1",
      "checks": [
        {"id": "CLI-001"},
        {"id": "CLI-002"}
      ]
    }
    <BLANKLINE>
    """
    head = {k: v for k, v in document.items() if k != "checks"}
    if "checks" not in document or not head:
        return json.dumps(document, indent=2) + "\n"
    rows = ",\n    ".join(json.dumps(check) for check in document["checks"])
    checks = f"[\n    {rows}\n  ]" if rows else "[]"
    return json.dumps(head, indent=2)[: -len("\n}")] + f',\n  "checks": {checks}\n}}\n'


def environment(workstation: Workstation) -> dict[str, Any]:
    """What was checked, with which tools: stable keys, None where a fact is unavailable."""
    plugins = []
    for name in PLUGIN_NAMES:
        found = _fact(lambda n=name: workstation.plugin(n))  # type: ignore[misc]
        plugins.append(
            {
                "name": name,
                "installed_as": found.name if found else None,
                "version": found.version_text if found else None,
            }
        )
    return {
        "ibmcloud": {
            "path": _fact(lambda: workstation.ibmcloud_path),
            "version": _fact(lambda: str(workstation.cli_version())),
        },
        "plugins": plugins,
        "kubectl": {
            "path": _fact(lambda: workstation.kubectl_path),
            "version": _fact(lambda: str(workstation.kubectl_client())),
        },
        "clusters": [
            {
                "name": cluster,
                "context": _fact(lambda c=cluster: workstation.context(c).name),  # type: ignore[misc]
                "server_version": _fact(lambda c=cluster: str(workstation.server_version(c))),  # type: ignore[misc]
            }
            for cluster in workstation.clusters()
        ],
    }


def _fact(get: Callable[[], T]) -> T | None:
    try:
        return get()
    except (EvidenceError, ParseError):
        return None
