"""The JSON Schemas shipped in ``ikscheck/schemas/`` and validation that names path and rule.

Every document ikscheck reads or writes (bundles, reports, IBM Cloud and Kubernetes API answers)
has a schema there; a failure is told as a person reads it:
``$.evidence[3].kind: 'files' is not one of [...]``. A ``$ref`` from one schema to another
(``.../defs.schema.json#/$defs/iks-date``) resolves through a registry of the shipped schemas,
keyed by ``$id``; nothing is ever fetched, and a ``$ref`` to any other URI raises.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from referencing import Registry

__all__ = ["names", "problems", "schema", "violations"]

_SUFFIX = ".schema.json"


@functools.cache
def names() -> tuple[str, ...]:
    """The names of the shipped schemas, sorted (``"bundle"`` for ``bundle.schema.json``).

    >>> {"bundle", "defs", "iks-cluster"} <= set(names())
    True
    """
    folder = resources.files("ikscheck").joinpath("schemas")
    return tuple(
        sorted(f.name.removesuffix(_SUFFIX) for f in folder.iterdir() if f.name.endswith(_SUFFIX))
    )


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (``"bundle"`` for ``schemas/bundle.schema.json``)."""
    text = resources.files("ikscheck").joinpath("schemas", f"{name}{_SUFFIX}").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    # Every shipped schema under its $id, and no `retrieve`: an unknown URI raises, offline.
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    shipped = [(schema(n)["$id"], DRAFT202012.create_resource(schema(n))) for n in names()]
    registry: Registry[Any] = Registry().with_resources(shipped)
    return registry.crawl()


@functools.cache
def _validator(name: str) -> Any:
    # Imported on first use: most runs validate nothing, and jsonschema is slow to import.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), registry=_registry())


def violations(document: object, name: str, limit: int = 3) -> list[tuple[list[object], str]]:
    """How ``document`` breaks the schema ``name``: at most ``limit`` (path, line) pairs, in
    document order, each line naming the JSON path and the rule broken."""
    try:
        errors = sorted(
            _validator(name).iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
        )
    except RecursionError:  # a document nested past Python's stack: no schema allows it
        return [([], "$: nested too deeply to validate")]
    return [(list(e.absolute_path), f"{e.json_path}: {_rule(e)}") for e in errors[:limit]]


def problems(document: object, name: str, limit: int = 3) -> list[str]:
    """How ``document`` breaks the schema ``name``, at most ``limit`` lines (empty: it holds).

    >>> problems({"schema_version": "1"}, "bundle")[0]
    "$: 'tool' is a required property"
    """
    return [line for _, line in violations(document, name, limit)]


def _rule(error: Any) -> str:
    message: str = error.message
    return message if len(message) <= 200 else message[:200] + "..."
