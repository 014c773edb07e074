"""The bundled recordings: replayable, schema-valid, free of secrets, and reproducible."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

import testenv

sys.path.insert(0, str(testenv.REPO / "recordings"))
import make

RECORDINGS = testenv.REPO / "recordings"
BUNDLE_SCHEMA = json.loads((testenv.REPO / "schemas" / "bundle.schema.json").read_text())
KS, CR = "kubernetes-service", "container-registry"
C = (("cluster", "mycluster"),)
HOSTILE = "<img src=x onerror=alert(1)>"
H = (("cluster", HOSTILE),)
HEALTHY = {
    ("CLI-001", ()): "pass",
    ("KCFG-001", ()): "pass",
    ("KCFG-002", ()): "pass",
    ("KCFG-003", ()): "pass",
    ("KCFG-004", C): "pass",
    ("KCFG-005", C): "pass",
    ("KCFG-006", C): "pass",
    ("KCFG-007", C): "pass",
    ("KCFG-008", C): "pass",
    ("KCFG-009", ()): "pass",
    ("KCFG-010", ()): "pass",
    ("TOK-001", C): "pass",
    ("TOK-002", C): "pass",
    ("TOK-003", ()): "pass",
    ("CLI-002", ()): "pass",
    ("CLI-003", ()): "pass",
    ("KCTL-001", ()): "pass",
    ("KCTL-002", (("cluster", "mycluster"),)): "pass",
    ("KCTL-003", (("cluster", "mycluster"),)): "pass",
    ("PLG-001", ()): "pass",
    ("PLG-002", ()): "pass",
    ("PLG-003", (("plugin", KS),)): "pass",
    ("PLG-003", (("plugin", CR),)): "pass",
    ("PLG-004", (("plugin", KS),)): "pass",
    ("PLG-004", (("plugin", CR),)): "pass",
    ("NET-001", C): "pass",
    ("NET-002", ()): "pass",
    ("NET-003", ()): "pass",
    ("TOK-004", ()): "pass",
    ("CLK-001", ()): "pass",
    ("API-001", ()): "pass",
    ("API-002", ()): "pass",
    ("API-003", C): "pass",
    ("API-004", C): "pass",
    ("API-005", C): "pass",
    ("API-006", C): "pass",
    ("API-007", C): "pass",
    # Opt-in (probe-cli-refresh), off in the recordings.
    ("TOK-005", ()): "skip",
    # No helm on the recordings' workstations: optional, not applicable.
    ("HELM-001", ()): "skip",
    ("HELM-002", C): "skip",
    # Community clusters: the OpenShift checks do not apply.
    ("OC-001", C): "skip",
    ("OC-002", C): "skip",
    ("OC-003", C): "skip",
    ("ACCT-001", C): "pass",
}
#: An OpenShift 4.16 cluster with an oc of its release.
OPENSHIFT = {**HEALTHY, ("OC-001", C): "pass", ("OC-002", C): "pass", ("OC-003", C): "pass"}
#: The recordings of healthy setups (the others each show one problem).
HEALTHY_RECORDINGS = {"healthy", "openshift"}
#: Every result of every recording, by (id, params): per-plug-in and per-cluster results too.
EXPECTED = {
    "healthy": HEALTHY,
    "plugin-missing": {
        **HEALTHY,
        ("PLG-001", ()): "fail",
        ("PLG-003", (("plugin", KS),)): "skip",
        ("PLG-004", (("plugin", KS),)): "skip",
    },
    "kubectl-skew": {**HEALTHY, ("KCTL-002", (("cluster", "mycluster"),)): "fail"},
    "cli-missing": {
        **{key: "skip" for key in HEALTHY if key[0].startswith(("CLI", "PLG", "TOK-003"))},
        ("CLI-001", ()): "fail",
        **{key: "pass" for key in HEALTHY if key[0].startswith(("KCFG", "TOK-001", "TOK-002"))},
        **{key: "pass" for key in HEALTHY if key[0].startswith(("NET", "API", "CLK", "TOK-004"))},
        **{key: "skip" for key in HEALTHY if key[0].startswith(("HELM", "OC"))},
        ("KCTL-001", ()): "pass",
        ("KCTL-002", (("cluster", "mycluster"),)): "pass",
        ("KCTL-003", (("cluster", "mycluster"),)): "pass",
        ("TOK-005", ()): "skip",
        ("ACCT-001", C): "pass",
    },
    "id-token-expired": {
        **HEALTHY,
        ("KCFG-008", C): "fail",
        ("TOK-001", C): "skip",
        ("TOK-002", C): "skip",
        ("TOK-003", ()): "fail",
    },
    "stale-login": {**HEALTHY, ("TOK-002", C): "fail", ("TOK-003", ()): "warn"},
    "context-missing": {
        **HEALTHY,
        ("KCFG-004", C): "fail",
        **{(i, C): "skip" for i in ("KCFG-005", "KCFG-006", "KCFG-007", "KCFG-008")},
        **{(i, C): "skip" for i in ("KCTL-002", "TOK-001", "TOK-002", "NET-001", "API-005")},
        ("API-007", C): "skip",
    },
    "ca-missing": {
        **HEALTHY,
        ("KCFG-007", C): "fail",
        **{(i, C): "skip" for i in ("KCTL-002", "NET-001", "API-005", "API-007")},
    },
    "api-key-invalid": {
        **HEALTHY,
        ("TOK-004", ()): "fail",
        ("API-002", ()): "skip",
        **{(i, C): "skip" for i in ("API-003", "API-004", "API-005", "API-006", "API-007")},
        ("ACCT-001", C): "skip",
    },
    "cluster-not-found": {
        **HEALTHY,
        ("API-003", C): "fail",
        **{(i, C): "skip" for i in ("API-004", "API-005", "API-006")},
        ("ACCT-001", C): "skip",
    },
    "cluster-critical": {
        **HEALTHY,
        ("API-004", C): "fail",
        **{(i, C): "skip" for i in ("API-005", "API-006")},
    },
    "master-moved": {**HEALTHY, ("API-005", C): "fail"},
    "clock-off": {**HEALTHY, ("CLK-001", ()): "fail"},
    # The kubeconfig's contexts and clusters renamed, no --cluster: the current context's is
    # checked. testenv renames the CA path too (".../clusters/<name>/ca.pem"), hence KCFG-007.
    "hostile-name": {
        **{(i, H if p == C else p): status for (i, p), status in HEALTHY.items()},
        ("API-003", H): "fail",
        **{(i, H): "skip" for i in ("API-004", "API-005", "API-006")},
        ("ACCT-001", H): "skip",
    },
    "openshift": OPENSHIFT,
    "oc-skew": {**OPENSHIFT, ("OC-002", C): "fail"},
    # IKS shows the key no cluster of the cluster's account: API-003 fails; ACCT-001 learns
    # the cluster's account with the CLI session and says whose the key is.
    "api-key-other-account": {
        **HEALTHY,
        ("ACCT-001", C): "fail",
        ("API-003", C): "fail",
        **{(i, C): "skip" for i in ("API-004", "API-005", "API-006")},
    },
    "master-refuses-id-token": {**HEALTHY, ("API-007", C): "fail"},
}


def statuses(report: dict) -> dict[str, str]:
    return {c["nodeid"].split("::")[-1]: c["status"] for c in report["checks"]}


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_recording_replays_to_its_verdicts(run_suite, name: str) -> None:
    run = run_suite("--replay", str(RECORDINGS / name))
    assert run.report["mode"] == "replay"
    found = {
        (c["id"], tuple(sorted(c["params"].items()))): c["status"] for c in run.report["checks"]
    }
    assert len(found) == len(run.report["checks"])  # each result unique by id and params
    assert found == EXPECTED[name]
    healthy = name in HEALTHY_RECORDINGS
    assert run.result.ret == (0 if healthy else 1)
    assert (run.report["verdict"], run.report["exit_code"]) == (
        ("healthy", 0) if healthy else ("unhealthy", 1)
    )


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_recording_manifest_follows_the_bundle_schema(name: str) -> None:
    manifest = json.loads((RECORDINGS / name / "manifest.json").read_text())
    jsonschema.validate(manifest, BUNDLE_SCHEMA)


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_re_recording_gives_the_same_verdicts(run_suite, tmp_path: Path, name: str) -> None:
    fresh = tmp_path / "fresh"
    done = make.record(name, fresh, root=tmp_path / "ws")
    assert (fresh / "manifest.json").exists(), done.stdout + done.stderr
    live = json.loads((tmp_path / "ws" / "health.json").read_text())
    replayed = run_suite("--replay", str(RECORDINGS / name)).report
    assert statuses(live) == statuses(replayed)


@pytest.mark.parametrize("name", sorted(testenv.RECORDINGS))
def test_recording_holds_no_credential(name: str) -> None:
    """Recorded with canary credentials: the API key, a signing key, live token signatures."""
    text = (RECORDINGS / name / "manifest.json").read_text()
    manifest = json.loads(text)
    for canary in (testenv.API_KEY, "canary-api-key", "not-a-secret-0123"):
        assert canary not in text
    http = [e for e in manifest["evidence"] if e["kind"] == "http"]
    for exchange in http:
        body = exchange["data"]["body"]
        # Every JWT lost its signature: it can be judged, never replayed against IAM.
        for token in re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", body):
            assert token.endswith(".redacted"), exchange["key"]
        assert "Authorization" not in exchange["data"]["headers"]
