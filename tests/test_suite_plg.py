"""PLG-001..004 end to end: the stand-in ibmcloud's plug-in list (JSON and the three tables).

Per check, a pass and a fail, the policy file, and the blocking by prerequisites. Every listing
format and branch of the checks' judgement is in tests/test_checks_plg.py, in memory.
"""

from __future__ import annotations

from typing import Any

import pytest

from testenv import cr, ks

KS, CR = "kubernetes-service", "container-registry"
JSON_SOURCE = "`ibmcloud plugin list --output json`"
TABLE_SOURCE = "`ibmcloud plugin list`"


# The listings the end-to-end fails use: --output json, and the table of a CLI without that
# flag (every format is in tests/test_checks_plg.py).
LISTINGS: dict[str, dict[str, Any]] = {
    "json": {},
    "table-2021": {"json": False, "layout": "2021"},
}


def _blocked(found: dict[str, Any], by: str, message: str) -> None:
    assert found["status"] == "skip"
    assert found["blocked_by"] == [by]
    assert found["message"] == message
    assert found["remediation"] == ""


# -- PLG-001 / PLG-002: installed ------------------------------------------------------------


def test_plg_001_002_pass(make_workstation, run_suite) -> None:
    ws = make_workstation(plugins=(cr(), ks()))
    run = run_suite(*ws.args)
    kubernetes, registry = run.check("PLG-001"), run.check("PLG-002")
    assert kubernetes["status"] == "pass"
    assert kubernetes["message"] == "container-service 1.0.672 (aliases kubernetes-service, ks)"
    assert registry["status"] == "pass"
    assert registry["message"] == "container-registry 1.3.11"


@pytest.mark.parametrize(
    ("check_id", "plugins", "missing", "remediation", "listing", "source"),
    [
        (
            "PLG-001",
            (cr(),),
            KS,
            "ibmcloud plugin install container-service "
            "(the Kubernetes Service plug-in; kubernetes-service and ks are its aliases)",
            "json",
            JSON_SOURCE,
        ),
        (
            "PLG-002",
            (ks(),),
            CR,
            "ibmcloud plugin install container-registry",
            "table-2021",
            TABLE_SOURCE,
        ),
    ],
)
def test_plg_001_002_fail_when_missing(
    make_workstation, run_suite, check_id, plugins, missing, remediation, listing, source
) -> None:
    ws = make_workstation(plugins=plugins, **LISTINGS[listing])
    found = run_suite(*ws.args).check(check_id)
    assert found["status"] == "fail"
    assert found["message"] == f"{missing} is not in {source}"
    assert found["remediation"] == remediation


@pytest.mark.parametrize("changes", [{"cli": None}, {"behaviour": "exit1"}], ids=["none", "exit1"])
def test_every_plg_check_is_blocked_by_cli_001(make_workstation, run_suite, changes) -> None:
    ws = make_workstation(**changes)
    run = run_suite(*ws.args)
    assert run.status("CLI-001") == "fail"
    message = "blocked by CLI-001 (a prerequisite failed)"
    for check_id in ("PLG-001", "PLG-002"):
        _blocked(run.check(check_id), "CLI-001", message)
    for check_id in ("PLG-003", "PLG-004"):
        for plugin in (KS, CR):
            _blocked(run.check(check_id, plugin=plugin), "CLI-001", message)


# -- PLG-003: minimum versions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("installed", "status", "message"),
    [
        (ks(), "pass", "container-service 1.0.672 (minimum 0.3.23)"),
    ],
)
def test_plg_003_kubernetes_service(make_workstation, run_suite, installed, status, message):
    ws = make_workstation(plugins=(cr(), installed))
    found = run_suite(*ws.args).check("PLG-003", plugin=KS)
    assert (found["status"], found["message"]) == (status, message)
    # The remediation names the plug-in as installed (container-service, or the older name).
    fix = f"ibmcloud plugin update {message.split()[0]}" if status == "fail" else ""
    assert found["remediation"] == fix


def test_plg_003_follows_the_policy(make_workstation, run_suite) -> None:
    ws = make_workstation()
    policy = '[min-plugin-versions]\nkubernetes-service = "2.0.0"\n'
    run = run_suite(*ws.args, policy=policy)
    found = run.check("PLG-003", plugin=KS)
    assert found["status"] == "fail"
    assert found["message"] == "container-service 1.0.672 (minimum 2.0.0)"
    # The other plug-in keeps its default minimum.
    assert (
        run.check("PLG-003", plugin=CR)["message"] == "container-registry 1.3.11 (minimum 0.1.373)"
    )


@pytest.mark.parametrize("check_id", ["PLG-003", "PLG-004"])
@pytest.mark.parametrize(
    ("plugins", "missing", "by"),
    [((cr(),), KS, "PLG-001"), ((ks(),), CR, "PLG-002")],
    ids=["no-kubernetes-service", "no-container-registry"],
)
def test_plg_003_004_are_blocked_by_a_missing_plugin(
    make_workstation, run_suite, check_id, plugins, missing, by
) -> None:
    ws = make_workstation(plugins=plugins)
    run = run_suite(*ws.args)
    assert run.status(by) == "fail"
    _blocked(run.check(check_id, plugin=missing), by, f"{missing} is not installed")
    other = CR if missing == KS else KS
    assert run.status(check_id, plugin=other) == "pass"


# -- PLG-004: no update pending --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "repo", "verdict", "message"),
    [
        ("", [], "pass", "container-service 1.0.672, not in the repository"),
        (
            "Update Available",
            ["1.0.700"],
            "warn",
            "container-service 1.0.672 (Update Available), repository has 1.0.700",
        ),
    ],
)
def test_plg_004_kubernetes_service(make_workstation, run_suite, status, repo, verdict, message):
    ws = make_workstation(plugins=(cr(), ks(status=status)), repo={"container-service": repo})
    found = run_suite(*ws.args).check("PLG-004", plugin=KS)
    assert (found["status"], found["message"]) == (verdict, message)
    fix = "ibmcloud plugin update container-service" if verdict == "warn" else ""
    assert found["remediation"] == fix
