"""KCFG-001..005 end to end: the suite over a real kubeconfig in a temporary home.

The branches are judged in memory (tests/test_checks_kcfg.py); these runs cover the wiring:
each check failing or warning through pytester, and one root cause blocking what needs it.
"""

from __future__ import annotations

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
        f"current-context is not set (contexts: {CONTEXT})",
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
