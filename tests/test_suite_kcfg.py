"""KCFG-001..005 end to end: the suite over a real kubeconfig in a temporary home.

The branches are judged in memory (tests/test_checks_kcfg.py); these runs cover the wiring:
each check failing or warning through pytester, and one root cause blocking what needs it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

import testenv

CONTEXT = f"{testenv.CLUSTER}/{testenv.CLUSTER_ID}"


def edit_kubeconfig(ws, change) -> None:
    path = ws.home / ".kube" / "config"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc))


def test_kcfg_all_pass_on_a_healthy_workstation(make_workstation, run_suite) -> None:
    run = run_suite(*make_workstation().args)
    for check_id in ("KCFG-001", "KCFG-002", "KCFG-003"):
        assert run.status(check_id) == "pass"
    for check_id in ("KCFG-004", "KCFG-005"):
        assert run.status(check_id, cluster=testenv.CLUSTER) == "pass"


def test_kcfg_001_fails_without_a_kubeconfig_and_blocks_what_needs_one(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    (ws.home / ".kube" / "config").unlink()
    run = run_suite(*ws.args)
    found = run.check("KCFG-001")
    assert found["status"] == "fail"
    assert found["message"] == (
        f"no kubeconfig: {ws.home}/.kube/config (from the default) does not exist"
    )
    assert found["remediation"] == "ibmcloud ks cluster config --cluster mycluster"
    # One root cause: the checks that need a kubeconfig say so, rather than failing again.
    for check_id, params in (
        ("KCFG-002", {}),
        ("KCFG-004", {"cluster": testenv.CLUSTER}),
        ("KCFG-005", {"cluster": testenv.CLUSTER}),
        ("KCTL-002", {"cluster": testenv.CLUSTER}),
    ):
        blocked = run.check(check_id, **params)
        assert (blocked["status"], blocked["blocked_by"]) == ("skip", ["KCFG-001"]), check_id


def test_kcfg_001_warns_about_a_missing_file_in_kubeconfig(
    make_workstation, run_suite, monkeypatch
) -> None:
    ws = make_workstation()
    real = ws.home / ".kube" / "config"
    monkeypatch.setenv("KUBECONFIG", f"{ws.root}/gone.yml:{real}")
    found = run_suite(*ws.args).check("KCFG-001")
    assert found["status"] == "warn"
    assert found["message"] == (
        f"{ws.root}/gone.yml (from KUBECONFIG) missing: kubectl skips it and reads {real}"
    )


def test_kcfg_002_fails_naming_file_line_and_column(make_workstation, run_suite) -> None:
    ws = make_workstation()
    edit_kubeconfig(ws, lambda doc: doc["clusters"][0]["cluster"].update(server=5))
    run = run_suite(*ws.args)
    found = run.check("KCFG-002")
    assert found["status"] == "fail"
    assert found["message"].startswith(f"{ws.home}/.kube/config: line ")
    assert found["message"].endswith(
        "$.clusters[0].cluster.server: 5 is not of type 'string', 'null'"
    )
    assert run.check("KCFG-003")["blocked_by"] == ["KCFG-002"]


def test_kcfg_003_fails_and_kcfg_004_warns_without_a_current_context(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    edit_kubeconfig(ws, lambda doc: doc.pop("current-context"))
    run = run_suite(*ws.args)
    found = run.check("KCFG-003")
    assert (found["status"], found["message"]) == (
        "fail",
        f"current-context is not set in {ws.home}/.kube/config (contexts: {CONTEXT})",
    )
    context = run.check("KCFG-004", cluster=testenv.CLUSTER)
    assert context["status"] == "warn"
    assert context["remediation"] == f"kubectl config use-context {CONTEXT}"


def test_kcfg_004_fails_for_another_cluster_and_blocks_kctl_002(
    make_workstation, run_suite
) -> None:
    make_workstation()
    run = run_suite("--cluster", "othercluster")
    found = run.check("KCFG-004", cluster="othercluster")
    assert (found["status"], found["message"]) == (
        "fail",
        f"no context for cluster othercluster (contexts: {CONTEXT})",
    )
    assert found["remediation"] == "ibmcloud ks cluster config --cluster othercluster"
    for check_id in ("KCFG-005", "KCTL-002"):
        assert run.check(check_id, cluster="othercluster")["blocked_by"] == ["KCFG-004"]


def test_kcfg_005_fails_for_a_context_naming_a_missing_user(make_workstation, run_suite) -> None:
    ws = make_workstation()
    edit_kubeconfig(ws, lambda doc: doc.update(users=[]))
    run = run_suite(*ws.args)
    found = run.check("KCFG-005", cluster=testenv.CLUSTER)
    assert found["status"] == "fail"
    assert found["message"].startswith(f"context {CONTEXT} names a missing user ")
    assert run.check("KCTL-002", cluster=testenv.CLUSTER)["blocked_by"] == ["KCFG-005"]


def test_kcfg_006_warns_when_tls_is_not_verified(make_workstation, run_suite) -> None:
    ws = make_workstation()
    edit_kubeconfig(
        ws, lambda doc: doc["clusters"][0]["cluster"].update({"insecure-skip-tls-verify": True})
    )
    found = run_suite(*ws.args).check("KCFG-006", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    assert (
        found["remediation"] == f"kubectl config unset clusters.{CONTEXT}.insecure-skip-tls-verify"
    )


def test_kcfg_007_fails_for_a_missing_ca_file_and_blocks_kctl_002(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    ca = next(ws.home.rglob("ca.pem"))
    ca.unlink()
    run = run_suite(*ws.args)
    found = run.check("KCFG-007", cluster=testenv.CLUSTER)
    assert (found["status"], found["message"]) == (
        "fail",
        f"cluster {CONTEXT}: the CA {ca}: does not exist",
    )
    assert run.check("KCTL-002", cluster=testenv.CLUSTER)["blocked_by"] == ["KCFG-007"]


def test_kcfg_008_fails_for_an_incomplete_oidc_provider(make_workstation, run_suite) -> None:
    ws = make_workstation()
    edit_kubeconfig(
        ws, lambda doc: doc["users"][0]["user"]["auth-provider"]["config"].pop("id-token")
    )
    found = run_suite(*ws.args).check("KCFG-008", cluster=testenv.CLUSTER)
    assert found["status"] == "fail"
    assert found["message"].endswith(": auth-provider oidc lacks id-token")


def test_kcfg_009_warns_for_a_kubeconfig_others_can_read(make_workstation, run_suite) -> None:
    ws = make_workstation()
    path = ws.home / ".kube" / "config"
    path.chmod(0o644)
    found = run_suite(*ws.args).check("KCFG-009")
    assert found["status"] == "warn"
    assert found["remediation"] == f"chmod 600 {path}"
    assert path.stat().st_mode & 0o777 == 0o644  # reported, never changed


def test_kcfg_010_warns_about_entries_a_second_file_shadows(
    make_workstation, run_suite, monkeypatch
) -> None:
    ws = make_workstation()
    real = ws.home / ".kube" / "config"
    copy = ws.root / "copy.yml"
    copy.write_text(real.read_text())
    monkeypatch.setenv("KUBECONFIG", f"{real}:{copy}")
    found = run_suite(*ws.args).check("KCFG-010")
    assert found["status"] == "warn"
    assert f"cluster {CONTEXT} in {copy}" in found["message"]


def test_kcfg_005_warns_about_another_context_naming_a_missing_cluster(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    gone = {"name": "old", "context": {"cluster": "gone", "user": "gone"}}
    edit_kubeconfig(ws, lambda doc: doc["contexts"].append(gone))
    found = run_suite(*ws.args).check("KCFG-005", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    assert found["message"].endswith(
        "other contexts name missing entries: old (cluster gone), old (user gone)"
    )


def test_kcfg_006_fails_for_a_plain_http_server(make_workstation, run_suite) -> None:
    ws = make_workstation()
    edit_kubeconfig(
        ws, lambda doc: doc["clusters"][0]["cluster"].update(server="http://127.0.0.1:9")
    )
    run = run_suite(*ws.args)
    found = run.check("KCFG-006", cluster=testenv.CLUSTER)
    assert (found["status"], found["message"]) == (
        "fail",
        f"cluster {CONTEXT}: server http://127.0.0.1:9 is not https://host:port",
    )
    assert run.check("KCTL-002", cluster=testenv.CLUSTER)["blocked_by"] == ["KCFG-006"]


def test_kcfg_007_warns_for_a_ca_about_to_expire(make_workstation, run_suite) -> None:
    ws = make_workstation()
    soon = datetime.now(UTC) + timedelta(days=10)
    next(ws.home.rglob("ca.pem")).write_text(testenv.certificate_pem(soon))
    found = run_suite(*ws.args).check("KCFG-007", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    assert found["message"].startswith(
        f"cluster {CONTEXT}: CA mycluster-ca expires {soon:%Y-%m-%d}"
    )


def test_kcfg_008_warns_for_an_admin_certificate_about_to_expire(
    make_workstation, run_suite
) -> None:
    ws = make_workstation()
    soon = datetime.now(UTC) + timedelta(days=5)
    (ws.home / ".kube" / "admin.pem").write_text(testenv.certificate_pem(soon, "admin"))
    (ws.home / ".kube" / "admin-key.pem").write_text("a key; never parsed\n")
    admin = {"client-certificate": "admin.pem", "client-key": "admin-key.pem"}
    edit_kubeconfig(ws, lambda doc: doc["users"][0].update(user=admin))
    found = run_suite(*ws.args).check("KCFG-008", cluster=testenv.CLUSTER)
    assert found["status"] == "warn"
    assert f": client certificate admin expires {soon:%Y-%m-%d}" in found["message"]


def test_tok_001_fails_for_an_id_token_that_is_not_a_jwt(make_workstation, run_suite) -> None:
    ws = make_workstation()
    config = lambda doc: doc["users"][0]["user"]["auth-provider"]["config"]  # noqa: E731
    edit_kubeconfig(ws, lambda doc: config(doc).update({"id-token": "not-a-jwt"}))
    found = run_suite(*ws.args).check("TOK-001", cluster=testenv.CLUSTER)
    path = ws.home / ".kube" / "config"
    user = yaml.safe_load(path.read_text())["users"][0]["name"]
    assert (found["status"], found["message"]) == (
        "fail",
        f"{path}, user {user}: the id-token is not a JWT: Not enough segments",
    )
