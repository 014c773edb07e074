"""OC: the OpenShift CLI runs, matches the cluster's OpenShift release, and the master's OAuth
server can log it in (OpenShift clusters only).

A cluster is OpenShift as the IKS API says (``type`` or ``masterKubeVersion``); without API
access, as the master's ``/version`` build shows (see :mod:`ikscheck.ocfacts`). Community
clusters skip every OC check; so does a cluster whose type cannot be told.
"""

from ikscheck.check import NotApplicable, check, expect, observe, warn
from ikscheck.oc import download_url

DOCS = "https://cloud.ibm.com/docs/openshift?topic=openshift-cli-install"
OAUTH_FIX = (
    "Check the network path to the master's OAuth server (VPN, firewall, HTTPS_PROXY / "
    "NO_PROXY); ibmcloud oc cluster config --cluster {cluster}"
)
INSTALL = f"Install the oc CLI of the cluster's OpenShift release ({DOCS})"


def _openshift(workstation, cluster):
    """The cluster's kind, when it is OpenShift; else the check does not apply."""
    kind = workstation.cluster_kind(cluster)
    if kind.openshift is None:
        raise NotApplicable(kind.told)
    if not kind.openshift:
        raise NotApplicable(f"not an OpenShift cluster ({kind.told})")
    return kind


def _install(release):
    if release is None:
        return INSTALL
    url = download_url(release.major, release.minor)
    return f"Install oc {release.minor_str}: {url} (see also {DOCS})"


@check(
    "OC-001",
    "oc is on PATH and runs",
    severity="high",
    remediation=INSTALL,
    description=(
        "For an OpenShift cluster (the IKS API's `type` or `masterKubeVersion`, else the master's "
        "`/version`), runs `oc version --client -o json` (the `oc` first on PATH)."
    ),
    why="Installing the OpenShift CLI: `oc` is how the guide works with an OpenShift cluster.",
    statuses={
        "pass": "oc runs and prints its version",
        "fail": "not found, not executable, a non-zero exit or a timeout",
        "skip": "not an OpenShift cluster, or its kind cannot be told",
    },
)
def test_oc_runs(workstation, cluster):
    kind = _openshift(workstation, cluster)
    oc, version = workstation.oc()
    fix = _install(kind.release)
    if oc.path is None:
        expect(False, f"oc not found on PATH; cluster {cluster} is OpenShift", remediation=fix)
    expect(not oc.problem, oc.problem, remediation=fix)
    observe(f"oc {version.text} ({version.layout}) at {oc.path}")


@check(
    "OC-002",
    "oc matches the cluster's OpenShift release",
    severity="high",
    remediation=INSTALL,
    needs=("OC-001",),
    description=(
        "Compares oc's client major.minor (`releaseClientVersion`, else "
        "`clientVersion.gitVersion`) with the cluster's OpenShift release from the IKS API."
    ),
    why=(
        "Installing the OpenShift CLI: the guide asks for the oc of the cluster's OpenShift "
        "release."
    ),
    statuses={
        "pass": "the same major.minor",
        "warn": "one minor apart",
        "fail": "more than one minor apart, or another major",
        "skip": "not an OpenShift cluster, or its release is unknown without the IKS API",
    },
)
def test_oc_skew(workstation, cluster):
    kind = _openshift(workstation, cluster)
    release = kind.release
    if release is None:
        raise NotApplicable(
            f"the cluster's OpenShift release is unknown without the IKS API ({kind.told})"
        )
    version = workstation.oc_version()
    client, server = version.minor_str, release.minor_str
    fix = _install(release)
    if version.major != release.major:
        expect(
            False, f"oc {client} vs OpenShift {server}: different major versions", remediation=fix
        )
    gap = abs(version.minor - release.minor)
    seen = f"oc {client} vs OpenShift {server}: skew {gap}"
    expect(gap <= 1, seen, remediation=fix)
    if gap == 1:
        warn(seen, remediation=fix)
    observe(seen)


@check(
    "OC-003",
    "The master's OAuth server names an issuer and a token endpoint (oc login -u apikey)",
    severity="medium",
    remediation=OAUTH_FIX,
    needs=("KCFG-006", "KCFG-007", "NET-001"),
    description=(
        "Asks the master's OAuth discovery document (`/.well-known/oauth-authorization-server`) "
        "over the kubeconfig's CA and validates it against "
        "`schemas/oauth-authorization-server.schema.json` (an `issuer` and a `token_endpoint`). "
        "Never runs `oc login`, which rewrites the kubeconfig."
    ),
    why="Accessing OpenShift clusters: `oc login -u apikey` signs in through this OAuth server.",
    statuses={
        "pass": "the document names an issuer and a token endpoint",
        "fail": "it does not answer (naming the stage) or answers in another shape",
        "skip": "not an OpenShift cluster",
    },
)
def test_oauth_discovery(workstation, cluster):
    _openshift(workstation, cluster)
    answer = workstation.oauth_discovery(cluster)
    shown = f"GET {answer.url}"
    expect(answer.ok, f"{shown}: {answer.problem}")
    problems = "; ".join(answer.schema_problems)
    expect(
        not problems, f"{shown} does not match oauth-authorization-server.schema.json: {problems}"
    )
    doc = answer.document
    observe(f"{shown}: issuer {doc['issuer']}, token_endpoint {doc['token_endpoint']}")
