"""PLG-001..004 end to end: the stand-in ibmcloud's plug-in list (JSON and the three tables)."""

from __future__ import annotations

import json
from typing import Any

import pytest

KS, CR = "kubernetes-service", "container-registry"
JSON_SOURCE = "`ibmcloud plugin list --output json`"
TABLE_SOURCE = "`ibmcloud plugin list`"


def ks(version: str = "1.0.672", **more: Any) -> dict[str, Any]:
    """The Kubernetes Service plug-in as current CLIs install it."""
    return {"name": "container-service", "version": version, "aliases": [KS, "ks"], **more}


def cr(version: str = "1.3.11", **more: Any) -> dict[str, Any]:
    return {"name": CR, "version": version, "aliases": [], **more}


# How the CLI lists plug-ins: --output json (Version object or string), or, for a CLI without
# that flag, one of the three table layouts; with and without colour codes.
LISTINGS = {
    "json": {},
    "json-ansi": {"ansi": True},
    "json-version-string": {"json_version_string": True},
    "json-version-string-ansi": {"json_version_string": True, "ansi": True},
    "table-2019": {"json": False, "layout": "2019"},
    "table-2021": {"json": False, "layout": "2021"},
    "table-2022": {"json": False, "layout": "2022"},
    "table-2022-ansi": {"json": False, "layout": "2022", "ansi": True},
}
TABLES = [name for name in LISTINGS if name.startswith("table")]


def _blocked(found: dict[str, Any], by: str, message: str) -> None:
    assert found["status"] == "skip"
    assert found["blocked_by"] == [by]
    assert found["message"] == message
    assert found["remediation"] == ""


# -- PLG-001 / PLG-002: installed ------------------------------------------------------------


@pytest.mark.parametrize("listing", LISTINGS)
def test_plg_001_002_pass_in_every_listing_format(make_workstation, run_suite, listing) -> None:
    ws = make_workstation(plugins=(cr(), ks()), **LISTINGS[listing])
    run = run_suite(*ws.args)
    kubernetes, registry = run.check("PLG-001"), run.check("PLG-002")
    assert kubernetes["status"] == "pass"
    assert kubernetes["message"] == "container-service 1.0.672 (aliases kubernetes-service, ks)"
    assert registry["status"] == "pass"
    assert registry["message"] == "container-registry 1.3.11"


@pytest.mark.parametrize(
    ("plugin", "listing", "message"),
    [
        ({"name": KS, "aliases": []}, "json", "kubernetes-service 1.0.0"),
        ({"name": KS, "aliases": []}, "table-2019", "kubernetes-service 1.0.0"),
        ({"name": KS, "aliases": []}, "table-2022", "kubernetes-service 1.0.0"),
        ({"name": "container-service", "aliases": []}, "table-2021", "container-service 1.0.0"),
        (
            {"name": KS, "aliases": ["container-service"]},
            "table-2019",
            "kubernetes-service 1.0.0 (aliases container-service)",
        ),
    ],
    ids=["older-name-json", "older-name-2019", "older-name-2022", "no-aliases", "name-as-alias"],
)
def test_plg_001_passes_for_either_name(make_workstation, run_suite, plugin, listing, message):
    ws = make_workstation(plugins=(cr(), {**plugin, "version": "1.0.0"}), **LISTINGS[listing])
    found = run_suite(*ws.args).check("PLG-001")
    assert (found["status"], found["message"]) == ("pass", message)


@pytest.mark.parametrize(
    ("check_id", "plugins", "missing", "remediation"),
    [
        (
            "PLG-001",
            (cr(),),
            KS,
            "ibmcloud plugin install container-service "
            "(the Kubernetes Service plug-in; kubernetes-service and ks are its aliases)",
        ),
        ("PLG-002", (ks(),), CR, "ibmcloud plugin install container-registry"),
    ],
)
@pytest.mark.parametrize(
    ("listing", "source"), [("json", JSON_SOURCE), ("table-2021", TABLE_SOURCE)]
)
def test_plg_001_002_fail_when_missing(
    make_workstation, run_suite, check_id, plugins, missing, remediation, listing, source
) -> None:
    ws = make_workstation(plugins=plugins, **LISTINGS[listing])
    found = run_suite(*ws.args).check(check_id)
    assert found["status"] == "fail"
    assert found["message"] == f"{missing} is not in {source}"
    assert found["remediation"] == remediation


def test_plg_001_says_so_when_the_registry_still_lists_it(make_workstation, run_suite) -> None:
    ws = make_workstation(plugins=(cr(),))
    registry = ws.home / ".bluemix" / "plugins" / "config.json"
    doc = json.loads(registry.read_text())
    doc["Plugins"]["container-service"] = {
        **doc["Plugins"][CR],
        "Name": "container-service",
        "Aliases": [KS, "ks"],
    }
    registry.write_text(json.dumps(doc))
    found = run_suite(*ws.args).check("PLG-001")
    assert found["status"] == "fail"
    assert found["message"] == (
        f"{KS} is not in {JSON_SOURCE} (the plug-in registry lists it: reinstall it)"
    )


def test_plg_001_002_error_when_the_listing_is_unreadable(make_workstation, run_suite) -> None:
    ws = make_workstation(behaviour="garbage")
    run = run_suite(*ws.args)
    for check_id in ("PLG-001", "PLG-002"):
        found = run.check(check_id)
        assert found["status"] == "error"
        assert found["message"] == (
            "no 'Plugin Name' table header in `ibmcloud plugin list` output: "
            "'\\x00\\x13garbage \ufffd{not: json]'"
        )


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
        (ks("0.3.23"), "pass", "container-service 0.3.23 (minimum 0.3.23)"),
        (
            ks("0.3.100"),
            "pass",
            "container-service 0.3.100 (minimum 0.3.23)",
        ),  # not "0.3.1" < "0.3.2"
        (ks("0.3.0"), "fail", "container-service 0.3.0 (minimum 0.3.23)"),
        (ks("0.3.3"), "fail", "container-service 0.3.3 (minimum 0.3.23)"),  # not "0.3.3" > "0.3.2"
        (
            {"name": KS, "version": "0.2.99", "aliases": []},
            "fail",
            "kubernetes-service 0.2.99 (minimum 0.3.23)",
        ),
    ],
)
def test_plg_003_kubernetes_service(make_workstation, run_suite, installed, status, message):
    ws = make_workstation(plugins=(cr(), installed))
    found = run_suite(*ws.args).check("PLG-003", plugin=KS)
    assert (found["status"], found["message"]) == (status, message)
    # The remediation names the plug-in as installed (container-service, or the older name).
    fix = f"ibmcloud plugin update {message.split()[0]}" if status == "fail" else ""
    assert found["remediation"] == fix


@pytest.mark.parametrize(
    ("version", "status", "listing"),
    [
        ("1.3.11", "pass", "json-version-string"),
        ("0.1.373", "pass", "table-2019"),
        ("0.1.1000", "pass", "json-version-string"),  # not "0.1.1" < "0.1.3"
        ("0.1.300", "fail", "table-2022"),
        ("0.1.99", "fail", "json"),  # not "0.1.9" > "0.1.3"
    ],
)
def test_plg_003_container_registry(make_workstation, run_suite, version, status, listing):
    ws = make_workstation(plugins=(cr(version), ks()), **LISTINGS[listing])
    found = run_suite(*ws.args).check("PLG-003", plugin=CR)
    assert found["status"] == status
    assert found["message"] == f"container-registry {version} (minimum 0.1.373)"
    fix = "ibmcloud plugin update container-registry" if status == "fail" else ""
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
        ("", ["1.0.672"], "pass", "container-service 1.0.672, repository has 1.0.672"),
        ("", ["1.0.99", "0.3.23"], "pass", "container-service 1.0.672, repository has 1.0.99"),
        ("Update Available", [], "warn", "container-service 1.0.672 (Update Available)"),
        ("", ["1.0.700", "1.0.672"], "warn", "container-service 1.0.672, repository has 1.0.700"),
        ("", ["1.0.1000"], "warn", "container-service 1.0.672, repository has 1.0.1000"),
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


@pytest.mark.parametrize(
    ("status", "repo", "verdict", "message"),
    [
        ("", ["1.3.11", "1.2.0"], "pass", "container-registry 1.3.11, repository has 1.3.11"),
        ("", ["1.3.12"], "warn", "container-registry 1.3.11, repository has 1.3.12"),
        ("Update Available", [], "warn", "container-registry 1.3.11 (Update Available)"),
    ],
)
def test_plg_004_container_registry(make_workstation, run_suite, status, repo, verdict, message):
    ws = make_workstation(plugins=(cr(status=status), ks()), repo={CR: repo})
    found = run_suite(*ws.args).check("PLG-004", plugin=CR)
    assert (found["status"], found["message"]) == (verdict, message)
    fix = "ibmcloud plugin update container-registry" if verdict == "warn" else ""
    assert found["remediation"] == fix


@pytest.mark.parametrize("listing", TABLES)
def test_plg_004_reads_the_status_column_of_every_table(make_workstation, run_suite, listing):
    plugins = (cr(), ks(status="Update Available"))
    ws = make_workstation(plugins=plugins, **LISTINGS[listing])
    run = run_suite(*ws.args)
    found = run.check("PLG-004", plugin=KS)
    assert found["status"] == "warn"
    assert found["message"] == "container-service 1.0.672 (Update Available)"
    assert run.check("PLG-004", plugin=CR)["status"] == "pass"
