"""CLI: the IBM Cloud CLI is installed, recent enough and targeted."""

from ikscheck.check import check, expect, warn


@check(
    "CLI-001",
    "The IBM Cloud CLI is on PATH and runs",
    severity="critical",
    remediation="Install the IBM Cloud CLI: https://cloud.ibm.com/docs/cli?topic=cli-install-ibmcloud-cli",
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
