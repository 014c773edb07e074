"""CLI: the IBM Cloud CLI is installed, recent enough and targeted."""

from ikscheck.check import check, expect, warn


@check(
    "CLI-001",
    "The IBM Cloud CLI is on PATH and runs",
    severity="critical",
    remediation="Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli",
    description=(
        "Runs `ibmcloud version` (the `ibmcloud` first on PATH, or `--ibmcloud`) with the command "
        "timeout, and reads what it prints."
    ),
    why=(
        "The setup guide's first step, installing the IBM Cloud CLI: every `ibmcloud ks` command, "
        "the plug-ins and the CLI session need it."
    ),
    statuses={
        "pass": "the CLI runs and prints its version",
        "fail": (
            "not found on PATH, not executable, a non-zero exit, or a timeout (the message says "
            "which)"
        ),
    },
)
def test_cli_runs(workstation):
    cli = workstation.ibmcloud()
    expect(not cli.problem, cli.problem or f"{cli.said} ({cli.path})")


@check(
    "CLI-002",
    "The IBM Cloud CLI is recent enough",
    severity="medium",
    remediation="ibmcloud update",
    needs=("CLI-001",),
    description=(
        "Parses the version `ibmcloud version` prints (`ibmcloud version "
        "X.Y.Z+<hash>-<timestamp>`) and compares it with the policy's minimum (`min-cli-version`, "
        "default 0.8.0)."
    ),
    why=(
        "Installing the IBM Cloud CLI: older CLIs lack the commands and the plug-in repository the "
        "guide uses, and are not supported."
    ),
    statuses={
        "pass": "at or above the minimum",
        "fail": "below the minimum",
        "error": "`ibmcloud version` printed no version that can be parsed",
    },
)
def test_cli_version(workstation, policy):
    version = workstation.cli_version()
    minimum = policy.min_cli_version
    expect(version >= minimum, f"ibmcloud {version} (minimum {minimum})")


@check(
    "CLI-003",
    "A region and a resource group are targeted",
    severity="medium",
    remediation="ibmcloud target -r <region> -g <resource group>",
    needs=("CLI-001",),
    description=(
        "Reads the CLI config (`config.json` in the IBM Cloud CLI home) for the targeted `Region` "
        "and resource group."
    ),
    why=(
        "Logging in and targeting: `ibmcloud ks` commands act on the targeted region and resource "
        "group."
    ),
    statuses={
        "pass": "a region and a resource group are targeted",
        "warn": "a region but no resource group: commands use the default group",
        "fail": "no region targeted, or no CLI config at all",
    },
)
def test_cli_target(workstation):
    config = workstation.cli_config()
    expect(
        config is not None, f"no region targeted: no CLI config at {workstation.cli_config_path}"
    )
    targeted = (
        f"region {config.region or '(none)'}, resource group {config.resource_group or '(none)'}"
    )
    expect(bool(config.region), targeted)
    if not config.resource_group:
        group = "ibmcloud target -g <resource group> (`ibmcloud resource groups` lists them)"
        warn(targeted, remediation=group)
