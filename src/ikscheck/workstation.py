"""Facts about the workstation, parsed from evidence: what checks ask for.

Checks see facts, never evidence: a :class:`Program` that ran or why not, a :class:`Plugin`,
a :class:`~ikscheck.versions.Skew`. Every method raises :class:`EvidenceError` or
:class:`ParseError` with a message a user understands when the fact cannot be established; the
check then reports ``error``. Facts are cached: several checks and clusters share one gathering.
Each command's argv is spelled once, here, and shared with :meth:`Workstation.prefetch`.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from packaging.version import Version

from ikscheck import accounts, cliconfig, cloudapi, helm, ibmcloud, versions
from ikscheck.cliconfig import CliConfig
from ikscheck.cloudapi import Answer
from ikscheck.cloudfacts import CloudFacts
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Command, CommandResult, Evidence, HttpRequest, Program, ask_version
from ikscheck.helm import HelmVersion, SkewRow
from ikscheck.ibmcloud import PLUGIN_NAMES, Plugin
from ikscheck.kubefacts import KubeconfigFacts
from ikscheck.ocfacts import OC_VERSION, OcFacts
from ikscheck.policy import Policy
from ikscheck.versions import KubeVersion, Skew

CLI_VERSION = ("version",)
PLUGIN_LIST_JSON = ("plugin", "list", "--output", "json")
PLUGIN_LIST = ("plugin", "list")
REPO_PLUGINS = ("plugin", "repo-plugins", "--output", "json")
KUBECTL_VERSION = ("version", "--client", "-o", "json")
# Helm 3 and 4 (Helm 4 dropped -c); Helm 2 prints its client line, then asks Tiller and fails.
HELM_VERSION = ("version", "--template", "{{.Version}}")
HELM_SHORT = ("version", "--short")
CONFIG_ENV = ("IBMCLOUD_CONFIG_HOME", "IBMCLOUD_HOME", "BLUEMIX_HOME")


@dataclass(frozen=True)
class Kubectl:
    """One kubectl file on PATH and the version it runs with for a cluster."""

    path: str
    realpath: str
    minor: str  # "1.31", or "(does not run)"


class Workstation(KubeconfigFacts, CloudFacts, OcFacts):
    """The facts of one setup, from one evidence source."""

    def __init__(self, evidence: Evidence, policy: Policy, now: datetime | None = None) -> None:
        self.evidence = evidence
        self.policy = policy
        self.settings = evidence.settings
        self.now = now or evidence.now()  # the instant expiry is judged at

    # -- the IBM Cloud CLI -------------------------------------------------------------------

    @functools.cached_property
    def ibmcloud_path(self) -> str | None:
        """The ``ibmcloud`` that runs: ``--ibmcloud``, else the first on PATH."""
        if self.settings.ibmcloud:
            return self.settings.ibmcloud
        found = self.evidence.which("ibmcloud")
        return found[0] if found else None

    def _ibmcloud(self, args: tuple[str, ...]) -> CommandResult:
        return self.evidence.run(Command(self.ibmcloud_path or "ibmcloud", args))

    def ibmcloud(self) -> Program:
        """``ibmcloud version``: whether the CLI runs, and its version line."""
        run = self._ibmcloud(CLI_VERSION)
        return Program(self.ibmcloud_path, run.problem(), run.first_line())

    def cli_version(self) -> Version:
        result = self._ibmcloud(CLI_VERSION)
        if not result.ok:
            raise EvidenceError(result.problem())
        return ibmcloud.parse_cli_version(result.stdout)

    @functools.cached_property
    def _plugins(self) -> tuple[tuple[Plugin, ...], str]:
        """Installed plug-ins and the command they were read from: the JSON list where the
        CLI has ``--output json``, else the table."""
        result = self._ibmcloud(PLUGIN_LIST_JSON)
        if result.error:  # did not run to the end (not found, timed out): the table would not
            raise EvidenceError(result.problem())
        if result.ok:
            with contextlib.suppress(ParseError):  # an old CLI may print something else
                return tuple(ibmcloud.parse_plugin_list(result.stdout)), result.command
        table = self._ibmcloud(PLUGIN_LIST)
        if not table.ok:
            raise EvidenceError(table.problem() or result.problem())
        return tuple(ibmcloud.parse_plugin_list_table(table.stdout)), table.command

    def plugins(self) -> tuple[Plugin, ...]:
        """Every installed plug-in."""
        return self._plugins[0]

    @property
    def plugin_list_source(self) -> str:
        """The command the plug-in list was read from."""
        return self._plugins[1]

    def plugin(self, name: str) -> Plugin | None:
        """The installed plug-in ``name`` (a key of :data:`PLUGIN_NAMES`), by any of its names."""
        return ibmcloud.find_plugin(self.plugins(), *PLUGIN_NAMES[name])

    def registered_plugin(self, name: str) -> Plugin | None:
        """The plug-in as the CLI's registry file lists it, or None (also when unreadable)."""
        found = self.evidence.read(posixpath.join(self.cli_config_dir, "plugins", "config.json"))
        if found.text is None:
            return None
        try:
            return ibmcloud.find_plugin(
                ibmcloud.parse_plugins_config(found.text), *PLUGIN_NAMES[name]
            )
        except ParseError:
            return None

    def newest_offered(self, plugin: Plugin) -> Version | None:
        """The newest version of ``plugin`` the plug-in repository offers (None: not listed).

        Raises :class:`EvidenceError` when the repository could not be asked: then nobody knows.
        """
        result = self._ibmcloud(REPO_PLUGINS)
        if not result.ok:
            raise EvidenceError(f"the plug-in repository could not be asked: {result.problem()}")
        offered = ibmcloud.parse_repo_plugins(result.stdout)
        return max((v for n in plugin.names() for v in offered.get(n, ())), default=None)

    @functools.cached_property
    def cli_config_dir(self) -> str:
        env = {n: v for n in CONFIG_ENV if (v := self.evidence.env(n))}
        home = self.evidence.env("HOME") or "~"
        return cliconfig.config_dir(
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
            return cliconfig.parse_cli_config(found.text)
        except ParseError as exc:
            raise ParseError(f"{path}: {exc}") from None

    # -- kubectl -----------------------------------------------------------------------------

    @functools.cached_property
    def kubectl_paths(self) -> tuple[str, ...]:
        """Every kubectl file on PATH, in the order the shell finds them, each file once."""
        found: dict[str, str] = {}
        for path in self.evidence.which("kubectl"):
            # /bin and /usr/bin are one folder where /bin links to usr/bin: one kubectl.
            found.setdefault(self.evidence.read(path).realpath or path, path)
        return tuple(found.values())

    @functools.cached_property
    def kubectl_path(self) -> str | None:
        """The kubectl that runs: ``--kubectl``, else the first on PATH."""
        if self.settings.kubectl:
            return self.settings.kubectl
        return self.kubectl_paths[0] if self.kubectl_paths else None

    def _kubectl_version(self, path: str | None, context: str | None = None) -> KubeVersion:
        program = path or self.kubectl_path or "kubectl"
        result = self.evidence.run(Command(program, KUBECTL_VERSION, context))
        if not result.ok:
            raise EvidenceError(result.problem())
        return versions.parse_kubectl_version(result.stdout)[0]

    def kubectl(self) -> tuple[Program, KubeVersion | None]:
        """``kubectl version --client``: whether kubectl runs, and the version it reports."""
        program = self.kubectl_path or "kubectl"
        run = self.evidence.run(Command(program, KUBECTL_VERSION))
        found = Program(self.kubectl_path, run.problem(), run.first_line())
        if found.problem:
            return found, None
        try:
            return found, versions.parse_kubectl_version(run.stdout)[0]
        except ParseError:
            said = f"`{run.command}` printed no version: {run.stdout[:120]!r}"
            return Program(found.path, said, found.said), None

    def kubectl_client(self) -> KubeVersion:
        """The version the kubectl that runs reports of itself, without a cluster."""
        return self._kubectl_version(self.kubectl_path)

    def kubectl_download(self, version: KubeVersion) -> str:
        """Where to download the kubectl release of ``version``'s major.minor for this machine."""
        release = f"v{version.major}.{version.minor}.{version.patch or 0}"
        try:
            machine = self.evidence.platform()
            where = f"{machine.os}/{machine.arch}"
        except EvidenceError:  # a bundle recorded before bundles held the platform
            where = "<os>/<arch>"
        return f"https://dl.k8s.io/release/{release}/bin/{where}/kubectl"

    def skew(self, cluster: str) -> Skew:
        """The kubectl that runs against the cluster's master version."""
        return versions.skew(self.cluster_client(cluster), self.server_version(cluster))

    def cluster_client(self, cluster: str, path: str | None = None) -> KubeVersion:
        """The client version ``path`` (default: the kubectl that runs) uses for ``cluster``.

        Asked with the cluster's context, so that a dispatching kubectl (the Google Cloud SDK's)
        can pick its build from the server. When it still reports itself, because it could not
        ask the server (an OIDC token it cannot refresh, say), the build it dispatches to is the
        ``kubectl.<major>.<minor>`` beside it that matches the server, if there is one.
        """
        program = path or self.kubectl_path
        client = self._kubectl_version(program, self.context(cluster).name)
        if "dispatcher" in client.git_version and program is not None:
            build = self._dispatched_build(program, self.server_version(cluster))
            if build is not None:
                return self._kubectl_version(build)
        return client

    def _dispatched_build(self, dispatcher: str, server: KubeVersion) -> str | None:
        found = self.evidence.read(dispatcher)
        folder = posixpath.dirname(found.realpath or dispatcher)
        build = posixpath.join(folder, f"kubectl.{server.major}.{server.minor}")
        return build if self.evidence.read(build).exists else None

    def kubectls(self, cluster: str) -> list[Kubectl]:
        """Every kubectl file on PATH and the major.minor it runs with for ``cluster``."""
        found = []
        for path in self.kubectl_paths:
            try:
                minor = self.cluster_client(cluster, path).minor_str
            except (EvidenceError, ParseError):
                try:  # no context or no server to ask: what it says of itself
                    minor = self._kubectl_version(path).minor_str
                except (EvidenceError, ParseError):
                    minor = "(does not run)"
            found.append(Kubectl(path, self.evidence.read(path).realpath or path, minor))
        return found

    # -- helm (optional) -----------------------------------------------------------------------

    @functools.cached_property
    def helm_path(self) -> str | None:
        """The first ``helm`` on PATH, or None: helm is optional."""
        found = self.evidence.which("helm")
        return found[0] if found else None

    def helm(self) -> tuple[Program, HelmVersion | None]:
        """Whether helm runs, and the version it reports (Helm 2's too, though it then fails).

        ``version --template '{{.Version}}'`` first, else ``version --short``; a helm that did
        not run to the end (timed out, not executable) is not asked twice.
        """
        if self.helm_path is None:
            return Program(None, "helm not installed; optional", ""), None
        return ask_version(
            self.evidence,
            self.helm_path,
            HELM_VERSION,
            HELM_SHORT,
            helm.parse_helm_version,
            # Helm 2 prints its version, then fails asking Tiller: that is its answer.
            accept=lambda run, version: run.ok or version.tiller,
        )

    def helm_version(self) -> HelmVersion:
        """The version of the helm that runs (:meth:`helm`), or why it is unknown."""
        found, version = self.helm()
        if version is None or (found.problem and not version.tiller):
            raise EvidenceError(found.problem or "helm reported no version")
        return version

    def helm_skew_row(self, version: HelmVersion) -> SkewRow | None:
        """The policy's version-skew row ``version`` is judged by (None: no row fits)."""
        return helm.skew_row(self.policy.helm_skew, version)

    # -- the account (ACCT-001) ----------------------------------------------------------------

    def api_key_account(self) -> str:
        """The account of ``IBMCLOUD_API_KEY``: its IAM token's ``account.bss`` ("": none named)."""
        answer = self.iam_token()
        if not answer.ok or not isinstance(answer.document, dict):
            raise EvidenceError(f"IAM did not exchange IBMCLOUD_API_KEY: {answer.problem}")
        token = str(answer.document.get("access_token") or "")
        return accounts.token_account(token, "the IAM token of IBMCLOUD_API_KEY")

    def owner_answer(self, cluster: str) -> tuple[Answer, str]:
        """The IKS API's document of ``cluster``, and whose credential it was shown to.

        Asked as the API checks ask; when that credential is an API key the cluster is hidden
        from (IKS shows a token only its own account's clusters), asked again with the CLI
        session, which may be in the cluster's account and tell whose the cluster is.
        """
        answer, who = self.iks_cluster(cluster), self.credential_source
        session = f"bearer:{self.cli_config_path}"
        if answer.status not in (403, 404) or self.api_credential == session:
            return answer, who
        try:
            config = self.cli_config()
            if config is None or not config.iam_token:
                return answer, who
            path = f"/v1/clusters/{quote(cluster, safe='')}"
            request = cloudapi.iks_request(self.settings.containers_url, path, session)
            again = self._read(request, "iks-cluster", "iks-error")
        except (EvidenceError, ParseError):  # no session to ask (or not in this bundle)
            return answer, who
        return (again, f"the CLI session ({self.cli_config_path})") if again.ok else (answer, who)

    # -- the cluster's master ---------------------------------------------------------------

    def server_minor(self, cluster: str) -> str:
        """The master's major.minor, or a note saying it is unknown."""
        try:
            return self.server_version(cluster).minor_str
        except (EvidenceError, ParseError):
            return "(unknown)"

    def server_url(self, cluster: str) -> str:
        """The master's URL, as the kubeconfig's cluster entry for ``cluster`` names it."""
        return str(self.cluster_entry(cluster).server).rstrip("/")

    def version_url(self, cluster: str) -> str:
        return self.server_url(cluster) + "/version"

    def server_version(self, cluster: str) -> KubeVersion:
        """The master's version: ``GET <server>/version``, TLS verified with the kubeconfig's CA
        (the one reading of it API-005 and the OpenShift checks also use)."""
        answer = self.master_version(cluster)
        if answer.status is None:
            result = self.master_result(cluster)
            raise EvidenceError(f"cannot reach the cluster master: {result.stage}: {result.error}")
        if answer.status != 200:
            raise EvidenceError(f"GET {answer.url} answered HTTP {answer.status}")
        if not isinstance(answer.document, dict):
            shape = type(answer.document).__name__
            raise EvidenceError(f"GET {answer.url}: {answer.problem or f'a {shape}, no version'}")
        return versions.parse_version_info(answer.document)

    # -- gathering ahead ---------------------------------------------------------------------

    def prefetch(self) -> None:
        """Start the slow, independent gathering concurrently before the first check.

        Best effort: what cannot be planned here is gathered, or reported, by the check itself.
        """
        # Anything, even a bug: the check that needs the piece meets it again and reports it.
        with contextlib.suppress(Exception):
            self._prefetch()

    def _prefetch(self) -> None:
        commands = []
        if self.ibmcloud_path:
            for args in (CLI_VERSION, PLUGIN_LIST_JSON, REPO_PLUGINS):
                commands.append(Command(self.ibmcloud_path, args))
        requests: list[HttpRequest] = []
        if self.kubectl_path:
            commands.append(Command(self.kubectl_path, KUBECTL_VERSION))
        if self.helm_path:
            commands.append(Command(self.helm_path, HELM_VERSION))
        if self.oc_path:
            commands.append(Command(self.oc_path, OC_VERSION))
        for cluster in self.clusters():
            try:
                requests.append(
                    HttpRequest("GET", self.version_url(cluster), ca_pem=self.ca_pem(cluster))
                )
                if self.kubectl_path:
                    context = self.context(cluster).name
                    commands.append(Command(self.kubectl_path, KUBECTL_VERSION, context))
            except (EvidenceError, ParseError):
                continue
        self.evidence.prefetch(commands, requests + self.api_requests(self.clusters()))
