"""PLG-001..004 in memory: the stand-in ibmcloud's plug-in list (JSON and the three tables).

The end-to-end runs (tests/test_suite_plg.py) keep the wiring and the blocking by
prerequisites; these cover each branch of the checks' judgement.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from packaging.version import Version

import testenv
from ikscheck.policy import Policy
from memory import HOME, Setup, standin, with_ibmcloud
from testenv import cr, ks

KS, CR = "kubernetes-service", "container-registry"
JSON_SOURCE = "`ibmcloud plugin list --output json`"
TABLE_SOURCE = "`ibmcloud plugin list`"
REPO = ("plugin", "repo-plugins", "--output", "json")


# How the CLI lists plug-ins: --output json (Version object or string), or, for a CLI without
# that flag, one of the three table layouts; with and without colour codes.
LISTINGS: dict[str, dict[str, Any]] = {
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


def workstation(**changes: Any) -> Setup:
    """The healthy recording with the IBM Cloud CLI of ``testenv.Scenario(**changes)``."""
    return with_ibmcloud(testenv.Scenario().but(**changes))


# -- PLG-001 / PLG-002: installed ------------------------------------------------------------


@pytest.mark.parametrize("listing", LISTINGS)
def test_plg_001_002_pass_in_every_listing_format(listing: str) -> None:
    setup = workstation(plugins=(cr(), ks()), **LISTINGS[listing])
    kubernetes, registry = setup.judge("PLG-001"), setup.judge("PLG-002")
    assert kubernetes.status == "pass"
    assert kubernetes.message == "container-service 1.0.672 (aliases kubernetes-service, ks)"
    assert registry.status == "pass"
    assert registry.message == "container-registry 1.3.11"


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
def test_plg_001_passes_for_either_name(plugin, listing, message) -> None:
    setup = workstation(plugins=(cr(), {**plugin, "version": "1.0.0"}), **LISTINGS[listing])
    found = setup.judge("PLG-001")
    assert (found.status, found.message) == ("pass", message)


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
    check_id, plugins, missing, remediation, listing, source
) -> None:
    found = workstation(plugins=plugins, **LISTINGS[listing]).judge(check_id)
    assert found.status == "fail"
    assert found.message == f"{missing} is not in {source}"
    assert found.remediation == remediation


def test_plg_001_says_so_when_the_registry_still_lists_it() -> None:
    scenario = testenv.Scenario(plugins=(cr(),))
    doc = json.loads(testenv._registry(scenario))
    doc["Plugins"]["container-service"] = {
        **doc["Plugins"][CR],
        "Name": "container-service",
        "Aliases": [KS, "ks"],
    }
    setup = with_ibmcloud(scenario)
    setup.file(f"{HOME}/.bluemix/plugins/config.json", text=json.dumps(doc))
    found = setup.judge("PLG-001")
    assert found.status == "fail"
    assert found.message == (
        f"{KS} is not in {JSON_SOURCE} (the plug-in registry lists it: reinstall it)"
    )


@pytest.mark.parametrize("check_id", ["PLG-001", "PLG-002"])
def test_plg_001_002_error_when_the_listing_is_unreadable(check_id: str) -> None:
    found = workstation(behaviour="garbage").judge(check_id)
    assert found.status == "error"
    assert found.message == (
        "no 'Plugin Name' table header in `ibmcloud plugin list` output: "
        "'\\x00\\x13garbage \ufffd{not: json]'"
    )


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
def test_plg_003_kubernetes_service(installed, status, message) -> None:
    found = workstation(plugins=(cr(), installed)).judge("PLG-003", plugin=KS)
    assert (found.status, found.message) == (status, message)
    # The remediation names the plug-in as installed (container-service, or the older name).
    fix = f"ibmcloud plugin update {message.split()[0]}" if status == "fail" else ""
    assert found.remediation == fix


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
def test_plg_003_container_registry(version, status, listing) -> None:
    found = workstation(plugins=(cr(version), ks()), **LISTINGS[listing]).judge(
        "PLG-003", plugin=CR
    )
    assert found.status == status
    assert found.message == f"container-registry {version} (minimum 0.1.373)"
    fix = "ibmcloud plugin update container-registry" if status == "fail" else ""
    assert found.remediation == fix


def test_plg_003_follows_the_policy() -> None:
    default = Policy()
    policy = Policy(min_plugin_versions={**default.min_plugin_versions, KS: Version("2.0.0")})
    setup = workstation()
    found = setup.judge("PLG-003", policy, plugin=KS)
    assert found.status == "fail"
    assert found.message == "container-service 1.0.672 (minimum 2.0.0)"
    # The other plug-in keeps its default minimum.
    other = setup.judge("PLG-003", policy, plugin=CR)
    assert other.message == "container-registry 1.3.11 (minimum 0.1.373)"


@pytest.mark.parametrize("check_id", ["PLG-003", "PLG-004"])
@pytest.mark.parametrize(
    ("plugins", "missing", "by"),
    [((cr(),), KS, "PLG-001"), ((ks(),), CR, "PLG-002")],
    ids=["no-kubernetes-service", "no-container-registry"],
)
def test_plg_003_004_say_which_check_a_missing_plugin_blocks_them_by(
    check_id, plugins, missing, by
) -> None:
    # The check raises the block itself (the session's prerequisites are end to end).
    setup = workstation(plugins=plugins)
    found = setup.judge(check_id, plugin=missing)
    assert (found.status, found.blocked_by) == ("skip", [by])
    assert found.message == f"{missing} is not installed"
    assert found.remediation == ""
    other = CR if missing == KS else KS
    assert setup.judge(check_id, plugin=other).status == "pass"


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
def test_plg_004_kubernetes_service(status, repo, verdict, message) -> None:
    setup = workstation(plugins=(cr(), ks(status=status)), repo={"container-service": repo})
    found = setup.judge("PLG-004", plugin=KS)
    assert (found.status, found.message) == (verdict, message)
    fix = "ibmcloud plugin update container-service" if verdict == "warn" else ""
    assert found.remediation == fix


@pytest.mark.parametrize(
    ("status", "repo", "verdict", "message"),
    [
        ("", ["1.3.11", "1.2.0"], "pass", "container-registry 1.3.11, repository has 1.3.11"),
        ("", ["1.3.12"], "warn", "container-registry 1.3.11, repository has 1.3.12"),
        ("Update Available", [], "warn", "container-registry 1.3.11 (Update Available)"),
    ],
)
def test_plg_004_container_registry(status, repo, verdict, message) -> None:
    setup = workstation(plugins=(cr(status=status), ks()), repo={CR: repo})
    found = setup.judge("PLG-004", plugin=CR)
    assert (found.status, found.message) == (verdict, message)
    fix = "ibmcloud plugin update container-registry" if verdict == "warn" else ""
    assert found.remediation == fix


@pytest.mark.parametrize("listing", TABLES)
def test_plg_004_reads_the_status_column_of_every_table(listing: str) -> None:
    plugins = (cr(), ks(status="Update Available"))
    setup = workstation(plugins=plugins, **LISTINGS[listing])
    found = setup.judge("PLG-004", plugin=KS)
    assert found.status == "warn"
    assert found.message == "container-service 1.0.672 (Update Available)"
    assert setup.judge("PLG-004", plugin=CR).status == "pass"


# Why the repository could not be asked: the stand-in's failing run, or a run that timed out.
REPO_FAILURES = {
    "non-zero-exit": "`ibmcloud plugin repo-plugins --output json` exited with status 1: "
    "Something went wrong: the CLI configuration is corrupted.",
    "timed-out": "`ibmcloud plugin repo-plugins --output json`: timed out after 30s",
}


def repo_fails(setup: Setup, failure: str) -> str:
    """Make ``setup``'s ``ibmcloud plugin repo-plugins`` fail as ``failure``; the problem."""
    record = setup.ibmcloud(*REPO)
    if failure == "non-zero-exit":
        code, printed = standin(testenv.Scenario(behaviour="exit1"), *REPO)
        record.update(returncode=code, stdout=printed, error="")
    else:
        record.update(returncode=None, stdout="", error="timed out after 30s")
    return REPO_FAILURES[failure]


@pytest.mark.parametrize("failure", REPO_FAILURES)
def test_plg_004_errors_when_the_repository_cannot_be_asked(failure: str) -> None:
    setup = workstation()
    problem = repo_fails(setup, failure)
    found = setup.judge("PLG-004", plugin=KS)
    assert found.status == "error"
    assert found.message == (
        "container-service 1.0.672; cannot tell whether an update is pending: "
        f"the plug-in repository could not be asked: {problem}"
    )
    assert found.remediation == ""


@pytest.mark.parametrize("failure", REPO_FAILURES)
def test_plg_004_warns_on_the_listed_status_when_the_repository_fails(failure: str) -> None:
    setup = workstation(plugins=(cr(), ks(status="Update Available")))
    problem = repo_fails(setup, failure)
    found = setup.judge("PLG-004", plugin=KS)
    assert found.status == "warn"
    assert found.message == (
        "container-service 1.0.672 (Update Available); "
        f"the plug-in repository could not be asked: {problem}"
    )
    assert found.remediation == "ibmcloud plugin update container-service"
