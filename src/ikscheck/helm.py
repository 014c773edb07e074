"""Parsers for what the Helm CLI (``helm version``) prints, and Helm's version-skew table.

Pure, like :mod:`ikscheck.ibmcloud`: callers run ``helm`` and hand the text in. The layouts:

- ``helm version --template '{{.Version}}'`` (Helm 3 and 4): ``v3.16.2``, without a newline;
- ``helm version --short``: ``v3.16.2+g13654a5``;
- ``helm version``: ``version.BuildInfo{Version:"v3.16.2", ...}`` (Helm 4 adds
  ``KubeClientVersion``);
- Helm 2: ``Client: &version.Version{SemVer:"v2.14.3", ...}`` (``--short``:
  ``Client: v2.14.3+g0e7f3b6``), then an error asking for Tiller unless ``-c``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ikscheck.ansi import printable, strip_ansi
from ikscheck.errors import ParseError
from ikscheck.versions import KubeVersion

__all__ = ["HelmVersion", "SkewRow", "parse_helm_version", "skew_row", "table_span"]

_SEMVER = r"v?(\d+)\.(\d+)\.(\d+)"
# version.BuildInfo{Version:"v3.16.2", ...} and Helm 2's Client: &version.Version{SemVer:"..."}
_BUILD_INFO = re.compile(r'^version\.BuildInfo\{.*?\bVersion:"' + _SEMVER)
_HELM2_STRUCT = re.compile(r'^Client:\s*&version\.Version\{.*?\bSemVer:"' + _SEMVER)
_HELM2_SHORT = re.compile(r"^Client:\s*" + _SEMVER + r"(?=$|[+\-\s])")
# A bare version, as --template and --short print it: only a build suffix may follow.
_BARE = re.compile(r"^" + _SEMVER + r"(?=$|[+\-\s])")


@dataclass(frozen=True, order=True)
class HelmVersion:
    """A helm release ``major.minor.patch``; orders numerically. ``text`` is as printed.

    >>> HelmVersion(3, 9, 0) < HelmVersion(3, 16, 2)
    True
    >>> HelmVersion(3, 16, 2, "v3.16.2+g13654a5").minor_str
    '3.16'
    """

    major: int
    minor: int
    patch: int
    text: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def minor_str(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def tiller(self) -> bool:
        """Helm 2: a client that needs Tiller in the cluster, unsupported since 2020."""
        return self.major < 3


def parse_helm_version(stdout: str) -> HelmVersion:
    """The helm version in what ``helm version`` printed, in any of its layouts.

    >>> parse_helm_version("v3.16.2")
    HelmVersion(major=3, minor=16, patch=2, text='v3.16.2')
    >>> str(parse_helm_version("v3.16.2+g13654a5\\n"))
    '3.16.2'
    >>> parse_helm_version('version.BuildInfo{Version:"v4.0.0", GitCommit:"99cd196"}').major
    4
    >>> parse_helm_version('Client: &version.Version{SemVer:"v2.14.3", GitCommit:""}').tiller
    True
    >>> parse_helm_version("Segmentation fault\\nmore")
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: helm printed no version: 'Segmentation fault'
    """
    lines = [line.strip() for line in strip_ansi(stdout).splitlines() if line.strip()]
    if not lines:
        raise ParseError("helm printed nothing")
    for line in lines:
        for pattern in (_BUILD_INFO, _HELM2_STRUCT, _HELM2_SHORT, _BARE):
            found = pattern.match(line)
            if found:
                major, minor, patch = (int(g) for g in found.groups())
                text = line if pattern is _BARE else found.group(0).split('"')[-1]
                if pattern is _HELM2_SHORT:
                    text = line.split(":", 1)[1].strip()
                return HelmVersion(major, minor, patch, text)
    raise ParseError(f"helm printed no version: {printable(lines[0])[:120]!r}")


@dataclass(frozen=True)
class SkewRow:
    """The row of Helm's version-skew table a helm is judged by."""

    helm: str  # the row's helm "major.minor"
    oldest: KubeVersion
    newest: KubeVersion
    newer_than_table: bool = False  # the helm is newer than every row: judged by the newest

    def supports(self, kube: KubeVersion) -> bool:
        """Whether the row supports ``kube``'s major.minor (the patch does not matter)."""
        minor = KubeVersion(kube.major, kube.minor)
        return self.oldest <= minor <= self.newest


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def skew_row(table: Mapping[str, tuple[str, str]], helm: HelmVersion) -> SkewRow | None:
    """The row of ``table`` (helm major.minor to the oldest and newest Kubernetes it
    supports) that ``helm`` is judged by: its own; for a helm newer than the table (than
    every row of its major, or a major with no rows), the newest such row; else None.

    >>> table = {"3.15": ("1.27", "1.30"), "3.16": ("1.28", "1.31")}
    >>> skew_row(table, HelmVersion(3, 16, 2)).newest
    KubeVersion(major=1, minor=31, patch=None, git_version='')
    >>> row = skew_row(table, HelmVersion(4, 0, 0))
    >>> row.helm, row.newer_than_table
    ('3.16', True)
    >>> skew_row(table, HelmVersion(3, 2, 0)) is None
    True
    """
    name = f"{helm.major}.{helm.minor}"
    newer = False
    if name not in table:
        rows = sorted(table, key=_minor)
        same_major = [row for row in rows if _minor(row)[0] == helm.major]
        candidates = same_major or rows
        if not candidates or (helm.major, helm.minor) < _minor(candidates[-1]):
            return None
        newest = candidates[-1]
        name, newer = newest, True
    oldest_kube, newest_kube = (KubeVersion(*_minor(v)) for v in table[name])
    return SkewRow(name, oldest_kube, newest_kube, newer)


def table_span(table: Mapping[str, tuple[str, str]]) -> str:
    """The oldest and newest helm rows of ``table``, to name in a message.

    >>> table_span({"3.10": ("1.22", "1.25"), "3.9": ("1.21", "1.24")})
    '3.9 to 3.10'
    """
    rows = sorted(table, key=_minor)
    return f"{rows[0]} to {rows[-1]}" if rows else "none"
