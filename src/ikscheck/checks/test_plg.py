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
)
def test_kubernetes_service_installed(workstation):
    _expect_installed(workstation, KS_PLUGIN)


@check(
    "PLG-002",
    "The Container Registry plug-in is installed",
    severity="high",
    remediation="ibmcloud plugin install container-registry",
    needs=("CLI-001",),
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
