"""Facts about the workstation, parsed from evidence: what checks ask for.

Every method raises :class:`EvidenceError` or :class:`ParseError` with a message a user
understands when the fact cannot be established; the plugin reports that as ``error``.
Facts are cached: several checks and clusters share one gathering.
"""

from __future__ import annotations

import contextlib
import functools
import json
import posixpath
from dataclasses import dataclass
from typing import Literal, overload

from packaging.version import Version

from ikscheck import ibmcloud, versions
from ikscheck import kubeconfig as kubeconfigs
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Command, CommandResult, Evidence
from ikscheck.ibmcloud import CliConfig, Plugin
from ikscheck.kubeconfig import Context, Kubeconfig
from ikscheck.policy import Policy
from ikscheck.versions import KubeVersion

KUBECTL_VERSION_ARGS = ("version", "--client", "-o", "json")
CONFIG_ENV = ("IBMCLOUD_CONFIG_HOME", "IBMCLOUD_HOME", "BLUEMIX_HOME")


@dataclass(frozen=True)
class PluginList:
    plugins: tuple[Plugin, ...]
    source: str  # the command the list was read from


class Workstation:
    """The facts of one setup, from one evidence source."""

    def __init__(self, evidence: Evidence, policy: Policy) -> None:
        self.evidence = evidence
        self.policy = policy
        self.settings = evidence.settings

    # -- the IBM Cloud CLI ---------------------------------------------------------------------

    @functools.cached_property
    def ibmcloud_path(self) -> str | None:
        """The ``ibmcloud`` that runs: ``--ibmcloud``, else the first on PATH."""
        if self.settings.ibmcloud:
            return self.settings.ibmcloud
        found = self.evidence.which("ibmcloud")
        return found[0] if found else None

    def ibmcloud(self, *args: str) -> CommandResult:
        return self.evidence.run(Command(self.ibmcloud_path or "ibmcloud", args))

    def cli_version(self) -> Version:
        result = self.ibmcloud("version")
        if not result.ok:
            raise EvidenceError(result.problem())
        return ibmcloud.parse_cli_version(result.stdout)

    @functools.cached_property
    def plugin_list(self) -> PluginList:
        """Installed plug-ins: the JSON list where the CLI has ``--output json``, else the table."""
        result = self.ibmcloud("plugin", "list", "--output", "json")
        if result.error:  # did not run to the end (not found, timed out): the table would not
            raise EvidenceError(result.problem())
        if result.ok:
            try:
                return PluginList(tuple(ibmcloud.parse_plugin_list(result.stdout)), result.command)
            except ParseError:
                pass  # an old CLI may print something else for the flag: ask for the table
        table = self.ibmcloud("plugin", "list")
        if not table.ok:
            raise EvidenceError(table.problem() or result.problem())
        return PluginList(tuple(ibmcloud.parse_plugin_list_table(table.stdout)), table.command)

    def registered_plugins(self) -> tuple[Plugin, ...]:
        """The CLI's plug-in registry file, or () when it cannot be read."""
        found = self.evidence.read(posixpath.join(self.cli_config_dir, "plugins", "config.json"))
        if found.text is None:
            return ()
        try:
            return tuple(ibmcloud.parse_plugins_config(found.text))
        except ParseError:
            return ()

    def repo_versions(self) -> dict[str, list[Version]] | None:
        """Versions the plug-in repository offers, or None when it could not be asked."""
        result = self.ibmcloud("plugin", "repo-plugins", "--output", "json")
        if not result.ok:
            return None
        try:
            return ibmcloud.parse_repo_plugins(result.stdout)
        except ParseError:
            return None

    @functools.cached_property
    def cli_config_dir(self) -> str:
        env = {n: v for n in CONFIG_ENV if (v := self.evidence.env(n))}
        home = self.evidence.env("HOME") or "~"
        return ibmcloud.config_dir(
            env, home, lambda path: self.evidence.read(path).is_dir, self.settings.ibmcloud_home
        )

    @property
    def cli_config_path(self) -> str:
        return posixpath.join(self.cli_config_dir, "config.json")

    def cli_config(self) -> CliConfig | None:
        """The CLI's config, or None when the CLI has none (never logged in)."""
        path = self.cli_config_path
        found = self.evidence.read(path)
        if not found.exists:
            return None
        if found.text is None:
            raise EvidenceError(f"cannot read {path}: {found.error}")
        try:
            return ibmcloud.parse_cli_config(found.text)
        except ParseError as exc:
            raise ParseError(f"{path}: {exc}") from None

    # -- kubectl -----------------------------------------------------------------------------------

    @functools.cached_property
    def kubectl_paths(self) -> tuple[str, ...]:
        """Every kubectl on PATH, in the order the shell finds them."""
        return self.evidence.which("kubectl")

    @functools.cached_property
    def kubectl_path(self) -> str | None:
        """The kubectl that runs: ``--kubectl``, else the first on PATH."""
        if self.settings.kubectl:
            return self.settings.kubectl
        return self.kubectl_paths[0] if self.kubectl_paths else None

    def kubectl_version_run(
        self, path: str | None = None, context: str | None = None
    ) -> CommandResult:
        """``kubectl version --client -o json``; with ``context``, run against that context.

        A dispatching kubectl picks its build from the server's version, so the client
        version that matters for a cluster is the one it reports with the cluster's context.
        """
        program = path or self.kubectl_path or "kubectl"
        return self.evidence.run(Command(program, KUBECTL_VERSION_ARGS, context))

    @overload
    def kubectl_client(
        self, path: str | None = None, context: str | None = None
    ) -> KubeVersion: ...
    @overload
    def kubectl_client(
        self, path: str | None = None, context: str | None = None, *, strict: Literal[False]
    ) -> KubeVersion | None: ...
    def kubectl_client(
        self, path: str | None = None, context: str | None = None, *, strict: bool = True
    ) -> KubeVersion | None:
        """The client version kubectl reports; unless ``strict``, None when it printed none."""
        result = self.kubectl_version_run(path, context)
        if not result.ok:
            raise EvidenceError(result.problem())
        try:
            return versions.parse_kubectl_version(result.stdout)[0]
        except ParseError:
            if strict:
                raise
            return None

    # -- the kubeconfig and the cluster --------------------------------------------------------

    @functools.cached_property
    def kubeconfig_paths(self) -> list[str]:
        return kubeconfigs.kubeconfig_paths(
            self.settings.kubeconfig,
            self.evidence.env("KUBECONFIG"),
            self.evidence.env("HOME") or "~",
        )

    @functools.cached_property
    def kubeconfig(self) -> Kubeconfig:
        files = []
        for path in self.kubeconfig_paths:
            found = self.evidence.read(path)
            files.append(kubeconfigs.KubeconfigFile(path, found.text))
        if all(f.text is None for f in files):
            raise EvidenceError(f"no readable kubeconfig among {', '.join(self.kubeconfig_paths)}")
        return kubeconfigs.merge(files)

    def clusters(self) -> list[str]:
        """The clusters to check: ``--cluster`` values, else the current context's name."""
        if self.settings.clusters:
            return list(self.settings.clusters)
        try:
            return [self.kubeconfig.current_context]
        except (EvidenceError, ParseError):
            return [""]

    def context(self, cluster: str) -> Context:
        config = self.kubeconfig
        found = kubeconfigs.find_context(config, cluster or None)
        if found is None:
            if not cluster:
                raise EvidenceError("the kubeconfig has no current-context")
            raise EvidenceError(f"no kubeconfig context for cluster {cluster}")
        return found

    def server_minor(self, cluster: str) -> str:
        """The master's major.minor, or a note saying it is unknown."""
        try:
            return self.server_version(cluster).minor_str
        except (EvidenceError, ParseError):
            return "(unknown)"

    def ca_pem(self, cluster: str) -> bytes | None:
        entry = self._cluster_entry(cluster)

        def read(path: str) -> bytes:
            found = self.evidence.read(path)
            if found.text is None:
                raise EvidenceError(
                    f"cannot read the cluster CA {path}: {found.error or 'missing'}"
                )
            return found.text.encode()

        return kubeconfigs.ca_pem(entry, read)

    def server_url(self, cluster: str) -> str:
        return str(self._cluster_entry(cluster).server)

    def _cluster_entry(self, cluster: str) -> kubeconfigs.Cluster:
        context = self.context(cluster)
        entry = self.kubeconfig.clusters.get(context.cluster)
        if entry is None:
            raise EvidenceError(
                f"context {context.name} names a missing cluster entry {context.cluster}"
            )
        return entry

    def version_url(self, cluster: str) -> str:
        return self.server_url(cluster).rstrip("/") + "/version"

    def server_version(self, cluster: str) -> KubeVersion:
        """The master's version: ``GET <server>/version``, TLS verified with the kubeconfig's CA."""
        url = self.version_url(cluster)
        answer = self.evidence.get(url, self.ca_pem(cluster))
        if answer.error:
            raise EvidenceError(f"cannot reach the cluster master: {answer.stage}: {answer.error}")
        if answer.status != 200:
            raise EvidenceError(f"GET {url} answered HTTP {answer.status}")
        try:
            doc = json.loads(answer.body)
        except json.JSONDecodeError:
            raise EvidenceError(f"GET {url} did not answer JSON: {answer.body[:80]!r}") from None
        if not isinstance(doc, dict):
            raise EvidenceError(f"GET {url} answered {type(doc).__name__}, not a version object")
        return versions.parse_version_info(doc)

    def cluster_client(self, cluster: str, path: str | None = None) -> KubeVersion:
        """The client version ``path`` (default: the kubectl that runs) uses for ``cluster``.

        Asked with the cluster's context, so that a dispatching kubectl (the Google Cloud SDK's)
        can pick its build from the server. When it still reports itself, because it could not
        ask the server (an OIDC token it cannot refresh, say), the build it dispatches to is the
        ``kubectl.<major>.<minor>`` beside it that matches the server, if there is one.
        """
        program = path or self.kubectl_path
        client = self.kubectl_client(program, self.context(cluster).name)
        if "dispatcher" in client.git_version and program is not None:
            build = self._dispatched_build(program, self.server_version(cluster))
            if build is not None:
                return self.kubectl_client(build)
        return client

    def kubectl_minors(self, cluster: str) -> dict[str, str]:
        """Every kubectl on PATH and the major.minor it runs with for ``cluster``."""
        found = {}
        for path in self.kubectl_paths:
            try:
                found[path] = self.cluster_client(cluster, path).minor_str
            except (EvidenceError, ParseError):
                try:  # no context or no server to ask: what it says of itself
                    found[path] = self.kubectl_client(path).minor_str
                except (EvidenceError, ParseError):
                    found[path] = "(does not run)"
        return found

    def _dispatched_build(self, dispatcher: str, server: KubeVersion) -> str | None:
        found = self.evidence.read(dispatcher)
        folder = posixpath.dirname(found.realpath or dispatcher)
        build = posixpath.join(folder, f"kubectl.{server.major}.{server.minor}")
        return build if self.evidence.read(build).exists else None

    # -- gathering ahead -------------------------------------------------------------------------

    def prefetch(self) -> None:
        """Start the slow, independent gathering concurrently before the first check.

        Best effort: what cannot be planned here is gathered, or reported, by the check itself.
        """
        with contextlib.suppress(EvidenceError, ParseError):
            self._prefetch()

    def _prefetch(self) -> None:
        commands = []
        if self.ibmcloud_path:
            for args in (("version",), ("plugin", "list", "--output", "json")):
                commands.append(Command(self.ibmcloud_path, args))
            commands.append(
                Command(self.ibmcloud_path, ("plugin", "repo-plugins", "--output", "json"))
            )
        urls: list[tuple[str, bytes | None]] = []
        if self.kubectl_path:
            commands.append(Command(self.kubectl_path, KUBECTL_VERSION_ARGS))
        for cluster in self.clusters():
            try:
                urls.append((self.version_url(cluster), self.ca_pem(cluster)))
                if self.kubectl_path:
                    context = self.context(cluster).name
                    commands.append(Command(self.kubectl_path, KUBECTL_VERSION_ARGS, context))
            except (EvidenceError, ParseError):
                continue
        self.evidence.prefetch(commands, urls)
