"""HELM: the Helm CLI (optional) runs, and supports the cluster's Kubernetes version."""

from ikscheck.check import NotApplicable, check, expect, observe
from ikscheck.helm import table_span

INSTALL = "Install Helm 3 or newer: https://helm.sh/docs/intro/install/"
SKEW_POLICY = "https://helm.sh/docs/topics/version_skew/"
NOT_INSTALLED = "helm not installed; optional"


@check(
    "HELM-001",
    "helm is on PATH and runs",
    severity="low",
    remediation=INSTALL,
    description=(
        "Runs `helm version --template '{{.Version}}'` (else `helm version --short`) with the "
        "command timeout; Helm 2 is told by its `Client: &version.Version` line."
    ),
    why=(
        "Optional: the guide installs Helm to deploy charts to the cluster; Helm 2 needs Tiller, "
        "which IKS no longer supports."
    ),
    statuses={
        "pass": "Helm 3 or newer runs",
        "fail": "installed but fails or hangs, or Helm 2",
        "skip": "helm is not installed (optional)",
    },
)
def test_helm_runs(workstation):
    helm, version = workstation.helm()
    if helm.path is None:
        raise NotApplicable(NOT_INSTALLED)
    if version is not None and version.tiller:
        expect(False, f"helm {version.text} at {helm.path} is Helm 2, which needs Tiller")
    expect(not helm.problem, helm.problem)
    observe(f"helm {version.text if version else helm.said} at {helm.path}")


@check(
    "HELM-002",
    "helm supports the cluster's Kubernetes version",
    severity="medium",
    remediation=f"Install a helm release that supports the cluster's Kubernetes ({SKEW_POLICY})",
    needs=("HELM-001", "KCFG-005", "KCFG-006", "KCFG-007"),  # as KCTL-002: the master is asked
    description=(
        "Compares helm's version with the cluster's Kubernetes minor (from the master's "
        "`/version`) in Helm's published version-skew table (policy data: Helm 3.N for N >= 4 "
        "supports Kubernetes 1.(N+12) to 1.(N+15); a helm newer than the table is judged by its "
        "newest row)."
    ),
    why="Optional: a helm outside the table's range may deploy charts the cluster's API rejects.",
    statuses={
        "pass": "the table says this helm supports the cluster's Kubernetes",
        "fail": "outside the range, or older than the table",
        "skip": "helm is not installed (optional)",
    },
)
def test_helm_skew(workstation, policy, cluster):
    if workstation.helm_path is None:  # HELM-001 skips, which blocks nothing
        raise NotApplicable(NOT_INSTALLED)
    version = workstation.helm_version()
    server = workstation.server_version(cluster)
    remediation = (
        f"Install a helm release that supports Kubernetes {server.minor_str} ({SKEW_POLICY})"
    )
    row = workstation.helm_skew_row(version)
    if row is None:
        expect(
            False,
            f"helm {version.minor_str} is older than the version-skew table (helm "
            f"{table_span(policy.helm_skew)}); the cluster is {server.minor_str}",
            remediation=remediation,
        )
        return
    judged = f" (newer than the skew table: judged as {row.helm})" if row.newer_than_table else ""
    expect(
        row.supports(server),
        f"helm {version.minor_str}{judged} supports Kubernetes {row.oldest.minor_str} to "
        f"{row.newest.minor_str}; the cluster is {server.minor_str}",
        remediation=remediation,
    )
