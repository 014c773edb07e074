"""Facts from the IBM Cloud APIs: the IAM token exchange, the IKS API's documents, the master's
``/version``, each read into a :class:`~ikscheck.cloudapi.Answer`.

A part of :class:`ikscheck.workstation.Workstation`, kept apart for size. Each request is made
once per session (the evidence source caches it by key), however many checks and clusters ask.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from ikscheck import cloudapi
from ikscheck.cloudapi import Answer
from ikscheck.errors import EvidenceError, ParseError
from ikscheck.evidence import Evidence, HttpRequest, HttpResult, Settings

if TYPE_CHECKING:
    from ikscheck.cliconfig import CliConfig

#: IAM's OpenID discovery document: a cheap GET that proves the endpoint answers.
IAM_DISCOVERY = "/identity/.well-known/openid-configuration"
NO_CREDENTIALS = (
    "no IBM Cloud credentials: IBMCLOUD_API_KEY is not set and the CLI is not logged in"
)


class CloudFacts:
    """The IBM Cloud API side of a workstation."""

    evidence: Evidence
    settings: Settings
    now: datetime

    if TYPE_CHECKING:  # provided by the workstation

        @property
        def cli_config_path(self) -> str: ...

        def cli_config(self) -> CliConfig | None: ...

        def version_url(self, cluster: str) -> str: ...

        def server_url(self, cluster: str) -> str: ...

        def iks_contexts(self) -> list[str]: ...

        def ca_pem(self, cluster: str) -> bytes | None: ...

    # -- credentials -------------------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        return bool(self.evidence.env("IBMCLOUD_API_KEY"))

    @functools.cached_property
    def api_credential(self) -> str:
        """How IKS requests are authorised: the API key's token, else the CLI session's, else
        "" (then the API checks are not applicable)."""
        if self.has_api_key:
            return "bearer:apikey"
        try:
            config = self.cli_config()
        except (EvidenceError, ParseError):
            return ""
        return f"bearer:{self.cli_config_path}" if config and config.iam_token else ""

    @property
    def credential_source(self) -> str:
        """The credential the API checks use, as a user reads it."""
        if self.api_credential == "bearer:apikey":
            return "IBMCLOUD_API_KEY"
        return f"the CLI session ({self.cli_config_path})" if self.api_credential else "none"

    # -- IAM ---------------------------------------------------------------------------------

    def iam_exchange(self) -> HttpResult:
        """IAM's answer to the API key grant (ask only when :attr:`has_api_key`)."""
        return self.evidence.send(cloudapi.apikey_grant(self.settings.iam_url))

    def iam_token(self) -> Answer:
        """The API key grant's answer, read against iam-token (errors against iam-error)."""
        return self._read(cloudapi.apikey_grant(self.settings.iam_url), "iam-token", "iam-error")

    def iam_reachability(self) -> HttpResult:
        """A GET of IAM's discovery document: does the endpoint answer over verified TLS?"""
        url = self.settings.iam_url.rstrip("/") + IAM_DISCOVERY
        return self.evidence.send(HttpRequest("GET", url))

    def iam_clock(self) -> tuple[float, str] | None:
        """How far this machine's clock is ahead of IBM Cloud's, in seconds, and how IBM
        Cloud's time was learnt; None when IAM told none.

        IBM Cloud's time is the token answer's ``expiration - expires_in`` (the instant IAM
        issued it); without one, the ``Date`` header of an IAM answer (to the second). This
        machine's is its clock when that answer arrived (in a replay: as recorded).
        """
        answers = []
        if self.has_api_key:
            exchange = self.iam_exchange()
            doc = self.iam_token().document
            if isinstance(doc, dict):
                expiration, lifetime = doc.get("expiration"), doc.get("expires_in")
                if isinstance(expiration, int) and isinstance(lifetime, int):
                    issued = datetime.fromtimestamp(expiration - lifetime, UTC)
                    told = "IAM token: expiration - expires_in"
                    return self._received(exchange) - issued.timestamp(), told
            answers.append(exchange)
        answers.append(self.iam_reachability())
        for answer in answers:
            date = cloudapi.server_date(answer)
            if date is not None:
                return self._received(answer) - date.timestamp(), "IAM Date header"
        return None

    def _received(self, answer: HttpResult) -> float:
        """When ``answer`` arrived by this machine's clock, as seconds since the epoch."""
        try:
            return datetime.fromisoformat(answer.received_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return self.evidence.now().timestamp()  # recorded before arrival times were kept

    # -- IKS ---------------------------------------------------------------------------------

    def iks_result(self, path: str, credential: str | None = None) -> HttpResult:
        """The IKS API's raw answer at ``path``, authorised by ``credential`` (by default as
        :attr:`api_credential` says; "" for none)."""
        credential = self.api_credential if credential is None else credential
        request = cloudapi.iks_request(self.settings.containers_url, path, credential)
        return self.evidence.send(request)

    def iks(self, path: str, schema: str) -> Answer:
        """The IKS API's answer at ``path``, read against ``schema`` (errors against iks-error).

        Read once: every cluster's checks share the cluster list, and validating it per
        cluster would make a fleet's run quadratic.
        """
        request = cloudapi.iks_request(self.settings.containers_url, path, self.api_credential)
        return self._read(request, schema, "iks-error")

    def _read(self, request: HttpRequest, schema: str, error_schema: str = "") -> Answer:
        """The answer to ``request`` read against ``schema``, once per run: the IAM answers
        every cluster's checks share, and each cluster's own, are validated once however many
        checks ask (validation is most of what a passing fleet run spends beyond pytest)."""
        key = (request.key, schema)
        found = self._answers.get(key)
        if found is None:
            result = self.evidence.send(request)
            found = cloudapi.read_answer(result, schema, error_schema, request.method)
            self._answers[key] = found
        return found

    @functools.cached_property
    def _answers(self) -> dict[tuple[str, str], Answer]:
        return {}

    def account_clusters(self) -> tuple[list[str], str]:
        """``--all-clusters``: the names of every cluster the IKS API lists for the account,
        else (no API access, or the API refused) of every IKS context of the kubeconfig; and
        where the list came from, in words."""
        why = "no IBM Cloud credentials"
        if self.api_credential:
            answer = self.iks("/v1/clusters", "iks-clusters")
            if answer.ok and isinstance(answer.document, list):
                names = [c.get("name") for c in answer.document if isinstance(c, dict)]
                found = list(dict.fromkeys(n for n in names if isinstance(n, str) and n))
                return found, f"every cluster the IKS API lists for {self.credential_source}"
            why = f"the IKS API did not list them: {answer.problem}"
        try:
            contexts = self.iks_contexts()
        except (EvidenceError, ParseError) as exc:
            return [], f"{why}; and no kubeconfig to read: {exc}"
        return contexts, f"every IKS context of the kubeconfig ({why})"

    @functools.cached_property
    def _listed(self) -> dict[str, dict[str, object]]:
        """The IKS API's cluster list by name and by id (the first of each), indexed once."""
        listed = self.iks("/v1/clusters", "iks-clusters").document
        index: dict[str, dict[str, object]] = {}
        for entry in listed if isinstance(listed, list) else ():
            if isinstance(entry, dict):
                for key in (entry.get("name"), entry.get("id")):
                    if isinstance(key, str):
                        index.setdefault(key, entry)
        return index

    def listed_cluster(self, cluster: str) -> dict[str, object] | None:
        """The IKS API's list entry for ``cluster`` (by name or id), or None: a lookup, not a
        scan of the list per cluster (a fleet's run stays linear)."""
        return self._listed.get(cluster)

    def listed_names(self) -> list[str]:
        """The names of the clusters the IKS API lists, sorted."""
        listed = self.iks("/v1/clusters", "iks-clusters").document
        entries = listed if isinstance(listed, list) else []
        return sorted(str(e.get("name")) for e in entries if isinstance(e, dict))

    def iks_cluster(self, cluster: str) -> Answer:
        return self.iks(f"/v1/clusters/{quote(cluster, safe='')}", "iks-cluster")

    # -- gathering ahead --------------------------------------------------------------------

    def api_requests(self, clusters: list[str]) -> list[HttpRequest]:
        """Every IAM and IKS request the checks will make for ``clusters``, to gather at once.

        Those authorised by the API key's token wait for its exchange (the source makes each
        request once); the rest run concurrently from the start.
        """
        base, credential = self.settings.containers_url, self.api_credential
        found = [HttpRequest("GET", self.settings.iam_url.rstrip("/") + IAM_DISCOVERY)]
        found.append(cloudapi.iks_request(base, "/v1/regions", ""))
        if self.has_api_key:
            iam = self.settings.iam_url
            found += [cloudapi.apikey_grant(iam), cloudapi.delegated_grant(iam)]
            found.append(cloudapi.kube_exchange(iam))
        if credential:
            paths = ["/v1/regions", "/v1/clusters", "/v1/versions"]
            paths += [f"/v1/clusters/{quote(c, safe='')}" for c in clusters if c]
            found += [cloudapi.iks_request(base, path, credential) for path in paths]
        return found

    # -- the setup guide's flow from an API key to the Kubernetes API (API-007) -------------

    def delegation(self) -> Answer:
        """IAM's delegated refresh token for the ``kube`` client, from the API key's token."""
        request = cloudapi.delegated_grant(self.settings.iam_url)
        return self._read(request, "iam-delegated-token", "iam-error")

    def kube_token(self) -> Answer:
        """The ``kube`` client's exchange of the delegated refresh token (holds ``id_token``)."""
        request = cloudapi.kube_exchange(self.settings.iam_url)
        return self._read(request, "iam-id-token", "iam-error")

    def master_as_kube(self, cluster: str) -> Answer:
        """The master's ``/version`` asked with the kube id token as the bearer."""
        request = cloudapi.master_request(self.server_url(cluster), self.ca_pem(cluster))
        return self._read(request, "k8s-version")

    def whoami(self, cluster: str) -> Answer:
        """The identity the master sees for the kube id token (a ``SelfSubjectReview``)."""
        request = cloudapi.whoami_request(self.server_url(cluster), self.ca_pem(cluster))
        return self._read(request, "k8s-selfsubjectreview")

    def cli_refresh(self) -> Answer:
        """IAM's answer to the CLI session's refresh token (TOK-005; the new tokens are
        dropped by the source)."""
        request = cloudapi.refresh_grant(self.settings.iam_url, self.cli_config_path)
        return self._read(request, "iam-token", "iam-error")

    # -- the master --------------------------------------------------------------------------

    def master_result(self, cluster: str) -> HttpResult:
        """``GET <server>/version``, TLS verified with the kubeconfig's CA."""
        return self.evidence.get(self.version_url(cluster), self.ca_pem(cluster))

    def master_version(self, cluster: str) -> Answer:
        request = HttpRequest("GET", self.version_url(cluster), ca_pem=self.ca_pem(cluster))
        return self._read(request, "k8s-version")
