"""PLG: the kubernetes-service and container-registry plug-ins are installed and current."""

from ikscheck.check import blocked, check, expect, observe, warn
from ikscheck.errors import EvidenceError
from ikscheck.ibmcloud import CR_PLUGIN, KS_PLUGIN

INSTALLED_BY = {KS_PLUGIN: "PLG-001", CR_PLUGIN: "PLG-002"}


def _expect_installed(workstation, name):
    found = workstation.plugin(name)
    if found is None:
        hint = (
            " (the plug-in registry lists it: reinstall it)"
            if workstation.registered_plugin(name)
            else ""
        )
        expect(False, f"{name} is not in `{workstation.plugin_list_source}`{hint}")
    aliases = f" (aliases {', '.join(found.aliases)})" if found.aliases else ""
    observe(f"{found.name} {found.version_text}{aliases}")


@check(
    "PLG-001",
    "The Kubernetes Service plug-in is installed",
    severity="critical",
    remediation="ibmcloud plugin install container-service "
    "(the Kubernetes Service plug-in; kubernetes-service and ks are its aliases)",
    needs=("CLI-001",),
    description=(
        "Reads the installed plug-ins from `ibmcloud plugin list --output json` (or its table, "
        "where the flag is not supported) and looks for `container-service` or "
        "`kubernetes-service`, by name or alias."
    ),
    why=(
        "Installing the CLI plug-ins: the Kubernetes Service plug-in provides every `ibmcloud ks` "
        "command, `ibmcloud ks cluster config` among them."
    ),
    statuses={
        "pass": "the plug-in is installed (its name, version and aliases are shown)",
        "fail": (
            "it is not in the plug-in list (the message says when the plug-in registry still lists "
            "it)"
        ),
    },
)
def test_kubernetes_service_installed(workstation):
    _expect_installed(workstation, KS_PLUGIN)


@check(
    "PLG-002",
    "The Container Registry plug-in is installed",
    severity="high",
    remediation="ibmcloud plugin install container-registry",
    needs=("CLI-001",),
    description=(
        "Reads the installed plug-ins from `ibmcloud plugin list` and looks for "
        "`container-registry`, by name or alias."
    ),
    why=(
        "Installing the CLI plug-ins: the guide installs the Container Registry plug-in for the "
        "images clusters pull."
    ),
    statuses={
        "pass": "the plug-in is installed",
        "fail": "it is not in the plug-in list",
    },
)
def test_container_registry_installed(workstation):
    _expect_installed(workstation, CR_PLUGIN)


def _installed(workstation, name):
    found = workstation.plugin(name)
    if found is None:
        raise blocked(INSTALLED_BY[name], f"{name} is not installed")
    return found


@check(
    "PLG-003",
    "The plug-in is at or above its minimum version",
    severity="high",
    remediation="ibmcloud plugin update {plugin}",
    needs=("CLI-001",),
    description=(
        "Compares each installed plug-in's version from `ibmcloud plugin list` with the policy's "
        "minimum (`min-plugin-versions`; defaults kubernetes-service 0.3.23, container-registry "
        "0.1.373)."
    ),
    why="Installing the CLI plug-ins: older plug-ins lack commands and flags the guide uses.",
    statuses={
        "pass": "at or above the minimum",
        "fail": "below the minimum, or no version is listed",
        "skip": "blocked: the plug-in is not installed (PLG-001 or PLG-002 says so)",
    },
)
def test_plugin_minimum_version(workstation, policy, plugin):
    found = _installed(workstation, plugin)
    minimum = policy.min_plugin_versions[plugin]
    expect(
        found.version is not None and found.version >= minimum,
        f"{found.name} {found.version_text or '(no version)'} (minimum {minimum})",
        remediation=f"ibmcloud plugin update {found.name}",
    )


@check(
    "PLG-004",
    "No plug-in update is pending",
    severity="low",
    remediation="ibmcloud plugin update {plugin}",
    needs=("CLI-001",),
    description=(
        "Reads each installed plug-in's status in `ibmcloud plugin list` (`Update Available`) and "
        "the newest version the plug-in repository offers (`ibmcloud plugin repo-plugins`)."
    ),
    why=(
        "Updating the CLI and plug-ins: the guide asks to keep them current; the IKS API changes "
        "with them."
    ),
    statuses={
        "pass": "no update is pending",
        "warn": "the list says `Update Available`, or the repository offers a newer version",
        "error": (
            "the repository cannot be asked (no network, say): nobody knows whether an update is "
            "pending"
        ),
        "skip": "blocked: the plug-in is not installed (PLG-001 or PLG-002 says so)",
    },
)
def test_plugin_update_pending(workstation, plugin):
    found = _installed(workstation, plugin)
    installed = f"{found.name} {found.version_text}" + (
        f" ({found.status})" if found.status else ""
    )
    flagged = found.status.lower() == "update available"
    update = f"ibmcloud plugin update {found.name}"
    try:
        newest = workstation.newest_offered(found)
    except EvidenceError as exc:
        if flagged:
            warn(f"{installed}; {exc}", remediation=update)
        raise EvidenceError(
            f"{installed}; cannot tell whether an update is pending: {exc}"
        ) from None
    newer = newest is not None and found.version is not None and newest > found.version
    observed = f"{installed}, repository has {newest}" if newest else installed
    if not newest and not flagged:
        observed += ", not in the repository"
    if flagged or newer:
        warn(observed, remediation=update)
    observe(observed)
