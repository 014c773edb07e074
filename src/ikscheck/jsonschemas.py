"""The JSON Schemas shipped in ``ikscheck/schemas/`` and validation that names path and rule.

Every document ikscheck reads or writes (bundles, reports, IBM Cloud and Kubernetes API answers)
has a schema there; a failure is told as a person reads it:
``$.evidence[3].kind: 'files' is not one of [...]``. A ``$ref`` from one schema to another
(``.../defs.schema.json#/$defs/iks-date``) resolves through a registry of the shipped schemas,
keyed by ``$id``; nothing is ever fetched, and a ``$ref`` to any other URI raises.

Two validators: jsonschema-rs (compiled, about a hundred times faster) says whether a document
holds, and the Python ``jsonschema`` explains one that does not, or one the compiled validator
cannot read. A fleet's run validates hundreds of answers, nearly all of which hold.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any, NoReturn

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


def _refuse(uri: str) -> NoReturn:
    raise LookupError(f"{uri}: ikscheck reads only its own schemas and fetches none")


@functools.cache
def _compiled_registry() -> Any:
    import jsonschema_rs

    # The shipped schemas by $id, as for the Python validator; a $ref elsewhere is refused.
    return jsonschema_rs.Registry(
        [(schema(n)["$id"], schema(n)) for n in names()], retriever=_refuse
    )


def _compile(document: dict[str, Any]) -> Any:
    import jsonschema_rs

    # Offline: jsonschema-rs would otherwise fetch an unknown $ref over HTTP. Formats are
    # annotations in 2020-12, and the Python validator is given no format checker either.
    return jsonschema_rs.Draft202012Validator(
        document, registry=_compiled_registry(), validate_formats=False, offline=True
    )


@functools.cache
def _compiled(name: str) -> Any:
    return _compile(schema(name))


def _holds(document: object, name: str) -> bool:
    """Whether the compiled validator finds ``document`` valid; False when it cannot tell.

    A fast yes, never a verdict of its own: anything it does not pass (or cannot read: keys that
    are not strings, lone surrogates, bytes) goes to the Python validator, which decides and
    names the path and the rule. So only where both can hold does this one answer, and the
    tests hold it to never passing what the Python validator refuses.
    """
    try:
        return bool(_compiled(name).is_valid(document))
    except (ValueError, TypeError, OverflowError, RecursionError):
        return False


def violations(document: object, name: str, limit: int = 3) -> list[tuple[list[object], str]]:
    """How ``document`` breaks the schema ``name``: at most ``limit`` (path, line) pairs, in
    document order, each line naming the JSON path and the rule broken."""
    if _holds(document, name):  # most answers hold: a fleet's hundreds of them at Rust speed
        return []
    return _explained(document, name, limit)


def _explained(document: object, name: str, limit: int) -> list[tuple[list[object], str]]:
    """The Python validator's verdict, with paths and rules: what ``violations`` reports."""
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
