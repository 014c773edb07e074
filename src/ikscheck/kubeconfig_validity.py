"""One kubeconfig file judged as kubectl judges it: what would make kubectl refuse it.

YAML errors, a top level that is not a mapping, breaches of ``schemas/kubeconfig.schema.json``
and what a schema cannot say (a name twice in one list, CA data that is not base64), each with
the file, line and column. KCFG-002 reports them; merging (:mod:`ikscheck.kubeconfig`) is
lenient and skips what this refuses.
"""

from __future__ import annotations

from collections.abc import Mapping

from ikscheck import jsonschemas, yamldocs
from ikscheck.errors import ParseError
from ikscheck.kubeconfig import decode_ca_data, yaml_type

__all__ = ["file_problems"]


def file_problems(path: str, text: str, limit: int = 3) -> list[str]:
    """What kubectl would refuse in one kubeconfig file: YAML errors, a top level that is not
    a mapping, and breaches of ``schemas/kubeconfig.schema.json``, each with file, line and
    column. Empty when the file is valid.

    >>> file_problems("/k", "clusters:\\n- name: a\\n  cluster: {server: 5}\\n")
    ["/k: line 3, column 21: $.clusters[0].cluster.server: 5 is not of type 'string', 'null'"]
    """
    try:
        document = yamldocs.load(path, text)
    except ParseError as exc:
        return [str(exc)]
    if document.data is None:
        return []  # an empty file: kubectl reads it as an empty config
    if not isinstance(document.data, dict):
        return [f"{path}: top level is a {yaml_type(document.data)}, not a mapping"]
    try:
        breaches = jsonschemas.violations(document.data, "kubeconfig", limit)
    except RecursionError:  # a value nested deeper than the validator (or a repr of it) goes
        return [f"{path}: nested too deeply to check"]
    found = []
    for where, line in breaches:
        at = yamldocs.position(document, where)
        found.append(f"{path}: {at}: {line}" if at else f"{path}: {line}")
    for where, line in _refusals(document.data):
        at = yamldocs.position(document, where)
        found.append(f"{path}: {at}: {line}" if at else f"{path}: {line}")
    return found[:limit]


def _refusals(doc: Mapping[str, object]) -> list[tuple[list[object], str]]:
    """What kubectl refuses that a schema cannot say: a name twice in one list, CA data that
    is not base64."""
    found: list[tuple[list[object], str]] = []
    for section, inner in (("clusters", "cluster"), ("contexts", "context"), ("users", "user")):
        items = doc.get(section)
        seen: set[str] = set()
        for index, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, Mapping):
                continue
            name = item.get("name")
            if isinstance(name, str) and name in seen:
                found.append(
                    (
                        [section, index, "name"],
                        f"$.{section}[{index}].name: {name!r} is "
                        f"the name of an earlier {inner} in this file (kubectl refuses it)",
                    )
                )
            if isinstance(name, str):  # a name of another type is the schema's finding
                seen.add(name)
            body = item.get(inner)
            data = body.get("certificate-authority-data") if isinstance(body, Mapping) else None
            if section == "clusters" and isinstance(data, str) and data:
                try:
                    decode_ca_data(data, str(name), "")
                except ParseError:
                    where = [section, index, inner, "certificate-authority-data"]
                    found.append(
                        (
                            where,
                            f"$.{section}[{index}].{inner}.certificate-authority-data"
                            ": not base64 (kubectl refuses it)",
                        )
                    )
    return found
