"""Fleets: --all-clusters checks every cluster of the account (the IKS API's list), or without
API access every IKS context of the kubeconfig; what clusters share is asked once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import testenv

FLEET = 3  # mycluster and fleet-000..002
ALL = [testenv.CLUSTER, *(name for name, _ in testenv.fleet(testenv.Scenario(fleet=FLEET)))]


def clusters_of(run) -> list[str]:
    return list(
        dict.fromkeys(
            c["params"]["cluster"] for c in run.report["checks"] if "cluster" in c["params"]
        )
    )


def test_all_clusters_are_the_ones_the_iks_api_lists_and_shared_evidence_is_asked_once(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(fleet=FLEET)
    run = run_suite("--all-clusters")
    assert run.result.ret == 0, run.statuses()
    assert sorted(clusters_of(run)) == sorted(ALL)
    assert sorted(run.report["clusters"]) == sorted(ALL)
    run.result.stdout.fnmatch_lines(
        ["ikscheck: checking this workstation live; clusters (every cluster the IKS API lists "
         "for IBMCLOUD_API_KEY): *"]
    )  # fmt: skip
    # What the clusters share is asked once: the list (for choosing them and for API-003),
    # the API key's exchange, the versions; each cluster's own document once.
    asked = Counter((h.method, h.path) for h in ws.cloud.requests)
    assert asked[("GET", "/v1/clusters")] == 1
    assert asked[("GET", "/v1/versions")] == 1
    for name in ALL:
        assert asked[("GET", f"/v1/clusters/{name}")] == 1


def test_without_api_access_every_iks_context_of_the_kubeconfig(
    make_workstation, run_suite
) -> None:
    ws = make_workstation(fleet=FLEET, api_key="canary-api-key-revoked-0123456789abcdef")
    run = run_suite("--all-clusters")
    assert sorted(clusters_of(run)) == sorted(ALL)
    header = next(line for line in run.result.outlines if line.startswith("ikscheck: checking"))
    assert (
        "clusters (every IKS context of the kubeconfig (the IKS API did not list them: the API "
        "key exchange failed (HTTP 400): nothing to send)): fleet-000, fleet-001, fleet-002, "
        "mycluster"
    ) in header
    assert ws.cloud.hits("/v1/clusters") == 0  # the refused key has no token to ask with


def test_all_clusters_with_a_named_cluster_is_a_usage_error(make_workstation, run_suite) -> None:
    make_workstation()
    run = run_suite("--all-clusters", "--cluster", testenv.CLUSTER)
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--all-clusters and --cluster cannot be combined" in "\n".join(run.result.errlines)


def test_a_recording_of_all_clusters_replays_them(
    make_workstation, run_suite, tmp_path: Path
) -> None:
    make_workstation(fleet=FLEET)
    bundle = tmp_path / "bundle"
    live = run_suite("--all-clusters", "--record", str(bundle))
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert sorted(manifest["settings"]["clusters"]) == sorted(ALL)
    replayed = run_suite("--replay", str(bundle), "--all-clusters")
    assert replayed.statuses() == live.statuses()
