"""The JSON report (canonical, ``schemas/report.schema.json``) and the environment table."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from ikscheck import __version__
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import iso
from ikscheck.ibmcloud import find_plugin
from ikscheck.policy import CR_PLUGIN, KS_PLUGIN
from ikscheck.results import STATUSES, Result
from ikscheck.workstation import Workstation

SCHEMA_VERSION = "1"


def summary(results: Iterable[Result]) -> dict[str, int]:
    """Counts by status, every status present: ``{"pass": 7, "warn": 1, ...}``."""
    counts = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result.status.value] += 1
    return counts


def build(
    results: list[Result],
    workstation: Workstation,
    evaluated_at: datetime,
    environment: dict[str, str],
) -> dict[str, Any]:
    """The report document for ``results``."""
    clusters = sorted({r.params["cluster"] for r in results if "cluster" in r.params})
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "ikscheck", "version": __version__},
        "mode": workstation.evidence.mode,
        "evaluated_at": iso(evaluated_at),
        "clusters": clusters or list(workstation.settings.clusters),
        "environment": environment,
        "summary": summary(results),
        "checks": [r.to_json() for r in results],
    }


def write_json(document: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target


def environment(workstation: Workstation, evaluated_at: datetime) -> dict[str, str]:
    """The HTML report's environment table: what was checked, with which tools. No secrets."""
    table = {
        "ikscheck": __version__,
        "Mode": workstation.evidence.mode,
        "Evaluated at": iso(evaluated_at),
        "Clusters": ", ".join(c or "(current context)" for c in workstation.clusters()),
        "IBM Cloud CLI": _fact(lambda: str(workstation.cli_version())),
    }
    for name in (KS_PLUGIN, CR_PLUGIN):
        table[f"Plug-in {name}"] = _fact(lambda n=name: _plugin_version(workstation, n))
    table["kubectl"] = _fact(lambda: str(workstation.kubectl_client()))
    return table


def _plugin_version(workstation: Workstation, name: str) -> str:
    names = (name, "container-service") if name == KS_PLUGIN else (name,)
    plugin = find_plugin(workstation.plugin_list.plugins, *names)
    return plugin.version_text if plugin else "not installed"


def _fact(get: Any) -> str:
    try:
        return str(get())
    except (EvidenceError, ParseError):
        return "unavailable"
