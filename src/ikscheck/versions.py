"""Kubernetes versions: parsing what servers, kubectl and IKS report, and client/server skew.

Versions are compared as integers, never as strings: ``"1.9" > "1.10"`` as strings, and real
values carry suffixes (``"7+"``, ``"v1.31.4+IKS"``, ``"v1.32.4-dispatcher"``, ``"1.31.4_1530"``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ikscheck.errors import ParseError
from ikscheck.results import Status

__all__ = [
    "KubeVersion",
    "Skew",
    "parse_kubectl_version",
    "parse_version_info",
    "parse_version_text",
    "skew",
]


# gitVersion is a semantic version with a "v"; builds append anything after the patch
# ("+IKS", "-dispatcher", "-gke.502", "-2+eb9172c211dc41").
_GIT_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")

# A version as text. After the numbers, only a separator may follow, so that "1.31x" or
# "1.31.4.5" are not silently read as 1.31: "+IKS", "-gke.1", "_1530", "_openshift", " (...)".
_TEXT_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?=$|[+\-_\s])")

# "Client Version: ..." / "Server Version: ..." / "Kustomize Version: ..."
_LABELLED = re.compile(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$")

# The Go-struct form printed by kubectl before 1.28 without -o:
# Client Version: version.Info{Major:"1", Minor:"20", GitVersion:"v1.20.2", ...}
_GO_STRUCT_FIELD = re.compile(r'(\w+):"([^"]*)"')

_SNIPPET = 120


@dataclass(frozen=True, order=True)
class KubeVersion:
    """A Kubernetes ``major.minor[.patch]`` version; orders numerically.

    ``git_version`` keeps the text as reported and takes no part in equality or ordering.

    >>> KubeVersion(1, 9) < KubeVersion(1, 10)
    True
    >>> str(KubeVersion(1, 31, 4, git_version="v1.31.4+IKS"))
    '1.31.4'
    """

    major: int
    minor: int
    patch: int | None = None
    git_version: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.patch is None:
            return self.minor_str
        return f"{self.minor_str}.{self.patch}"

    @property
    def minor_str(self) -> str:
        """``"<major>.<minor>"``, e.g. ``"1.31"``: what the kubectl download is chosen by."""
        return f"{self.major}.{self.minor}"


def _int_field(value: object) -> int | None:
    """An integer from a version.Info ``major``/``minor`` value ("1", "7+", 31), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str):
        # Vendor builds mark a minor with local patches by a trailing "+" ("7+", "32+").
        text = value.strip().rstrip("+")
        if text.isascii() and text.isdigit():
            return int(text)
    return None


_MASTER_KUBE_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)_\d+(_openshift)?")


def parse_master_kube_version(text: str) -> KubeVersion:
    """The version in an IKS ``masterKubeVersion`` (``<major>.<minor>.<patch>_<build>``, with
    ``_openshift`` for OpenShift clusters, whose numbers are OpenShift's).

    >>> parse_master_kube_version("1.31.4_1530").minor_str
    '1.31'
    >>> str(parse_master_kube_version("4.16.30_1544_openshift"))
    '4.16.30'
    """
    found = _MASTER_KUBE_VERSION.fullmatch(text.strip())
    if found is None:
        raise ParseError(
            f"masterKubeVersion {_snippet(text)} is not <major>.<minor>.<patch>_<build>"
        )
    major, minor, patch = (int(found.group(n)) for n in (1, 2, 3))
    return KubeVersion(major, minor, patch, git_version=text)


def _snippet(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def parse_version_info(doc: Mapping[str, object]) -> KubeVersion:
    """Parse a Kubernetes ``version.Info`` object.

    That is the body of ``GET /version``, or ``clientVersion`` / ``serverVersion`` of
    ``kubectl version -o json``. Major and minor come from ``gitVersion`` when it starts with
    ``v<major>.<minor>.<patch>`` (the ``major``/``minor`` fields are free-form, ``"7+"``),
    else from the ``major``/``minor`` fields; the patch only ever comes from ``gitVersion``.

    >>> v = parse_version_info({"major": "1", "minor": "7+", "gitVersion": "v1.7.4-2+eb9172c"})
    >>> (v.major, v.minor, v.patch, v.git_version)
    (1, 7, 4, 'v1.7.4-2+eb9172c')

    Raises ParseError, naming the values seen, when neither source yields integers.
    """
    if not isinstance(doc, Mapping):
        raise ParseError(f"version info is not an object: {type(doc).__name__}")
    raw_git = doc.get("gitVersion")
    git_version = raw_git.strip() if isinstance(raw_git, str) else ""
    match = _GIT_VERSION.match(git_version)
    if match:
        major, minor, patch = (int(g) for g in match.groups())
        return KubeVersion(major, minor, patch, git_version=git_version)
    major_f = _int_field(doc.get("major"))
    minor_f = _int_field(doc.get("minor"))
    if major_f is None or minor_f is None:
        raise ParseError(
            "no Kubernetes version in version info: "
            f"gitVersion={raw_git!r}, major={doc.get('major')!r}, minor={doc.get('minor')!r}"
        )
    return KubeVersion(major_f, minor_f, None, git_version=git_version)


def _go_struct_info(text: str) -> dict[str, object]:
    """``version.Info{Major:"1", GitVersion:"v1.20.2"}`` -> ``{"major": "1", ...}`` (JSON keys)."""
    return {key[:1].lower() + key[1:]: value for key, value in _GO_STRUCT_FIELD.findall(text)}


def parse_version_text(text: str) -> KubeVersion:
    """Parse a version written as text.

    Accepts ``"v1.13.8"``, ``"v1.13.8+IKS"``, ``"1.31"``, IKS's ``masterKubeVersion``
    (``"1.31.4_1530"``, ``"4.16.30_openshift"``), a labelled line (``"Client Version: v1.13.8"``)
    and kubectl's pre-1.28 Go-struct form (``"Client Version: version.Info{Major:"1", ...}"``).
    ``git_version`` is the version token as written.

    >>> parse_version_text("1.31.4_1530")
    KubeVersion(major=1, minor=31, patch=4, git_version='1.31.4_1530')
    >>> str(parse_version_text("Server Version: v1.13.8+IKS"))
    '1.13.8'
    """
    body = text.strip()
    labelled = _LABELLED.match(body)
    if labelled:
        body = labelled.group(2)
    if body.startswith("version.Info{"):
        try:
            return parse_version_info(_go_struct_info(body))
        except ParseError as exc:
            raise ParseError(f"no Kubernetes version in {_snippet(text)!r}: {exc}") from None
    match = _TEXT_VERSION.match(body)
    if not match:
        raise ParseError(f"not a Kubernetes version: {_snippet(text)!r}")
    major, minor, patch = match.groups()
    token = body.split(None, 1)[0]
    return KubeVersion(
        int(major), int(minor), None if patch is None else int(patch), git_version=token
    )


def _find_json_object(stdout: str) -> tuple[dict[str, object] | None, str]:
    """The first JSON object starting on its own line, and why none was found if so.

    kubectl prints skew and deprecation warnings on stdout too, before or after the JSON, so
    the output as a whole is not JSON.
    """
    decoder = json.JSONDecoder()
    offset = 0
    error = ""
    for line in stdout.splitlines(keepends=True):
        start = offset + (len(line) - len(line.lstrip()))
        offset += len(line)
        if not line.lstrip().startswith("{"):
            continue
        try:
            value, _ = decoder.raw_decode(stdout, start)
        except json.JSONDecodeError as exc:
            error = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            continue
        except RecursionError:
            error = "JSON nested too deeply to read"
            continue
        if isinstance(value, dict):
            return value, ""
    return None, error


def _from_json(doc: Mapping[str, object]) -> tuple[KubeVersion, KubeVersion | None]:
    client_doc = doc.get("clientVersion")
    if not isinstance(client_doc, Mapping):
        raise ParseError(f"kubectl version JSON has no clientVersion object (keys: {sorted(doc)})")
    client = parse_version_info(client_doc)
    server_doc = doc.get("serverVersion")
    if server_doc is None:
        return client, None
    if not isinstance(server_doc, Mapping):
        raise ParseError(f"kubectl version JSON: serverVersion is {type(server_doc).__name__}")
    return client, parse_version_info(server_doc)


def parse_kubectl_version(stdout: str) -> tuple[KubeVersion, KubeVersion | None]:
    """``(client, server)`` from the stdout of ``kubectl version``; server None if absent.

    Reads ``-o json`` output (with or without ``serverVersion``; warning lines before or after
    the JSON are ignored), and the text forms: ``--short`` / 1.28+ default
    (``Client Version: v1.13.8``) and the pre-1.28 ``Client Version: version.Info{...}``.

    >>> out = "Client Version: v1.13.8\\nServer Version: v1.13.8+IKS"
    >>> client, server = parse_kubectl_version(out)
    >>> (str(client), server.git_version)
    ('1.13.8', 'v1.13.8+IKS')

    Raises ParseError when no client version can be found.
    """
    doc, json_error = _find_json_object(stdout)
    if doc is not None:
        return _from_json(doc)

    found: dict[str, KubeVersion] = {}
    for line in stdout.splitlines():
        labelled = _LABELLED.match(line)
        if not labelled:
            continue
        label = labelled.group(1).lower()
        if label in ("client version", "server version") and label not in found:
            found[label] = parse_version_text(labelled.group(2))
    client = found.get("client version")
    if client is None:
        why = f" ({json_error})" if json_error else ""
        raise ParseError(f"no client version in kubectl version output{why}: {_snippet(stdout)!r}")
    return client, found.get("server version")


@dataclass(frozen=True)
class Skew:
    """Client/server version skew under the Kubernetes version skew policy.

    >>> s = skew(KubeVersion(1, 33), KubeVersion(1, 31))
    >>> (s.minors, s.verdict().value)
    (2, 'fail')
    """

    client: KubeVersion
    server: KubeVersion

    @property
    def same_major(self) -> bool:
        """Whether client and server share the major version."""
        return self.client.major == self.server.major

    @property
    def minors(self) -> int:
        """Signed minor difference, client minus server (meaningful only with ``same_major``)."""
        return self.client.minor - self.server.minor

    def verdict(self, max_skew: int = 1) -> Status:
        """``pass`` when major.minor match, ``warn`` within ``max_skew`` minors, else ``fail``.

        A skew of one is within policy but still a ``warn``: the setup guide asks for a
        matching major.minor. A different major always fails.
        """
        if max_skew < 0:
            raise ValueError(f"max_skew must be >= 0, got {max_skew}")
        if not self.same_major:
            return Status.FAIL
        if self.minors == 0:
            return Status.PASS
        if abs(self.minors) <= max_skew:
            return Status.WARN
        return Status.FAIL


def skew(client: KubeVersion, server: KubeVersion) -> Skew:
    """The skew of ``client`` (kubectl) against ``server`` (the cluster's ``/version``)."""
    return Skew(client, server)
