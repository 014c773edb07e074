"""Kubeconfig semantics as kubectl (client-go's ``clientcmd``) has them.

Pure functions over file contents that were already read: which files are listed, how they
parse, how several merge, which context belongs to an IKS cluster, and where the cluster CA is.
Reading the files is the evidence layer's job.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from ikscheck import yamldocs
from ikscheck.errors import ParseError

__all__ = [
    "Cluster",
    "Context",
    "Kubeconfig",
    "KubeconfigFile",
    "User",
    "ca_pem",
    "decode_ca_data",
    "find_context",
    "kubeconfig_paths",
    "merge",
    "parse_file",
    "resolve_path",
    "yaml_type",
]

Kind = Literal["cluster", "context", "user"]


@dataclass(frozen=True)
class KubeconfigFile:
    """One listed kubeconfig file and its contents; ``text`` is None when missing/unreadable."""

    path: str
    text: str | None


@dataclass(frozen=True)
class Cluster:
    """A ``clusters[]`` entry; ``certificate_authority`` is already resolved against ``source``."""

    name: str
    server: str
    certificate_authority: str | None
    certificate_authority_data: bytes | None
    insecure_skip_tls_verify: bool
    source: str


@dataclass(frozen=True)
class User:
    """A ``users[]`` entry; ``auth`` is the raw ``user`` mapping (paths in it are unresolved)."""

    name: str
    auth: Mapping[str, object]
    source: str


@dataclass(frozen=True)
class Context:
    """A ``contexts[]`` entry; empty strings where the file sets nothing."""

    name: str
    cluster: str
    user: str
    namespace: str
    source: str


@dataclass(frozen=True)
class Kubeconfig:
    """The merged view kubectl would use.

    ``files`` are the files that were read, in order (missing ones are left out).
    ``shadowed`` lists ``(kind, name, path)`` for each entry that lost to an earlier file.
    ``current_context_source`` is the file that set ``current_context`` ("" when none did).
    """

    files: tuple[str, ...]
    clusters: Mapping[str, Cluster]
    users: Mapping[str, User]
    contexts: Mapping[str, Context]
    current_context: str
    shadowed: tuple[tuple[str, str, str], ...]
    current_context_source: str = ""


def kubeconfig_paths(option: str | None, env_kubeconfig: str | None, home: str) -> list[str]:
    """The kubeconfig files kubectl would load, in precedence order.

    ``--kubeconfig`` if given, else ``$KUBECONFIG``, else ``<home>/.kube/config``; the first two
    are ``:``-separated lists. Empty entries and later duplicates are dropped. As in kubectl an
    empty value counts as unset, but a value made only of separators (``":"``) lists no file
    and does not fall back to the default.

    >>> kubeconfig_paths(None, "/a:/b::/a", "/home/jane")
    ['/a', '/b']
    >>> kubeconfig_paths(None, None, "/home/jane")
    ['/home/jane/.kube/config']
    """
    if option:
        listed = option
    elif env_kubeconfig:
        listed = env_kubeconfig
    else:
        return [posixpath.join(home, ".kube", "config")]
    paths: list[str] = []
    for entry in listed.split(":"):
        if entry and entry not in paths:
            paths.append(entry)
    return paths


def parse_file(path: str, text: str) -> Mapping[str, object]:
    """Parse one kubeconfig file's text into its top-level mapping.

    An empty file is an empty mapping (kubectl accepts it). Raises ParseError
    ``"<path>: line L, column C: <problem>"`` (1-based) for YAML errors, and when the top level
    is not a mapping.

    >>> parse_file("c.yml", "current-context: a\\n")
    {'current-context': 'a'}
    >>> parse_file("c.yml", "a: [1\\n")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: c.yml: line 2, column 1: while parsing a flow sequence, ...
    """
    doc = yamldocs.load(path, text).data
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ParseError(f"{path}: top level is a {yaml_type(doc)}, not a mapping")
    return doc


def yaml_type(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def resolve_path(source: str, path: str) -> str:
    """Resolve a path written in the kubeconfig file ``source`` as kubectl does.

    Relative paths are relative to the directory of the file that holds them, not to the
    working directory; absolute and empty paths are returned unchanged. The result is absolute
    when ``source`` is.

    >>> resolve_path("/home/jane/.bluemix/clusters/c/kube.yml", "ca.pem")
    '/home/jane/.bluemix/clusters/c/ca.pem'
    """
    if not path or posixpath.isabs(path):
        return path
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), path))


def _text(body: Mapping[str, object], key: str) -> str | None:
    """A string field: "" when absent or null, None when of the wrong type."""
    value = body.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def decode_ca_data(value: str, name: str, source: str) -> bytes | None:
    if not value:
        return None
    # Go's base64 decoder (how kubectl reads []byte fields) skips CR and LF but nothing else,
    # and requires padding.
    cleaned = value.replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(
            f"{source}: cluster {name!r}: certificate-authority-data is not base64: {exc}"
        ) from None


def _cluster(name: str, body: Mapping[str, object], source: str) -> Cluster | None:
    server = _text(body, "server")
    ca = _text(body, "certificate-authority")
    ca_data = _text(body, "certificate-authority-data")
    insecure = body.get("insecure-skip-tls-verify", False)
    if server is None or ca is None or ca_data is None or not isinstance(insecure, bool):
        return None
    return Cluster(
        name=name,
        server=server,
        certificate_authority=resolve_path(source, ca) or None,
        certificate_authority_data=decode_ca_data(ca_data, name, source),
        insecure_skip_tls_verify=insecure,
        source=source,
    )


def _context(name: str, body: Mapping[str, object], source: str) -> Context | None:
    cluster = _text(body, "cluster")
    user = _text(body, "user")
    namespace = _text(body, "namespace")
    if cluster is None or user is None or namespace is None:
        return None
    return Context(name=name, cluster=cluster, user=user, namespace=namespace, source=source)


def _user(name: str, body: Mapping[str, object], source: str) -> User:
    return User(name=name, auth=MappingProxyType(dict(body)), source=source)


def _entries(
    doc: Mapping[str, object], section: str, kind: Kind, path: str
) -> list[tuple[str, Mapping[str, object]]]:
    """``(name, body)`` of the well-formed entries of one named list, in file order."""
    raw = doc.get(section)
    if not isinstance(raw, list):
        return []
    entries: list[tuple[str, Mapping[str, object]]] = []
    names: set[str] = set()
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name in names:
            # client-go refuses to load such a file ("duplicate name ... in list"), so
            # kubectl fails outright rather than picking one.
            raise ParseError(f"{path}: duplicate {kind} name {name!r} in {section}")
        names.add(name)
        body = item.get(kind)
        if body is None:
            body = {}
        if isinstance(body, Mapping):
            entries.append((name, body))
    return entries


def merge(files: Sequence[KubeconfigFile]) -> Kubeconfig:
    """Merge kubeconfig files as kubectl does.

    For clusters, contexts and users the first file that defines a name wins, and each losing
    entry is recorded in ``shadowed``; ``current-context`` is the first non-empty one. Files
    whose text is None (missing) are skipped; entries without a name or of the wrong type are
    skipped (the schema check reports them). Raises ParseError for a file that does not parse,
    that names an entry twice, or whose ``certificate-authority-data`` is not base64 (kubectl
    refuses to load each of those).

    >>> a = KubeconfigFile("/a", "contexts: [{name: c, context: {cluster: x}}]")
    >>> b = KubeconfigFile("/b", "contexts: [{name: c, context: {cluster: z}}]")
    >>> config = merge([a, KubeconfigFile("/gone", None), b])
    >>> (config.contexts["c"].cluster, config.shadowed)
    ('x', (('context', 'c', '/b'),))
    """
    read: list[str] = []
    clusters: dict[str, Cluster] = {}
    contexts: dict[str, Context] = {}
    users: dict[str, User] = {}
    current = current_source = ""
    shadowed: list[tuple[str, str, str]] = []

    for file in files:
        if file.text is None:
            continue
        doc = parse_file(file.path, file.text)
        read.append(file.path)
        value = doc.get("current-context")
        if not current and isinstance(value, str) and value:
            current, current_source = value, file.path

        for name, body in _entries(doc, "clusters", "cluster", file.path):
            cluster = _cluster(name, body, file.path)
            if cluster is None:
                continue
            if name in clusters:
                shadowed.append(("cluster", name, file.path))
            else:
                clusters[name] = cluster
        for name, body in _entries(doc, "contexts", "context", file.path):
            context = _context(name, body, file.path)
            if context is None:
                continue
            if name in contexts:
                shadowed.append(("context", name, file.path))
            else:
                contexts[name] = context
        for name, body in _entries(doc, "users", "user", file.path):
            if name in users:
                shadowed.append(("user", name, file.path))
            else:
                users[name] = _user(name, body, file.path)

    return Kubeconfig(
        files=tuple(read),
        clusters=MappingProxyType(clusters),
        users=MappingProxyType(users),
        contexts=MappingProxyType(contexts),
        current_context=current,
        shadowed=tuple(shadowed),
        current_context_source=current_source,
    )


def _names_cluster(query: str, name: str) -> bool:
    """Whether ``query`` is an IKS-style ``<name>``, ``<name>/<id>``, ``<name>/<id>/admin``'s."""
    if not name:
        return False
    if query == name:
        return True
    segments = name.split("/")
    return query == segments[0] or (len(segments) > 1 and query == segments[1])


def _iks_names(name: str) -> set[str]:
    """What a context or cluster entry named ``name`` answers to (see :func:`_names_cluster`)."""
    if not name:
        return set()
    segments = name.split("/")
    return {name, segments[0], *segments[1:2]}


def index_contexts(config: Kubeconfig) -> dict[str, list[str]]:
    """Every name a cluster may be asked by, with the contexts that answer to it, in name
    order: :func:`find_context` for many clusters without scanning every context for each.

    >>> ctx = Context("mycluster/bq8r2k1d", "mycluster/bq8r2k1d", "u", "", "/k")
    >>> index = index_contexts(Kubeconfig(("/k",), {}, {}, {ctx.name: ctx}, "", ()))
    >>> index["mycluster"], index["bq8r2k1d"]
    (['mycluster/bq8r2k1d'], ['mycluster/bq8r2k1d'])
    """
    index: dict[str, list[str]] = {}
    for name in sorted(config.contexts):
        context = config.contexts[name]
        for key in _iks_names(context.name) | _iks_names(context.cluster):
            index.setdefault(key, []).append(name)
    return index


def find_context(
    config: Kubeconfig, cluster: str | None, index: Mapping[str, list[str]] | None = None
) -> Context | None:
    """The context for the IKS cluster ``cluster`` (a name, an id or ``<name>/<id>``).

    A context matches when ``cluster`` equals its name, the name's first ``/``-segment (the
    cluster name) or second segment (the cluster id), or the same holds for the name of the
    cluster entry it refers to. The current context wins when it matches; otherwise the first
    match in name order. With ``cluster`` None or empty, the current context (or None).
    ``index`` (:func:`index_contexts` of ``config``) finds it without a scan.

    >>> ctx = Context("mycluster/bq8r2k1d/admin", "mycluster/bq8r2k1d", "admin", "", "/k")
    >>> config = Kubeconfig(("/k",), {}, {}, {ctx.name: ctx}, "", ())
    >>> find_context(config, "bq8r2k1d") == ctx
    True
    """
    if not cluster:
        return config.contexts.get(config.current_context) if config.current_context else None

    def matches(context: Context) -> bool:
        return _names_cluster(cluster, context.name) or _names_cluster(cluster, context.cluster)

    current = config.contexts.get(config.current_context)
    if current is not None and matches(current):
        return current
    if index is not None:  # given by a caller that asks for many clusters
        found = index.get(cluster)
        return config.contexts[found[0]] if found else None
    for name in sorted(config.contexts):
        if matches(config.contexts[name]):
            return config.contexts[name]
    return None


def ca_pem(cluster: Cluster, read: Callable[[str], bytes]) -> bytes | None:
    """The cluster's CA bytes: ``certificate-authority-data`` if set, else ``read(path)``.

    None when the cluster names neither (then the system trust store would apply). Errors from
    ``read`` propagate: a CA file that cannot be read is the caller's finding to report.

    >>> c = Cluster("c", "https://h:1", "/ca.pem", None, False, "/k")
    >>> ca_pem(c, lambda path: path.encode())
    b'/ca.pem'
    """
    if cluster.certificate_authority_data is not None:
        return cluster.certificate_authority_data
    if cluster.certificate_authority:
        return read(cluster.certificate_authority)
    return None
