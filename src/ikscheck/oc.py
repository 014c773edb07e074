"""Parsers for what the OpenShift CLI (``oc version``) prints, and OpenShift's oc downloads.

Pure, like :mod:`ikscheck.helm`: callers run ``oc`` and hand the text in. The layouts:

- ``oc version --client -o json`` (oc 4.x): ``releaseClientVersion`` is the OpenShift release
  (``4.16.0``); ``clientVersion.gitVersion`` the build (``4.16.0-202406131906.p0.gd1ac0a9...``,
  some builds ``v4.16.0-...``); ``clientVersion.major``/``minor`` are empty since oc 4.12;
- ``oc version`` text (oc 4.x): ``Client Version: 4.16.0``; oc 4.1 to 4.4 printed a Go struct,
  ``Client Version: version.Info{Major:"4", Minor:"1+", GitVersion:"v4.1.0+b4261e0", ...}``;
- ``oc version`` of 3.11 (no ``-o json``): ``oc v3.11.0+0cbc58b``, then ``kubernetes v1.11.0+...``
  and ``features: ...`` lines. Remembered, not confirmed: ``oc v3.11.394`` and a missing ``v``
  are accepted too.

Every parsed version says which layout it was read from (:attr:`OcVersion.layout`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ikscheck.ansi import printable, strip_ansi
from ikscheck.errors import ParseError

__all__ = ["OcVersion", "download_url", "parse_oc_version"]

# A release, then only a build suffix: "4.16.0", "v4.16.0-2024...", "v3.11.0+0cbc58b".
_RELEASE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?=$|[+\-\s])")
_CLIENT_LINE = re.compile(r"^Client Version:\s*(.*?)\s*$")
_GO_GIT_VERSION = re.compile(r'\bGitVersion:"([^"]*)"')
_OC3_LINE = re.compile(r"^oc\s+(v?\d+\.\d+(?:\.\d+)?\S*)")


@dataclass(frozen=True, order=True)
class OcVersion:
    """An oc release ``major.minor[.patch]``; orders numerically. ``text`` is as printed,
    ``layout`` the output it was read from.

    >>> OcVersion(4, 9) < OcVersion(4, 16)
    True
    >>> OcVersion(4, 16, 0, "4.16.0", "releaseClientVersion").minor_str
    '4.16'
    """

    major: int
    minor: int
    patch: int | None = None
    text: str = field(default="", compare=False)
    layout: str = field(default="", compare=False)

    @property
    def minor_str(self) -> str:
        return f"{self.major}.{self.minor}"


def _release(text: str, layout: str) -> OcVersion | None:
    """``text`` as a release, or None (not one, or a development build's ``v0.0.0``)."""
    found = _RELEASE.match(text.strip())
    if found is None:
        return None
    major, minor = int(found.group(1)), int(found.group(2))
    if (major, minor) == (0, 0):
        return None
    patch = int(found.group(3)) if found.group(3) is not None else None
    return OcVersion(major, minor, patch, text.strip(), layout)


def _from_json(doc: dict[str, Any]) -> OcVersion | None:
    client = doc.get("clientVersion")
    client = client if isinstance(client, dict) else {}
    candidates = [
        (doc.get("releaseClientVersion"), "releaseClientVersion"),
        (client.get("gitVersion"), "clientVersion.gitVersion"),
    ]
    for value, layout in candidates:
        if isinstance(value, str) and value.strip():
            found = _release(value, f"JSON {layout}")
            if found is not None:
                return found
    return None


def _from_text(lines: list[str]) -> OcVersion | None:
    for line in lines:
        client = _CLIENT_LINE.match(line)
        if client is not None:
            value = client.group(1)
            struct = _GO_GIT_VERSION.search(value)
            if struct is not None:
                return _release(struct.group(1), "text Client Version: version.Info{...}")
            return _release(value, "text Client Version")
        oc3 = _OC3_LINE.match(line)
        if oc3 is not None:
            return _release(oc3.group(1), "oc 3.x text")
    return None


def parse_oc_version(stdout: str) -> OcVersion:
    """The oc release in what ``oc version`` printed, in any of its layouts.

    >>> v = parse_oc_version('{"clientVersion": {"major": "", "gitVersion": "4.16.0-2024"},'
    ...                      ' "releaseClientVersion": "4.16.0"}')
    >>> v.minor_str, v.layout
    ('4.16', 'JSON releaseClientVersion')
    >>> parse_oc_version('{"clientVersion": {"gitVersion": "v4.16.0-202410011135.p0.g1"}}').layout
    'JSON clientVersion.gitVersion'
    >>> parse_oc_version("Client Version: 4.16.0\\nKustomize Version: v5.0.4").text
    '4.16.0'
    >>> v = parse_oc_version("oc v3.11.0+0cbc58b\\nkubernetes v1.11.0+d4cacc0\\n")
    >>> str(v.minor_str), v.layout
    ('3.11', 'oc 3.x text')
    >>> parse_oc_version("Segmentation fault\\nmore")
    Traceback (most recent call last):
    ...
    ikscheck.errors.ParseError: oc printed no version: 'Segmentation fault'
    """
    text = strip_ansi(stdout).strip()
    if not text:
        raise ParseError("oc printed nothing")
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply: read as text
            doc = None
        if isinstance(doc, dict):
            found = _from_json(doc)
            if found is None:
                shown = json.dumps(doc.get("releaseClientVersion", doc.get("clientVersion")))
                raise ParseError(f"oc's JSON names no release version: {printable(shown)[:120]}")
            return found
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = _from_text(lines)
    if found is None:
        raise ParseError(f"oc printed no version: {printable(lines[0])[:120]!r}")
    return found


def download_url(major: int, minor: int) -> str:
    """Where OpenShift publishes the oc client of release ``major.minor`` (the documented
    mirror; the latest patch of the release's stable channel).

    >>> download_url(4, 16)
    'https://mirror.openshift.com/pub/openshift-v4/clients/ocp/stable-4.16/'
    """
    return (
        f"https://mirror.openshift.com/pub/openshift-v{major}/clients/ocp/stable-{major}.{minor}/"
    )
