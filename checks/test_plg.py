"""PLG: the kubernetes-service and container-registry plug-ins are installed and current."""

from ikscheck.ibmcloud import find_plugin
from ikscheck.policy import CR_PLUGIN, KS_PLUGIN
from ikscheck.results import blocked, check, expect

# The Kubernetes Service plug-in is `container-service` with the alias `kubernetes-service`
# (and `ks`) in current CLIs, and `kubernetes-service` in some releases.
NAMES = {KS_PLUGIN: (KS_PLUGIN, "container-service"), CR_PLUGIN: (CR_PLUGIN,)}
INSTALLED_BY = {KS_PLUGIN: "PLG-001", CR_PLUGIN: "PLG-002"}


def _installed(workstation, plugin):
    listed = workstation.plugin_list
    found = find_plugin(listed.plugins, *NAMES[plugin])
    if found:
        aliases = f" (aliases {', '.join(found.aliases)})" if found.aliases else ""
        return True, f"{found.name} {found.version_text}{aliases}"
    registered = find_plugin(workstation.registered_plugins(), *NAMES[plugin])
    hint = " (the plug-in registry lists it: reinstall it)" if registered else ""
    return False, f"{plugin} is not in `{listed.source}`{hint}"


@check(
    "PLG-001",
    "The Kubernetes Service plug-in is installed",
    severity="critical",
    remediation="ibmcloud plugin install container-service",
    needs=("CLI-001",),
)
def test_kubernetes_service_installed(workstation):
    expect(*_installed(workstation, KS_PLUGIN))


@check(
    "PLG-002",
    "The Container Registry plug-in is installed",
    severity="high",
    remediation="ibmcloud plugin install container-registry",
    needs=("CLI-001",),
)
def test_container_registry_installed(workstation):
    expect(*_installed(workstation, CR_PLUGIN))


def _plugin(workstation, plugin):
    found = find_plugin(workstation.plugin_list.plugins, *NAMES[plugin])
    if found is None:
        raise blocked(INSTALLED_BY[plugin], f"{plugin} is not installed")
    return found


@check(
    "PLG-003",
    "The plug-in is at or above its minimum version",
    severity="high",
    remediation="ibmcloud plugin update {plugin}",
    needs=("CLI-001",),
)
def test_plugin_minimum_version(workstation, policy, plugin):
    found = _plugin(workstation, plugin)
    minimum = policy.min_plugin_versions[plugin]
    expect(
        found.version is not None and found.version >= minimum,
        f"{found.name} {found.version_text or '(no version)'} (minimum {minimum})",
        fix=f"ibmcloud plugin update {found.name}",
    )


@check(
    "PLG-004",
    "No plug-in update is pending",
    severity="low",
    remediation="ibmcloud plugin update {plugin}",
    needs=("CLI-001",),
)
def test_plugin_update_pending(workstation, plugin):
    found = _plugin(workstation, plugin)
    offered = workstation.repo_versions()
    newest = max((v for n in found.names() for v in (offered or {}).get(n, ())), default=None)
    newer = newest is not None and found.version is not None and newest > found.version
    pending = found.status.lower() == "update available" or newer
    latest = f", repository has {newest}" if newest else ""
    latest = latest if offered is not None else ", the plug-in repository could not be asked"
    status = f" ({found.status})" if found.status else ""
    observed = f"{found.name} {found.version_text}{status}{latest}"
    expect(True, observed, warn=pending, fix=f"ibmcloud plugin update {found.name}")
