"""CLI-001..003 end to end: the stand-in ibmcloud on a temporary workstation's PATH.

Per check, a pass and a fail, and what needs real processes (not executable, hangs) or the
session (blocking by prerequisites, the whole report). Every branch of the checks' judgement is
in tests/test_checks_cli.py, in memory.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

import testenv

INSTALL = "Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli"
HEALTHY_CLI = testenv.Scenario().cli
# The `ibmcloud version` lines of real releases, as the stand-in's version strings.
RELEASES = [
    line.removeprefix("ibmcloud version ")
    for line in (testenv.FORMATS / "ibmcloud" / "version.txt").read_text().splitlines()
    if line.strip()
]
STATUSES = {"pass", "warn", "fail", "error", "skip"}
REPORT_SCHEMA = json.loads((testenv.REPO / "schemas" / "report.schema.json").read_text())


def _blocked_by_cli_001(found: dict) -> None:
    assert found["status"] == "skip"
    assert found["blocked_by"] == ["CLI-001"]
    assert found["message"] == "blocked by CLI-001 (a prerequisite failed)"


# -- CLI-001 ---------------------------------------------------------------------------------


def test_cli_001_passes_and_names_the_version_line_and_path(make_workstation, run_suite) -> None:
    ws = make_workstation()
    run = run_suite(*ws.args)
    found = run.check("CLI-001")
    assert found["status"] == "pass"
    assert found["message"] == f"ibmcloud version {HEALTHY_CLI} ({ws.bin / 'ibmcloud'})"
    assert found["remediation"] == ""
    assert run.result.ret == 0


def test_cli_001_fails_when_not_installed(make_workstation, run_suite) -> None:
    ws = make_workstation(cli=None)
    run = run_suite(*ws.args)
    found = run.check("CLI-001")
    assert found["status"] == "fail"
    assert found["message"] == "`ibmcloud version`: not found on PATH"
    assert found["remediation"] == INSTALL
    assert run.result.ret == 1


def test_cli_001_fails_when_not_executable(make_workstation, run_suite) -> None:
    ws = make_workstation()
    (ws.bin / "ibmcloud").chmod(0o644)
    found = run_suite(*ws.args).check("CLI-001")
    assert found["status"] == "fail"
    assert found["message"] == (
        f"`ibmcloud version`: {ws.bin / 'ibmcloud'} is on PATH but not executable"
    )
    assert found["remediation"] == INSTALL


def test_cli_001_fails_when_it_hangs_and_the_run_still_ends(make_workstation, run_suite) -> None:
    ws = make_workstation(behaviour="hang")
    run = run_suite(*ws.args, timeout=2)
    found = run.check("CLI-001")
    assert found["status"] == "fail"
    assert found["message"] == "`ibmcloud version`: timed out after 2s"
    assert found["remediation"] == INSTALL
    _blocked_by_cli_001(run.check("CLI-002"))
    assert run.result.ret == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing", "`ibmcloud version`: {path} does not exist"),
        ("plain-file", "`ibmcloud version`: not executable (permission denied)"),
    ],
)
def test_cli_001_fails_for_a_bad_ibmcloud_option(make_workstation, run_suite, name, message):
    ws = make_workstation()
    path = ws.root / name / "ibmcloud"
    path.parent.mkdir()
    if name == "plain-file":
        path.write_text("#!/bin/sh\necho ibmcloud version 2.9.0\n")
        path.chmod(0o644)
    found = run_suite(*ws.args, "--ibmcloud", str(path)).check("CLI-001")
    assert found["status"] == "fail"
    assert found["message"] == message.format(path=path)


# -- CLI-002 ---------------------------------------------------------------------------------


def test_cli_002_passes_for_a_real_release(make_workstation, run_suite) -> None:
    release = RELEASES[-1]
    ws = make_workstation(cli=release)
    found = run_suite(*ws.args).check("CLI-002")
    assert found["status"] == "pass"
    assert found["message"] == f"ibmcloud {release.split('+')[0]} (minimum 0.8.0)"
    assert found["remediation"] == ""


def test_cli_002_fails_below_the_policy_minimum(make_workstation, run_suite) -> None:
    ws = make_workstation(cli=RELEASES[0])
    run = run_suite(*ws.args, policy='min-cli-version = "1.0.0"\n')
    found = run.check("CLI-002")
    assert found["status"] == "fail"
    assert found["message"] == "ibmcloud 0.14.0 (minimum 1.0.0)"
    assert found["remediation"] == "ibmcloud update"


def test_cli_002_errors_when_the_version_is_unparseable(make_workstation, run_suite) -> None:
    ws = make_workstation(behaviour="garbage")
    run = run_suite(*ws.args)
    assert run.status("CLI-001") == "pass"
    found = run.check("CLI-002")
    assert found["status"] == "error"
    shown = "'\\x00\\x13garbage \ufffd{not: json]'"
    assert found["message"] == f"cannot find a version in `ibmcloud version` output: {shown}"
    assert found["blocked_by"] == []


@pytest.mark.parametrize("changes", [{"cli": None}, {"behaviour": "exit1"}], ids=["none", "exit1"])
def test_cli_002_is_blocked_by_cli_001(make_workstation, run_suite, changes) -> None:
    ws = make_workstation(**changes)
    _blocked_by_cli_001(run_suite(*ws.args).check("CLI-002"))


# -- CLI-003 ---------------------------------------------------------------------------------

TARGET = "ibmcloud target -r <region> -g <resource group>"


@pytest.mark.parametrize(
    ("region", "group", "status", "message"),
    [
        ("us-south", "default", "pass", "region us-south, resource group default"),
        ("", "", "fail", "region (none), resource group (none)"),
    ],
)
def test_cli_003_target(make_workstation, run_suite, region, group, status, message) -> None:
    ws = make_workstation(region=region, resource_group=group)
    found = run_suite(*ws.args).check("CLI-003")
    assert (found["status"], found["message"]) == (status, message)
    assert found["remediation"] == ("" if status == "pass" else TARGET)


def test_cli_003_is_blocked_without_the_cli(make_workstation, run_suite) -> None:
    # One root cause, one failure: no "run `ibmcloud target`" for a CLI that is not there.
    ws = make_workstation(cli=None)
    found = run_suite(*ws.args).check("CLI-003")
    assert (found["status"], found["blocked_by"]) == ("skip", ["CLI-001"])
    assert found["remediation"] == ""


# -- the whole report --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"cli": None},
        {"behaviour": "garbage"},
        {"plugins": (), "region": "", "resource_group": ""},
        {"json": False, "layout": "2019", "repo": {"container-service": ["9.9.9"]}},
    ],
    ids=["healthy", "no-cli", "garbage", "nothing-installed", "old-cli"],
)
def test_every_check_reports_a_message_and_an_allowed_status(
    make_workstation, run_suite, changes
) -> None:
    ws = make_workstation(**changes)
    run = run_suite(*ws.args)
    jsonschema.validate(run.report, REPORT_SCHEMA)
    ids = sorted((c["id"], c["params"].get("plugin", "")) for c in run.report["checks"])
    cli_plg = [i for i in ids if i[0].startswith(("CLI", "PLG"))]
    assert cli_plg == [
        ("CLI-001", ""),
        ("CLI-002", ""),
        ("CLI-003", ""),
        ("PLG-001", ""),
        ("PLG-002", ""),
        ("PLG-003", "container-registry"),
        ("PLG-003", "kubernetes-service"),
        ("PLG-004", "container-registry"),
        ("PLG-004", "kubernetes-service"),
    ]
    for check in run.report["checks"]:
        assert check["status"] in STATUSES, check
        assert check["message"].strip(), check
        assert bool(check["remediation"]) == (check["status"] in ("warn", "fail")), check
        if check["blocked_by"]:
            assert check["status"] == "skip", check
    counts = {s: sum(c["status"] == s for c in run.report["checks"]) for s in STATUSES}
    assert run.report["summary"] == counts
    assert run.result.ret == (1 if counts["fail"] or counts["error"] else 0)
