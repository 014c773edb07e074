"""Facts about the kubeconfig kubectl would use: its files, the merged config, the context,
cluster and user of each cluster checked, and the certificates and credentials they name.

A part of :class:`ikscheck.workstation.Workstation`, kept apart for size: the same evidence,
policy and instant.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from ikscheck import certs, kubeconfig_validity
from ikscheck import kubeconfig as kubeconfigs
from ikscheck.certs import Certificate
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Evidence, FileResult, Settings
from ikscheck.kubeconfig import Context, Kubeconfig, User
from ikscheck.policy import Policy

#: User fields that hold a credential: a file holding one should be private.
#: An IKS cluster id, as the context names of `ibmcloud ks cluster config` carry it: 20
#: lower-case letters and digits (bq8r2k1d0f6mvs4ab1cg); older clusters have 32 hex digits.
_IKS_ID = re.compile(r"[a-z0-9]{20}|[0-9a-f]{32}")
CREDENTIAL_FIELDS = ("token", "client-key-data", "client-key", "password", "auth-provider")


class KubeconfigFacts:
    """The kubeconfig side of a workstation."""

    evidence: Evidence
    policy: Policy
    settings: Settings
    now: datetime

    @functools.cached_property
    def kubeconfig_paths(self) -> list[str]:
        return kubeconfigs.kubeconfig_paths(
            self.settings.kubeconfig,
            self.evidence.env("KUBECONFIG"),
            self.evidence.env("HOME") or "~",
        )

    def kubeconfig_files(self) -> list[FileResult]:
        """Every kubeconfig file kubectl would load, as read: missing and unreadable ones too."""
        return [self.evidence.read(path) for path in self.kubeconfig_paths]

    @property
    def kubeconfig_origin(self) -> str:
        """Where the list of kubeconfig files comes from, as a user reads it."""
        if self.settings.kubeconfig:
            return "--kubeconfig"
        return "KUBECONFIG" if self.evidence.env("KUBECONFIG") else "the default"

    @functools.cached_property
    def kubeconfig(self) -> Kubeconfig:
        """The kubeconfig kubectl would use: the listed files merged, first file wins."""
        files = self.kubeconfig_files()
        if all(f.text is None for f in files):
            problems = [
                f"{f.path} is a directory"
                if f.is_dir
                else f"{f.path}: {f.error}"
                if f.error
                else f"{f.path} does not exist"
                for f in files
            ]
            raise EvidenceError(
                f"no readable kubeconfig: {'; '.join(problems) or 'KUBECONFIG lists no file'}",
                remediation="ibmcloud ks cluster config --cluster {cluster}",
            )
        return kubeconfigs.merge([kubeconfigs.KubeconfigFile(f.path, f.text) for f in files])

    def clusters(self) -> list[str]:
        """The clusters to check: ``--cluster`` values, else the current context's cluster.

        An IKS context is named ``<cluster name>/<cluster id>``: the cluster is its name.
        "" when there is no current context to resolve.
        """
        if self.settings.clusters:
            return list(dict.fromkeys(self.settings.clusters))  # each once: results stay unique
        try:
            current = self.kubeconfig.current_context
        except (EvidenceError, ParseError):
            return [""]
        return [current.split("/")[0] if current else ""]

    def context(self, cluster: str) -> Context:
        found = self._contexts.get(cluster)
        if found is None:
            # Found once per cluster, by an index built once: every check of a cluster asks,
            # and a fleet's kubeconfig holds a context per cluster.
            found = kubeconfigs.find_context(self.kubeconfig, cluster or None, self._index)
            if found is not None:
                self._contexts[cluster] = found
        if found is None:
            fix = "ibmcloud ks cluster config --cluster {cluster}"
            if not cluster:
                raise EvidenceError("the kubeconfig has no current-context", fix)
            raise EvidenceError(f"no kubeconfig context for cluster {cluster}", fix)
        return found

    @functools.cached_property
    def _contexts(self) -> dict[str, Context]:
        return {}

    def find_context(self, cluster: str) -> Context | None:
        """The context for ``cluster`` (see :func:`ikscheck.kubeconfig.find_context`), or None."""
        try:
            return self.context(cluster)
        except EvidenceError:
            return None

    @functools.cached_property
    def _dangling(self) -> list[tuple[str, str, str]]:
        config = self.kubeconfig
        return [
            (context.name, kind, name)
            for context in config.contexts.values()
            for kind, name, entries in (
                ("cluster", context.cluster, config.clusters),
                ("user", context.user, config.users),
            )
            if name not in entries
        ]

    def dangling_references(self) -> list[tuple[str, str, str]]:
        """Every context's reference to a cluster or user entry that does not exist, as
        (context, "cluster" or "user", the name it gives): found once, however many clusters
        a run checks."""
        return self._dangling

    @functools.cached_property
    def _index(self) -> dict[str, list[str]]:
        return kubeconfigs.index_contexts(self.kubeconfig)

    def iks_contexts(self) -> list[str]:
        """The clusters of the kubeconfig's IKS contexts (``<name>/<cluster id>``, also as
        ``.../admin``), by name, in context-name order: ``--all-clusters`` without API access."""
        found = []
        for name in sorted(self.kubeconfig.contexts):
            segments = name.split("/")
            if len(segments) in (2, 3) and _IKS_ID.fullmatch(segments[1]) and segments[0]:
                found.append(segments[0])
        return list(dict.fromkeys(found))

    def ca_pem(self, cluster: str) -> bytes | None:
        entry = self.cluster_entry(cluster)

        def read(path: str) -> bytes:
            found = self.evidence.read(path)
            if found.text is None:
                raise EvidenceError(
                    f"cannot read the cluster CA {path}: {found.error or 'missing'}"
                )
            return found.text.encode("utf-8", "surrogateescape")

        return kubeconfigs.ca_pem(entry, read)

    def cluster_entry(self, cluster: str) -> kubeconfigs.Cluster:
        context = self.context(cluster)
        entry = self.kubeconfig.clusters.get(context.cluster)
        if entry is None:
            raise EvidenceError(
                f"context {context.name} names a missing cluster entry {context.cluster}"
            )
        return entry

    def user_entry(self, cluster: str) -> User:
        """The ``users[]`` entry the cluster's context names."""
        context = self.context(cluster)
        entry = self.kubeconfig.users.get(context.user)
        if entry is None:
            raise EvidenceError(f"context {context.name} names a missing user entry {context.user}")
        return entry

    def ca_certificate(self, cluster: str) -> Certificate | None:
        """The cluster's CA certificate, or None when the cluster names none."""
        entry = self.cluster_entry(cluster)
        if entry.certificate_authority_data is not None:
            where = f"certificate-authority-data of cluster {entry.name} ({entry.source})"
            return certs.first_certificate(entry.certificate_authority_data, where)
        if not entry.certificate_authority:
            return None
        return certs.first_certificate(
            self._file_bytes(entry.certificate_authority), entry.certificate_authority
        )

    def client_certificate(self, cluster: str) -> Certificate | None:
        """The user's client certificate (admin configs), or None when it has none."""
        user = self.user_entry(cluster)
        data, path = user.auth.get("client-certificate-data"), user.auth.get("client-certificate")
        if isinstance(data, str) and data:
            return certs.from_data_field(data, f"client-certificate-data of user {user.name}")
        if isinstance(path, str) and path:
            resolved = kubeconfigs.resolve_path(user.source, path)
            return certs.first_certificate(self._file_bytes(resolved), resolved)
        return None

    def exec_command(self, cluster: str) -> tuple[str, bool] | None:
        """The user's exec credential plug-in command and whether it is found, or None."""
        user = self.user_entry(cluster)
        plugin = user.auth.get("exec")
        if not isinstance(plugin, dict) or not isinstance(plugin.get("command"), str):
            return None
        command = str(plugin["command"])
        if "/" in command:
            resolved = kubeconfigs.resolve_path(user.source, command)
            return resolved, self.evidence.read(resolved).exists
        return command, bool(self.evidence.which(command))

    def kubeconfig_problems(self) -> list[str]:
        """What kubectl would refuse in the readable kubeconfig files, each with file, line
        and column (empty when every file is valid)."""
        return [
            problem
            for file in self.kubeconfig_files()
            if file.text is not None
            for problem in kubeconfig_validity.file_problems(file.path, file.text)
        ]

    def credential_files(self) -> list[FileResult]:
        """The readable kubeconfig files that hold a credential (a token, key, password...)."""
        found = []
        for file in self.kubeconfig_files():
            if file.text is None:
                continue
            try:
                doc = kubeconfigs.parse_file(file.path, file.text)
            except ParseError:
                continue
            users = doc.get("users")
            for item in users if isinstance(users, list) else ():
                user = item.get("user") if isinstance(item, dict) else None
                if isinstance(user, dict) and any(user.get(f) for f in CREDENTIAL_FIELDS):
                    found.append(file)
                    break
        return found

    def _file_bytes(self, path: str) -> bytes:
        found = self.evidence.read(path)
        if found.is_dir:
            raise ParseError(f"{path} is a directory, not a certificate file")
        if found.text is None:
            raise ParseError(f"{path}: {found.error or 'does not exist'}")
        return found.text.encode("utf-8", "surrogateescape")

    def oidc_tokens(self, cluster: str) -> dict[str, str] | None:
        """The OIDC auth-provider config of the cluster's user (id-token, refresh-token...),
        or None when the user does not sign in with an auth-provider."""
        provider = self.user_entry(cluster).auth.get("auth-provider")
        if not isinstance(provider, dict):
            return None
        config = provider.get("config")
        if not isinstance(config, dict):
            return {}
        return {str(k): v for k, v in config.items() if isinstance(v, str)}
