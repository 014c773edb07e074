"""KCTL: kubectl is installed and within one minor version of the cluster."""

import posixpath

from ikscheck.check import NotApplicable, check, conclude, expect, observe, warn


@check(
    "KCTL-001",
    "kubectl is on PATH and runs",
    severity="critical",
    remediation="Install kubectl: https://kubernetes.io/docs/tasks/tools/#kubectl",
    description=(
        "Runs `kubectl version --client -o json` (the `kubectl` first on PATH, or `--kubectl`) "
        "with the command timeout, and reads the client version."
    ),
    why=(
        "Installing the Kubernetes CLI: kubectl is how the guide works with a cluster once its "
        "kubeconfig is downloaded."
    ),
    statuses={
        "pass": "kubectl runs and prints its client version",
        "fail": "not found, not executable, a non-zero exit, a timeout, or no version printed",
    },
)
def test_kubectl_runs(workstation):
    kubectl, version = workstation.kubectl()
    expect(not kubectl.problem, kubectl.problem)
    observe(f"kubectl {version.git_version or version} at {kubectl.path}")


@check(
    "KCTL-002",
    "kubectl is within {skew_window} of the cluster",
    severity="high",
    remediation="Install the kubectl release of the cluster's major.minor: https://kubernetes.io/releases/download/",
    needs=("KCTL-001", "KCFG-005", "KCFG-006", "KCFG-007"),
    description=(
        "Compares kubectl's client version (asked with the cluster's context on a private copy of "
        "the kubeconfig, so that a dispatching kubectl reports the build it runs) with the "
        "master's version from `GET /version`: parsed versions, never strings (`v1.32.4+IKS`, "
        "`13+`)."
    ),
    why=(
        "Installing the Kubernetes CLI: the guide asks for the kubectl of the cluster's "
        "major.minor; Kubernetes supports a client only within one minor of the server."
    ),
    statuses={
        "pass": "the same major.minor",
        "warn": "minors apart, but within the policy's `max-skew` (one by default)",
        "fail": "further apart than the policy's `max-skew` allows (one minor by default), or "
        "another major version",
        "error": "the master could not be asked for its version (NET-001 says why)",
    },
)
def test_kubectl_skew(workstation, policy, cluster):
    skew = workstation.skew(cluster)
    client, server = skew.client.minor_str, skew.server.minor_str
    observed = f"kubectl {client} vs server {server}: skew {abs(skew.minors)}"
    if not skew.same_major:
        observed = f"kubectl {client} vs server {server}: different major versions"
    download = f"Install kubectl {server}: {workstation.kubectl_download(skew.server)}"
    conclude(skew.verdict(policy.max_skew), observed, remediation=download)


@check(
    "KCTL-003",
    "Every kubectl on PATH agrees on the minor version",
    severity="low",
    remediation="Remove the other kubectl binaries from PATH, or put the matching one first",
    needs=("KCTL-001",),
    description=(
        "Lists every `kubectl` on PATH (each file once, following links) with its client version, "
        "and which of them came with `oc`."
    ),
    why=(
        "Installing the Kubernetes CLI: a second kubectl earlier on PATH (an `oc` bundle, an old "
        "install) silently wins over the one installed for the cluster."
    ),
    statuses={
        "pass": "every kubectl on PATH has the same minor version",
        "warn": (
            "kubectls of different minors (naming the one that wins and the one that matches), or "
            "the winning kubectl came with oc and differs from a community cluster's minor"
        ),
        "skip": "no kubectl on PATH (only `--kubectl` is used)",
    },
)
def test_kubectl_on_path(workstation, cluster):
    found = workstation.kubectls(cluster)
    if not found:
        used = (
            f" (--kubectl {workstation.kubectl_path} is used)" if workstation.kubectl_path else ""
        )
        raise NotApplicable(f"no kubectl on PATH{used}")
    listing = ", ".join(f"{k.path} ({k.minor})" for k in found)
    observe(f"{len(found)} kubectl on PATH: {listing}")
    server = workstation.server_minor(cluster)
    hint, fix = _came_with_oc(workstation, cluster, found[0], server)
    if len({k.minor for k in found}) > 1:
        matching = next(
            (k.path for k in found if k.minor == server), f"none matches server {server}"
        )
        said = f"{listing}; {workstation.kubectl_path} wins; matching the cluster: {matching}"
        warn(said + hint, remediation=fix)
    if hint:  # one kubectl, oc's, of another minor: the fix is a kubectl before oc's folder
        warn(f"kubectl {found[0].minor} vs server {server}{hint}", remediation=fix)


def _came_with_oc(workstation, cluster, winner, server):
    """Say so when the kubectl that wins on PATH is oc's and a community cluster's minor
    differs from it (oc's kubectl follows OpenShift releases, not the cluster)."""
    if winner.minor == server or not server[:1].isdigit():
        return "", ""
    oc = workstation.oc_of_kubectl(winner.path, winner.realpath)
    if oc is None or workstation.cluster_kind(cluster).openshift is not False:
        return "", ""
    folder = posixpath.dirname(oc)
    hint = f"; the kubectl that wins on PATH ({winner.path}) came with oc ({oc})"
    fix = (
        f"Install kubectl {server} in a folder before {folder} on PATH (oc's own is {winner.minor})"
    )
    return hint, fix
