"""CLI-001..003 in memory: the stand-in ibmcloud's output over the healthy recording.

The end-to-end runs (tests/test_suite_cli.py) keep the wiring, real processes and blocking;
these cover each branch of the checks' judgement.
"""

from __future__ import annotations

import pytest
from packaging.version import Version

import testenv
from ikscheck.policy import Policy
from memory import BIN, HOME, Setup, with_ibmcloud

INSTALL = "Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli"
HEALTHY_CLI = testenv.Scenario().cli
IBMCLOUD = f"{BIN}/ibmcloud"
CONFIG = f"{HOME}/.bluemix/config.json"
# The `ibmcloud version` lines of real releases, as the stand-in's version strings.
RELEASES = [
    line.removeprefix("ibmcloud version ")
    for line in (testenv.FORMATS / "ibmcloud" / "version.txt").read_text().splitlines()
    if line.strip()
]


def workstation(**changes: object) -> Setup:
    """The healthy recording with the IBM Cloud CLI of ``testenv.Scenario(**changes)``."""
    return with_ibmcloud(testenv.Scenario().but(**changes))


# -- CLI-001 ---------------------------------------------------------------------------------


def test_cli_001_passes_and_names_the_version_line_and_path() -> None:
    found = workstation().judge("CLI-001")
    assert found.status == "pass"
    assert found.message == f"ibmcloud version {HEALTHY_CLI} ({IBMCLOUD})"
    assert found.remediation == ""


def test_cli_001_message_has_no_colour_codes() -> None:
    setup = workstation(ansi=True)
    assert "\x1b[" in setup.ibmcloud("version")["stdout"]
    found = setup.judge("CLI-001")
    assert found.status == "pass"
    assert found.message == f"ibmcloud version {HEALTHY_CLI} ({IBMCLOUD})"


def test_cli_001_fails_when_not_installed() -> None:
    found = workstation(cli=None).judge("CLI-001")
    assert found.status == "fail"
    assert found.message == "`ibmcloud version`: not found on PATH"
    assert found.remediation == INSTALL


def test_cli_001_fails_on_a_non_zero_exit() -> None:
    found = workstation(behaviour="exit1").judge("CLI-001")
    assert found.status == "fail"
    assert found.message == (
        "`ibmcloud version` exited with status 1: "
        "Something went wrong: the CLI configuration is corrupted."
    )
    assert found.remediation == INSTALL


def test_cli_001_passes_for_output_it_cannot_read() -> None:
    # It runs and exits 0: CLI-001 holds (CHECKS.md fails only on not found, not executable,
    # non-zero exit, timeout); the unparseable version is CLI-002's error.
    found = workstation(behaviour="garbage").judge("CLI-001")
    assert found.status == "pass"
    assert found.message.endswith(f"garbage \ufffd{{not: json] ({IBMCLOUD})")


# -- CLI-002 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_cli_002_passes_for_real_releases(release: str) -> None:
    found = workstation(cli=release).judge("CLI-002")
    assert found.status == "pass"
    assert found.message == f"ibmcloud {release.split('+')[0]} (minimum 0.8.0)"
    assert found.remediation == ""


@pytest.mark.parametrize(
    ("cli", "status", "message"),
    [
        ("0.10.0+abc1234-2019-01-01T00:00:00+00:00", "pass", "ibmcloud 0.10.0 (minimum 0.8.0)"),
        ("0.8.0+abc1234-2019-01-01T00:00:00+00:00", "pass", "ibmcloud 0.8.0 (minimum 0.8.0)"),
        ("0.7.9+abc1234-2018-01-01T00:00:00+00:00", "fail", "ibmcloud 0.7.9 (minimum 0.8.0)"),
    ],
)
def test_cli_002_compares_versions_not_strings(cli: str, status: str, message: str) -> None:
    found = workstation(cli=cli).judge("CLI-002")
    assert (found.status, found.message) == (status, message)


def test_cli_002_fails_below_the_policy_minimum() -> None:
    policy = Policy(min_cli_version=Version("1.0.0"))
    found = workstation(cli=RELEASES[0]).judge("CLI-002", policy)
    assert found.status == "fail"
    assert found.message == "ibmcloud 0.14.0 (minimum 1.0.0)"
    assert found.remediation == "ibmcloud update"


@pytest.mark.parametrize(
    ("changes", "shown"),
    [
        ({"behaviour": "garbage"}, "'\\x00\\x13garbage \ufffd{not: json]'"),
        ({"cli": "unknown"}, "'ibmcloud version unknown'"),
    ],
    ids=["garbage", "no-version-number"],
)
def test_cli_002_errors_when_the_version_is_unparseable(changes, shown) -> None:
    setup = workstation(**changes)
    assert setup.judge("CLI-001").status == "pass"
    found = setup.judge("CLI-002")
    assert found.status == "error"
    assert found.message == f"cannot find a version in `ibmcloud version` output: {shown}"
    assert found.blocked_by == []


# -- CLI-003 ---------------------------------------------------------------------------------

TARGET = "ibmcloud target -r <region> -g <resource group>"
# With a region targeted, only the group is missing: the remediation says that much.
GROUP = "ibmcloud target -g <resource group> (`ibmcloud resource groups` lists them)"


@pytest.mark.parametrize(
    ("region", "group", "status", "message"),
    [
        ("us-south", "default", "pass", "region us-south, resource group default"),
        ("eu-de", "prod", "pass", "region eu-de, resource group prod"),
        ("us-south", "", "warn", "region us-south, resource group (none)"),
        ("", "default", "fail", "region (none), resource group default"),
        ("", "", "fail", "region (none), resource group (none)"),
    ],
)
def test_cli_003_target(region, group, status, message) -> None:
    found = workstation(region=region, resource_group=group).judge("CLI-003")
    assert (found.status, found.message) == (status, message)
    assert found.remediation == {"pass": "", "warn": GROUP, "fail": TARGET}[status]


def test_cli_003_fails_without_a_cli_config() -> None:
    setup = workstation()
    setup.file(CONFIG, exists=False, text=None, mode=None, realpath="")
    found = setup.judge("CLI-003")
    assert found.status == "fail"
    assert found.message == f"no region targeted: no CLI config at {CONFIG}"
    assert found.remediation == TARGET


def test_cli_003_errors_on_a_config_that_is_not_json() -> None:
    setup = workstation()
    setup.file(CONFIG, text='{"Region": "us-south",')
    found = setup.judge("CLI-003")
    assert found.status == "error"
    assert found.message.startswith(f"{CONFIG}: ibmcloud config.json is not valid JSON: ")
