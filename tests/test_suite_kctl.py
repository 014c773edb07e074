"""KCTL-001..003 end to end: a real fixed-version kubectl against a real HTTPS /version.

Server versions are chosen relative to the fixed kubectl's own, so the tests hold whatever
fixed kubectl the machine has (testenv.fixed_kubectl says which). Per check, a pass and a fail,
and what needs real processes or servers (hangs, an unreachable master, TLS, dispatchers,
several clusters) or the session (blocking by KCTL-001); every branch of the checks'
judgement is in tests/test_checks_kctl.py, in memory.
"""

from __future__ import annotations

import json
import time

import pytest

import testenv

CLIENT_JSON = json.loads(
    (testenv.FORMATS / "kubernetes" / "kubectl-version-client.json").read_text()
)


def kubectl_script(minor: int, *, hang_with_context: bool = False, suffix: str = "") -> str:
    """A shell kubectl printing kubectl's real `version --client -o json` for 1.<minor>."""
    doc = dict(CLIENT_JSON)
    doc["clientVersion"] = {
        **doc["clientVersion"],
        "minor": str(minor) + ("+" if suffix else ""),
        "gitVersion": f"v1.{minor}.2{suffix}",
    }
    hang = 'case "$*" in *--context*) exec /bin/sleep 3600;; esac\n' if hang_with_context else ""
    return f"#!/bin/sh\n{hang}/bin/cat <<'EOF'\n{json.dumps(doc, indent=2)}\nEOF\n"


@pytest.mark.parametrize(
    ("offset", "status"),
    [(0, "pass"), (2, "fail")],
)
def test_kctl_002_skew_against_a_real_kubectl(make_workstation, run_suite, offset, status) -> None:
    ws = make_workstation(server_minor_offset=offset)
    run = run_suite(*ws.args)
    client, server = ws.kubectl.minor, ws.kubectl.minor + offset
    found = run.check("KCTL-002", cluster=testenv.CLUSTER)
    assert found["status"] == status
    assert found["message"] == f"kubectl 1.{client} vs server 1.{server}: skew {abs(offset)}"
    if status != "pass":
        assert found["remediation"].startswith(f"Install kubectl 1.{server}: https://dl.k8s.io/")


def test_kctl_002_max_skew_option_widens_the_window(make_workstation, run_suite) -> None:
    ws = make_workstation(server_minor_offset=2)
    found = run_suite(*ws.args, "--max-skew", "2").check("KCTL-002", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"


def test_kctl_002_server_down_is_an_error(make_workstation, run_suite) -> None:
    ws = make_workstation(server_minor_offset=None)
    found = run_suite(*ws.args).check("KCTL-002", cluster=testenv.CLUSTER)
    assert found["status"] == "error"
    assert found["message"].startswith("cannot reach the cluster master: connect: ")


def test_kctl_002_wrong_ca_is_a_tls_error(make_workstation, run_suite) -> None:
    ws = make_workstation()
    ca = next(ws.home.rglob("ca.pem"))
    ca.write_text(
        (
            testenv.FORMATS / "kubeconfig" / "2019-cluster-config" / "ca-dal10-mycluster.pem"
        ).read_text()
    )
    found = run_suite(*ws.args).check("KCTL-002", cluster=testenv.CLUSTER)
    assert found["status"] == "error"
    assert found["message"].startswith(
        "cannot reach the cluster master: tls: TLS verification failed"
    )


def test_kctl_001_passes_with_the_version(make_workstation, run_suite) -> None:
    ws = make_workstation()
    found = run_suite(*ws.args).check("KCTL-001")
    assert found["status"] == "pass"
    assert found["message"] == f"kubectl {ws.kubectl.git_version} at {ws.bin / 'kubectl'}"


def test_kctl_001_fails_without_kubectl_and_blocks_the_rest(make_workstation, run_suite) -> None:
    ws = make_workstation(kubectl=False)
    run = run_suite(*ws.args)
    assert run.check("KCTL-001")["status"] == "fail"
    assert (
        run.check("KCTL-001")["message"] == "`kubectl version --client -o json`: not found on PATH"
    )
    for check_id in ("KCTL-002", "KCTL-003"):
        found = run.check(check_id, cluster=testenv.CLUSTER)
        assert (found["status"], found["blocked_by"]) == ("skip", ["KCTL-001"])


def test_a_hung_kubectl_ends_within_twice_the_timeout(make_workstation, run_suite) -> None:
    ws = make_workstation(kubectl_script="#!/bin/sh\nexec /bin/sleep 3600\n")
    began = time.monotonic()
    run = run_suite(*ws.args, timeout=2)
    elapsed = time.monotonic() - began
    found = run.check("KCTL-001")
    assert found["status"] == "fail"
    assert found["message"] == "`kubectl version --client -o json`: timed out after 2s"
    assert run.check("KCTL-002", cluster=testenv.CLUSTER)["blocked_by"] == ["KCTL-001"]
    assert "INTERNALERROR" not in run.result.stdout.str()
    # Not a timing test of the code's speed: a hang would take an hour, not seconds.
    assert elapsed < 60


def test_a_kubectl_hanging_against_the_cluster_gives_kctl_002_error(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    minor = ws.kubectl.minor
    (ws.bin / "kubectl").unlink()
    (ws.bin / "kubectl").write_text(kubectl_script(minor, hang_with_context=True))
    (ws.bin / "kubectl").chmod(0o755)
    run = run_suite(*ws.args, timeout=2)
    assert run.status("KCTL-001") == "pass"
    found = run.check("KCTL-002", cluster=testenv.CLUSTER)
    assert found["status"] == "error"
    context = f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"
    command = f"kubectl version --client -o json --context {context}"
    assert found["message"] == f"`{command}`: timed out after 2s"


def test_kctl_003_one_kubectl_passes(make_workstation, run_suite) -> None:
    ws = make_workstation()
    found = run_suite(*ws.args).check("KCTL-003", cluster=testenv.CLUSTER)
    assert found["status"] == "pass"
    assert found["message"] == f"1 kubectl on PATH: {ws.bin / 'kubectl'} ({ws.kubectl.minor_str})"


def test_kctl_003_warns_about_a_second_kubectl_of_another_minor(
    make_workstation, run_suite, tmp_path
) -> None:
    other = tmp_path / "oc-bundle" / "kubectl"
    other.parent.mkdir()
    ws = make_workstation(extra_kubectls=(str(other),))
    other.write_text(kubectl_script(ws.kubectl.minor - 2))
    other.chmod(0o755)
    found = run_suite(*ws.args).check("KCTL-003", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    first = ws.bin / "kubectl"
    assert f"{first} wins; matching the cluster: {first}" in found["message"]
    assert f"{ws.root / 'bin2' / 'kubectl'} (1.{ws.kubectl.minor - 2})" in found["message"]


def test_several_clusters_are_checked_each(make_workstation, run_suite, tmp_path) -> None:
    make_workstation()
    bundle = tmp_path / "bundle"
    run = run_suite(
        "--cluster", testenv.CLUSTER, "--cluster", testenv.CLUSTER_ID, "--record", str(bundle)
    )
    assert run.report["clusters"] == [testenv.CLUSTER, testenv.CLUSTER_ID]  # as given
    for cluster in (testenv.CLUSTER, testenv.CLUSTER_ID):
        assert run.status("KCTL-002", cluster=cluster) == "pass"
    # Both name the same context: its kubectl run and /version call were gathered once.
    keys = [e["key"] for e in json.loads((bundle / "manifest.json").read_text())["evidence"]]
    assert len([k for k in keys if "/version (CA sha256:" in k]) == 1
    assert len([k for k in keys if '"context": "mycluster/' in k]) == 1


def test_the_default_cluster_is_the_current_contexts_cluster(make_workstation, run_suite) -> None:
    # The current context is `mycluster/<id>`: results name the cluster, not "current-context".
    make_workstation()
    run = run_suite()
    assert run.report["clusters"] == [testenv.CLUSTER]
    assert run.status("KCTL-002", cluster=testenv.CLUSTER) == "pass"
    assert run.report["environment"]["clusters"][0]["context"] == (
        f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"
    )
    assert run.check("KCTL-002")["nodeid"].endswith("test_kubectl_skew[mycluster]")


def install_dispatcher(ws, root, own_minor: int, builds: tuple[int, ...]) -> None:
    """The Google Cloud SDK layout: bin/kubectl links to a dispatcher beside kubectl.1.NN builds.

    The dispatcher here cannot ask the server (as with an OIDC token it cannot refresh), so it
    reports itself, "-dispatcher" and all; the builds are links to the real fixed kubectl.
    """
    sdk = root / "google-cloud-sdk" / "bin"
    sdk.mkdir(parents=True)
    (sdk / "kubectl").write_text(kubectl_script(own_minor, suffix="-dispatcher"))
    (sdk / "kubectl").chmod(0o755)
    fixed, _ = testenv.fixed_kubectl()
    for minor in builds:
        (sdk / f"kubectl.1.{minor}").symlink_to(fixed)
    (ws.bin / "kubectl").unlink()
    (ws.bin / "kubectl").symlink_to(sdk / "kubectl")


def test_kctl_002_judges_the_build_a_dispatcher_runs(make_workstation, run_suite, tmp_path) -> None:
    ws = make_workstation()
    minor = ws.kubectl.minor
    install_dispatcher(ws, tmp_path, own_minor=minor - 1, builds=(minor - 1, minor))
    run = run_suite(*ws.args)
    found = run.check("KCTL-002", cluster=testenv.CLUSTER)
    assert (found["status"], found["message"]) == (
        "pass",
        f"kubectl 1.{minor} vs server 1.{minor}: skew 0",
    )
    assert run.check("KCTL-001")["message"].startswith(f"kubectl v1.{minor - 1}.2-dispatcher at ")
    on_path = run.check("KCTL-003", cluster=testenv.CLUSTER)
    assert (on_path["status"], on_path["message"]) == (
        "pass",
        f"1 kubectl on PATH: {ws.bin / 'kubectl'} (1.{minor})",
    )


def test_kctl_002_a_dispatcher_without_a_matching_build_is_judged_itself(
    make_workstation, run_suite, tmp_path
) -> None:
    ws = make_workstation()
    minor = ws.kubectl.minor
    install_dispatcher(ws, tmp_path, own_minor=minor - 1, builds=(minor - 1,))
    found = run_suite(*ws.args).check("KCTL-002", cluster=testenv.CLUSTER)
    assert (found["status"], found["message"]) == (
        "warn",
        f"kubectl 1.{minor - 1} vs server 1.{minor}: skew 1",
    )


def test_kctl_003_says_the_winning_kubectl_came_with_oc(
    make_workstation, run_suite, tmp_path, monkeypatch
) -> None:
    """Real files: oc's folder first on PATH, its kubectl a link to oc (here the fixed
    kubectl binary plays oc, which answers to either name), against a community cluster two
    minors older."""
    ws = make_workstation(server_minor_offset=-2)
    folder = tmp_path / "openshift-client"
    folder.mkdir()
    (folder / "oc").symlink_to(testenv.fixed_kubectl()[0])
    (folder / "kubectl").symlink_to("oc")
    monkeypatch.setenv("PATH", f"{folder}:{ws.environ['PATH']}")
    found = run_suite(*ws.args).check("KCTL-003", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    assert found["message"].endswith(
        f"; the kubectl that wins on PATH ({folder / 'kubectl'}) came with oc ({folder / 'oc'})"
    )
    server = f"{ws.kubectl.major}.{ws.kubectl.minor - 2}"
    assert found["remediation"] == (
        f"Install kubectl {server} in a folder before {folder} on PATH "
        f"(oc's own is {ws.kubectl.minor_str})"
    )
