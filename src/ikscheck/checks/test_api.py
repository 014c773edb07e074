"""API: the IAM and IKS answers, and the master's /version, have the documented shape and say
the cluster is there and healthy (API-001..006).

Schema failures name the JSON path and the rule; an IAM or IKS error shows the API's own code
and words; a body that is not JSON (an HTML page from a proxy) says so.
"""

from datetime import timedelta

from ikscheck import cloudapi, versions
from ikscheck.check import NotApplicable, check, conclude, expect, observe, warn
from ikscheck.cloudfacts import NO_CREDENTIALS
from ikscheck.errors import EvidenceError
from ikscheck.results import Status

LOGIN = "ibmcloud login (or set IBMCLOUD_API_KEY)"
CLUSTERS = "ibmcloud ks cluster ls"
#: API-004: cluster states, as CHECKS.md sorts them.
STATE_WARN = {"warning", "pending", "deploying", "updating", "requested"}
STATE_FAIL = {
    "critical",
    "deploy_failed",
    "delete_failed",
    "aborted",
    "deleting",
    "deleted",
    "unsupported",
}
EOS_WARNING = timedelta(days=30)
REFUSED = "ibmcloud login (the CLI session was refused), or export a valid IBMCLOUD_API_KEY"
NETWORK = "Check the network path (VPN, firewall, HTTPS_PROXY / NO_PROXY) to the IBM Cloud API"


def _conforms(answer, schema):
    """``fail`` unless ``answer`` came back and matches ``schema``; its document otherwise."""
    shown = f"{answer.method} {answer.url}"
    # No answer, or a page where JSON belongs: the way there is broken, not the account.
    fix = NETWORK if not answer.ok and not answer.error_code else ""
    if answer.status in (401, 403):
        fix = REFUSED
    expect(answer.ok, f"{shown}: {answer.problem}", remediation=fix)
    problems = "; ".join(answer.schema_problems)
    expect(not problems, f"{shown} does not match {schema}.schema.json: {problems}")
    return answer.document


def _credentials(workstation):
    if not workstation.api_credential:
        raise NotApplicable(NO_CREDENTIALS)


def _cluster_document(workstation, cluster):
    _credentials(workstation)
    return _conforms(workstation.iks_cluster(cluster), "iks-cluster")


@check(
    "API-001",
    "The IAM token answer has the documented shape",
    severity="medium",
    remediation="Report the answer to IBM Cloud support (IAM's token endpoint changed shape)",
    needs=("NET-002",),
    description=(
        "Validates IAM's answer to the API key exchange against `schemas/iam-token.schema.json`, "
        "or an IAM error body against `schemas/iam-error.schema.json`."
    ),
    why=(
        "Setting up the API: scripts that follow the guide read these fields (`access_token`, "
        "`refresh_token`, `expires_in`)."
    ),
    statuses={
        "pass": "the answer (or IAM's error) has the documented shape",
        "fail": "it does not (naming the JSON path and the rule), or is not JSON",
        "error": "IAM did not answer",
        "skip": "`IBMCLOUD_API_KEY` is not set: no answer to check",
    },
)
def test_iam_token_shape(workstation):
    if not workstation.has_api_key:
        raise NotApplicable("IBMCLOUD_API_KEY is not set: no IAM token answer to check")
    answer = workstation.iam_token()
    if answer.status is None:
        raise EvidenceError(
            f"no IAM answer to check: {answer.method} {answer.url}: {answer.problem}"
        )
    if answer.document is None and answer.error_code:
        problems = "; ".join(answer.schema_problems)
        expect(not problems, f"the IAM error body does not match iam-error.schema.json: {problems}")
        observe(f"IAM answered {answer.problem}, an error of the documented shape")
        return
    doc = _conforms(answer, "iam-token")
    observe(f"the IAM token answer matches iam-token.schema.json (expires_in {doc['expires_in']})")


@check(
    "API-002",
    "The IKS API lists regions, the targeted one among them",
    severity="low",
    remediation="ibmcloud target -r <region> (a region the IKS API lists)",
    needs=("NET-003", "TOK-004"),
    description=(
        "Asks the IKS API `GET /v1/regions` with the API key's token (else the CLI session's), "
        "validates it against `schemas/iks-regions.schema.json`, and looks for the CLI's targeted "
        "region."
    ),
    why="Logging in and targeting: the guide targets a region the IKS API serves.",
    statuses={
        "pass": "the answer validates, the targeted region listed (or none targeted)",
        "warn": "the CLI targets a region the IKS API does not list",
        "fail": "the API refuses the credential, does not answer, or answers in another shape",
        "skip": "no credentials: neither IBMCLOUD_API_KEY nor a CLI session",
    },
)
def test_regions(workstation):
    _credentials(workstation)
    doc = _conforms(workstation.iks("/v1/regions", "iks-regions"), "iks-regions")
    names = {n for r in doc["regions"] for n in (r.get("name"), r.get("alias")) if n}
    config = workstation.cli_config()
    region = config.region if config else ""
    shown = ", ".join(sorted(names)) or "none"
    if region and region not in names:
        warn(f"the CLI targets region {region}, which the IKS API does not list ({shown})")
    observe(f"{len(doc['regions'])} regions; the CLI targets {region or 'no region'}")


@check(
    "API-003",
    "The IKS API lists the cluster",
    severity="high",
    remediation=CLUSTERS + "; ibmcloud target -c <account> -g <resource group> of the cluster",
    needs=("NET-003", "TOK-004"),
    description=(
        "Asks the IKS API `GET /v1/clusters` with the API key's token (else the CLI session's), "
        "validates it against `schemas/iks-clusters.schema.json`, and looks for the cluster by "
        "name or id (with IKS's own error for it, if any)."
    ),
    why=(
        "Accessing the cluster: `ibmcloud ks cluster config` works only for a cluster the account, "
        "region and resource group show."
    ),
    statuses={
        "pass": "the cluster is listed",
        "fail": (
            "it is not (naming the clusters that are), or the API refuses the credential or "
            "answers in another shape"
        ),
        "skip": "no credentials: neither IBMCLOUD_API_KEY nor a CLI session",
    },
)
def test_cluster_listed(workstation, cluster):
    _credentials(workstation)
    _conforms(workstation.iks("/v1/clusters", "iks-clusters"), "iks-clusters")
    found, who = workstation.listed_cluster(cluster), workstation.credential_source
    if found is None:
        names = ", ".join(workstation.listed_names()) or "none"
        seen = f"cluster {cluster} is not among the clusters {who} can see: {names}"
        asked = workstation.iks_cluster(cluster)  # IKS's own words for it (G0004), if any
        seen += f"; GET {asked.url}: {asked.problem}" if asked.error_code else ""
        expect(False, seen)
    observe(f"cluster {cluster} is listed (id {found.get('id')}, by {who})")


@check(
    "API-004",
    "The cluster is in a healthy state",
    severity="high",
    remediation="ibmcloud ks cluster get --cluster {cluster} (see its state and status)",
    needs=("API-003",),
    description=(
        "Asks the IKS API `GET /v1/clusters/<name>`, validates it against "
        "`schemas/iks-cluster.schema.json`, and judges its `state`."
    ),
    why=(
        "Accessing the cluster: a cluster that is not `normal` may refuse or drop connections "
        "whatever the workstation does."
    ),
    statuses={
        "pass": "`normal`",
        "warn": "`warning`, `pending`, `deploying`, `updating` or `requested`",
        "fail": (
            "`critical`, `deploy_failed`, `delete_failed`, `aborted`, `deleting`, `deleted`, "
            "`unsupported`, or a state not known"
        ),
        "skip": "no credentials",
    },
)
def test_cluster_state(workstation, cluster):
    doc = _cluster_document(workstation, cluster)
    state, status = doc["state"], doc.get("status") or ""
    seen = f"cluster {cluster} is {state}" + (f" ({status})" if status else "")
    verdict = Status.FAIL if state in STATE_FAIL else Status.WARN if state in STATE_WARN else None
    if verdict is None:
        expect(state == "normal", f"{seen}: a state CHECKS.md does not know")
        verdict = Status.PASS
    conclude(verdict, seen)


@check(
    "API-005",
    "The kubeconfig points at this cluster's master, at the version the API reports",
    severity="high",
    remediation="ibmcloud ks cluster config --cluster {cluster}",
    needs=("API-004", "NET-001"),
    description=(
        "Compares the kubeconfig's `server` with the cluster's endpoints in the IKS API "
        "(`serverURL`, `publicServiceEndpointURL`, `privateServiceEndpointURL`), and the master's "
        "`/version` (validated against `schemas/k8s-version.schema.json`) with the API's "
        "`masterKubeVersion`."
    ),
    why=(
        "Accessing the cluster: a kubeconfig downloaded before the cluster was re-created, or for "
        "another cluster, points kubectl at the wrong master."
    ),
    statuses={
        "pass": (
            "the server is one of the cluster's endpoints, at the major.minor the API reports (an "
            "OpenShift release is not compared)"
        ),
        "fail": "another or a re-created cluster answers there",
        "skip": "no credentials",
    },
)
def test_master_matches(workstation, cluster):
    doc = _cluster_document(workstation, cluster)
    version = _conforms(workstation.master_version(cluster), "k8s-version")
    master = versions.parse_version_info(version)
    expected = versions.parse_master_kube_version(doc["masterKubeVersion"])
    server = workstation.cluster_entry(cluster).server.rstrip("/")
    endpoints = [
        doc.get(k, "")
        for k in ("serverURL", "publicServiceEndpointURL", "privateServiceEndpointURL")
    ]
    endpoints = list(dict.fromkeys(e.rstrip("/") for e in endpoints if e))
    expect(
        server in endpoints,
        f"the kubeconfig server {server} is none of the endpoints of cluster {cluster} "
        f"({', '.join(endpoints) or 'none'}): it points at another, or a re-created, cluster",
    )
    seen = f"master {master.minor_str} at {server}; the API says {doc['masterKubeVersion']}"
    if doc["masterKubeVersion"].endswith("_openshift"):  # OpenShift's release, not Kubernetes'
        observe(f"{seen} (an OpenShift release: the Kubernetes minor is not compared)")
        return
    expect(master.minor_str == expected.minor_str, f"{seen}: another cluster answers there")
    observe(seen)


@check(
    "API-006",
    "The cluster's version is supported",
    severity="medium",
    remediation="ibmcloud ks cluster master update --cluster {cluster} --version <supported>",
    needs=("API-004",),
    description=(
        "Asks the IKS API `GET /v1/versions` (validated against "
        "`schemas/iks-versions.schema.json`) and looks for the cluster's major.minor and its "
        "`end_of_service`."
    ),
    why=(
        "Updating clusters: a version past its end of service gets no fixes, and its kubectl "
        "release ages out."
    ),
    statuses={
        "pass": "supported, with no end of service within 30 days",
        "warn": "its end of service is within 30 days",
        "fail": "past its end of service, or not listed",
        "skip": "no credentials",
    },
)
def test_version_supported(workstation, cluster):
    doc = _cluster_document(workstation, cluster)
    offered = _conforms(workstation.iks("/v1/versions", "iks-versions"), "iks-versions")
    version = versions.parse_master_kube_version(doc["masterKubeVersion"])
    platform = "openshift" if doc["masterKubeVersion"].endswith("_openshift") else "kubernetes"
    rows = [
        r for r in offered.get(platform) or [] if f"{r['major']}.{r['minor']}" == version.minor_str
    ]
    listed = ", ".join(f"{r['major']}.{r['minor']}" for r in offered.get(platform) or []) or "none"
    expect(
        bool(rows), f"{platform} {version.minor_str} is not among the supported versions ({listed})"
    )
    end = cloudapi.iks_date(rows[0].get("end_of_service") or "")
    seen = f"{platform} {version.minor_str} is supported"
    if end is None:
        observe(f"{seen}, with no end of service announced")
        return
    left = end - workstation.now
    seen = f"{seen} until {end:%Y-%m-%d}"
    expect(
        left > timedelta(0),
        f"{platform} {version.minor_str} reached its end of service on {end:%Y-%m-%d}",
    )
    if left <= EOS_WARNING:
        warn(f"{seen} ({left.days} days left)")
    observe(seen)
