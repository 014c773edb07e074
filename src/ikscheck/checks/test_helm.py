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
