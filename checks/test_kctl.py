"""KCTL: kubectl is installed and within one minor version of the cluster."""

from ikscheck.results import check, expect
from ikscheck.versions import skew


@check(
    "KCTL-001",
    "kubectl is on PATH and runs",
    severity="critical",
    remediation="Install kubectl: https://kubernetes.io/docs/tasks/tools/#kubectl",
)
def test_kubectl_runs(workstation):
    run = workstation.kubectl_version_run()
    expect(run.ok, run.problem())
    version = workstation.kubectl_client(strict=False)
    expect(version is not None, f"`{run.command}` printed no version: {run.stdout[:120]!r}")
    expect(True, f"kubectl {version.git_version or version} at {workstation.kubectl_path}")


def _download(server):
    release = f"v{server.major}.{server.minor}.{server.patch or 0}"
    return f"Install kubectl {server.minor_str}: https://dl.k8s.io/release/{release}/bin/<os>/<arch>/kubectl"


@check(
    "KCTL-002",
    "kubectl is within one minor version of the cluster",
    severity="high",
    remediation="Install the kubectl release of the cluster's major.minor: https://kubernetes.io/releases/download/",
    needs=("KCTL-001",),
)
def test_kubectl_skew(workstation, policy, cluster):
    server = workstation.server_version(cluster)
    client = workstation.cluster_client(cluster)
    found = skew(client, server)
    verdict = found.verdict(policy.max_skew)
    observed = f"kubectl {client.minor_str} vs server {server.minor_str}: skew {abs(found.minors)}"
    if not found.same_major:
        observed = (
            f"kubectl {client.minor_str} vs server {server.minor_str}: different major versions"
        )
    expect(verdict != "fail", observed, warn=verdict == "warn", fix=_download(server))


@check(
    "KCTL-003",
    "Every kubectl on PATH agrees on the minor version",
    severity="low",
    remediation="Remove the other kubectl binaries from PATH, or put the matching one first",
    needs=("KCTL-001",),
)
def test_kubectl_on_path(workstation, cluster):
    found = workstation.kubectl_minors(cluster)
    winner = workstation.kubectl_path
    listing = ", ".join(f"{path} ({minor})" for path, minor in found.items())
    if len(set(found.values())) <= 1:
        expect(True, f"{len(found)} kubectl on PATH: {listing}")
        return
    server = workstation.server_minor(cluster)
    matching = [p for p, minor in found.items() if minor == server]
    match = matching[0] if matching else f"none matches server {server}"
    expect(True, f"{listing}; {winner} wins; matching the cluster: {match}", warn=True)
