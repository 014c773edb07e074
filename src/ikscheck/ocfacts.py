"""Facts for the OpenShift checks: whether a cluster is OpenShift (and which release), the
``oc`` that runs, and the master's OAuth discovery document.

A part of :class:`ikscheck.workstation.Workstation`, kept apart for size.

How a cluster is told to be OpenShift: the IKS API's cluster document (``type`` ``openshift``,
or a ``masterKubeVersion`` ending ``_openshift``) decides. Without API access (no credentials,
or the API did not answer the cluster's document), the master's ``GET /version`` is the sign:
OpenShift's Kubernetes builds carry a commit (``v1.29.10+67d3387``), IKS's community builds
``+IKS``; anything else leaves the type unknown. The kubeconfig context is not a sign:
``ibmcloud oc cluster config`` and ``ibmcloud ks cluster config`` write the same layout as far
as the samples show, and a recorded token loses any prefix that could tell them apart.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ikscheck import cloudapi, oc, versions
from ikscheck.cloudapi import Answer
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Evidence, Program, ask_version
from ikscheck.oc import OcVersion
from ikscheck.versions import KubeVersion

OC_VERSION = ("version", "--client", "-o", "json")
#: oc 3.11 has no ``-o json``: its ``oc version`` text, asked when the JSON form fails.
OC_VERSION_TEXT = ("version",)
OAUTH_DISCOVERY = "/.well-known/oauth-authorization-server"
NOT_FOUND = "oc not found on PATH"
# OpenShift's Kubernetes builds name their commit: v1.29.10+67d3387. IKS's: v1.31.4+IKS.
_OPENSHIFT_BUILD = re.compile(r"^v?\d+\.\d+\.\d+\+[0-9a-f]{7,40}$")
_IKS_BUILD = re.compile(r"^v?\d+\.\d+\.\d+\+IKS$")


@dataclass(frozen=True)
class ClusterKind:
    """Whether a cluster is OpenShift (None: unknown), how that was told, and its OpenShift
    release (from the IKS API's ``masterKubeVersion``; None without it)."""

    openshift: bool | None
    told: str
    release: KubeVersion | None = None


class OcFacts:
    """The OpenShift side of a workstation."""

    evidence: Evidence

    if TYPE_CHECKING:  # provided by the workstation

        @property
        def api_credential(self) -> str: ...

        def iks_cluster(self, cluster: str) -> Answer: ...

        def master_version(self, cluster: str) -> Answer: ...

        def ca_pem(self, cluster: str) -> bytes | None: ...

        def version_url(self, cluster: str) -> str: ...

    # -- is it OpenShift? --------------------------------------------------------------------

    def cluster_kind(self, cluster: str) -> ClusterKind:
        """Whether ``cluster`` is OpenShift, as the IKS API says, else as its master shows."""
        if self.api_credential:
            answer = self.iks_cluster(cluster)
            doc = answer.document
            if answer.ok and isinstance(doc, dict):
                kind, master = str(doc.get("type", "")), str(doc.get("masterKubeVersion", ""))
                told = f"the IKS API says type {kind or '(none)'}, masterKubeVersion {master}"
                if kind != "openshift" and not master.endswith("_openshift"):
                    return ClusterKind(False, told)
                release = None
                with contextlib.suppress(ParseError):
                    release = versions.parse_master_kube_version(master)
                return ClusterKind(True, told, release)
            why = f"the IKS API did not answer: {answer.problem}"
        else:
            why = "no IBM Cloud credentials"
        build = self._master_build(cluster)
        if build and _OPENSHIFT_BUILD.match(build):
            return ClusterKind(True, f"{why}; the master's /version is an OpenShift build {build}")
        if build and _IKS_BUILD.match(build):
            return ClusterKind(False, f"{why}; the master's /version is an IKS build {build}")
        seen = f"; the master's /version is {build}" if build else ""
        return ClusterKind(None, f"the cluster's type is unknown without API access ({why}{seen})")

    def _master_build(self, cluster: str) -> str:
        """The master's ``gitVersion`` as ``GET /version`` answers it, or ""."""
        try:
            doc = self.master_version(cluster).document
        except (EvidenceError, ParseError):
            return ""
        return str(doc.get("gitVersion", "")) if isinstance(doc, dict) else ""

    # -- oc ----------------------------------------------------------------------------------

    @functools.cached_property
    def oc_path(self) -> str | None:
        """The first ``oc`` on PATH, or None."""
        found = self.evidence.which("oc")
        return found[0] if found else None

    def oc(self) -> tuple[Program, OcVersion | None]:
        """Whether oc runs, and the version it reports.

        ``version --client -o json`` first; else (oc 3.11 has no ``-o json``) ``version``; an oc
        that did not run to the end (timed out, not executable) is not asked twice.
        """
        if self.oc_path is None:
            return Program(None, NOT_FOUND, ""), None
        return ask_version(
            self.evidence, self.oc_path, OC_VERSION, OC_VERSION_TEXT, oc.parse_oc_version
        )

    def oc_version(self) -> OcVersion:
        """The version of the oc that runs (:meth:`oc`), or why it is unknown."""
        found, version = self.oc()
        if version is None or found.problem:
            raise EvidenceError(found.problem or "oc reported no version")
        return version

    def oc_of_kubectl(self, path: str, realpath: str) -> str | None:
        """The ``oc`` on PATH whose own kubectl the file at ``path`` is, or None.

        oc installs a kubectl of its own: the same file (oc answers to either name), a link to
        it, or a copy beside it. A bundle recorded without asking for oc answers None.
        """
        try:
            found = self.evidence.which("oc")
            for candidate in found:
                real = self.evidence.read(candidate).realpath or candidate
                folders = {posixpath.dirname(candidate), posixpath.dirname(real)}
                if realpath == real or posixpath.dirname(path) in folders:
                    return candidate
        except EvidenceError:
            return None
        return None

    # -- the master's OAuth server -------------------------------------------------------------

    def oauth_url(self, cluster: str) -> str:
        return self.version_url(cluster).removesuffix("/version") + OAUTH_DISCOVERY

    def oauth_discovery(self, cluster: str) -> Answer:
        """``GET <server>/.well-known/oauth-authorization-server`` over the kubeconfig's CA,
        read against oauth-authorization-server."""
        result = self.evidence.get(self.oauth_url(cluster), self.ca_pem(cluster))
        return cloudapi.read_answer(result, "oauth-authorization-server")
