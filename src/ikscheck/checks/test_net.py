"""NET: this machine reaches the cluster master, IAM and the IKS API (NET-001..003).

Each failure names the stage that broke: DNS, connect, TLS verification, HTTP status, timeout.
Proxies from HTTPS_PROXY / NO_PROXY are honoured, as kubectl and the ibmcloud CLI honour them.
"""

from ikscheck.check import check, expect, observe
from ikscheck.cloudapi import failure

NETWORK = "Check the network path (VPN, firewall, HTTPS_PROXY / NO_PROXY) to {host}"


def _cloud_fix(result, host):
    """What to look at when an IBM Cloud endpoint does not answer over verified TLS."""
    if result.stage == "tls":
        return "A proxy that inspects TLS needs its CA in REQUESTS_CA_BUNDLE"
    return NETWORK.format(host=host)


def _answered(result, *, ok_below=500, fix=""):
    """``fail`` naming the stage that broke, or an HTTP status of ``ok_below`` or more."""
    shown = f"GET {result.url}"
    if result.status is None:
        expect(False, f"{shown}: {failure(result)}", remediation=fix)
    expect(result.status < ok_below, f"{shown}: HTTP status {result.status}", remediation=fix)
    observe(f"{shown}: HTTP {result.status} over verified TLS in {result.duration:.2f} s")


@check(
    "NET-001",
    "The cluster master answers GET /version",
    severity="critical",
    remediation="ibmcloud ks cluster config --cluster {cluster}; check the network path to it",
    needs=("KCFG-006", "KCFG-007"),
    description=(
        "Asks the cluster master (the kubeconfig's `server`) `GET /version`, verifying TLS with "
        "the kubeconfig's CA and honouring `HTTPS_PROXY` / `NO_PROXY`, and names the stage that "
        "broke: DNS, connect, TLS verification, HTTP status, timeout."
    ),
    why=(
        "Accessing the cluster: kubectl reaches the master at this URL; a private service endpoint "
        "answers only from IBM Cloud's private network."
    ),
    statuses={
        "pass": "the master answers with an HTTP status below 300 over verified TLS",
        "fail": (
            "DNS, connect, TLS verification or a timeout broke, or an HTTP error status (the "
            "message says which)"
        ),
    },
)
def test_master_answers(workstation, cluster):
    result = workstation.master_result(cluster)
    fix = "ibmcloud ks cluster config --cluster {cluster} (the CA may be out of date)"
    if result.stage != "tls":
        fix = NETWORK.format(host=workstation.cluster_entry(cluster).server)
        fix += "; a private service endpoint answers only from IBM Cloud's private network"
    _answered(result, ok_below=300, fix=fix)


@check(
    "NET-002",
    "The IAM endpoint answers over verified TLS",
    severity="high",
    remediation=NETWORK.format(host="the IAM endpoint"),
    description=(
        "Asks the IAM endpoint (`--iam-url`, `IKSCHECK_IAM_URL`, else https://iam.cloud.ibm.com) "
        "over TLS verified with the system's CAs or `REQUESTS_CA_BUNDLE`, honouring `HTTPS_PROXY` "
        "/ `NO_PROXY`."
    ),
    why="Logging in and setting up the API: every login and every token comes from IAM.",
    statuses={
        "pass": "IAM answers over verified TLS (any status below 500)",
        "fail": (
            "DNS, connect, TLS verification or a timeout broke, or a server error (a "
            "TLS-inspecting proxy's CA belongs in REQUESTS_CA_BUNDLE)"
        ),
    },
)
def test_iam_answers(workstation):
    result = workstation.iam_reachability()
    _answered(result, fix=_cloud_fix(result, workstation.settings.iam_url))


@check(
    "NET-003",
    "The IKS API endpoint answers over verified TLS",
    severity="high",
    remediation=NETWORK.format(host="the IKS API endpoint"),
    description=(
        "Asks the IKS API endpoint (`--containers-url`, `IKSCHECK_CONTAINERS_URL`, else "
        "https://containers.cloud.ibm.com) `GET /v1/regions` without credentials, over verified "
        "TLS, honouring `HTTPS_PROXY` / `NO_PROXY`."
    ),
    why="Setting up the API: `ibmcloud ks` commands and the API calls all go to this endpoint.",
    statuses={
        "pass": "the IKS API answers over verified TLS (any status below 500)",
        "fail": "DNS, connect, TLS verification or a timeout broke, or a server error",
    },
)
def test_iks_answers(workstation):
    result = workstation.iks_result("/v1/regions", credential="")  # reachability, not access
    _answered(result, fix=_cloud_fix(result, workstation.settings.containers_url))
