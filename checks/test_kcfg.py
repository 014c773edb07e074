"""KCFG: the kubeconfig kubectl reads is there, valid, and names the cluster (KCFG-001..005).

kubectl is the reference: the files it lists, the way it merges them (first file wins) and
what it refuses.
"""

from ikscheck import kubeconfig
from ikscheck.check import blocked, check, expect, observe, warn

CONFIG = "ibmcloud ks cluster config --cluster {cluster}"


def _config_for(workstation):
    """The remediation that downloads a kubeconfig, with the clusters' names filled in."""
    names = [c for c in workstation.clusters() if c] or ["<cluster>"]
    return "; ".join(CONFIG.format(cluster=name) for name in names)


@check(
    "KCFG-001",
    "The kubeconfig is found",
    severity="critical",
    remediation=CONFIG,
)
def test_kubeconfig_found(workstation):
    files, origin = workstation.kubeconfig_files(), workstation.kubeconfig_origin
    fix = _config_for(workstation)
    unusable = [f"{f.path} is a directory" if f.is_dir else f"{f.path}: {f.error}" for f in files]
    unusable = [u for u, f in zip(unusable, files, strict=True) if f.is_dir or f.error]
    missing = ", ".join(f.path for f in files if not f.exists)
    readable = ", ".join(f.path for f in files if f.text is not None)
    expect(not unusable, f"{'; '.join(unusable)} (from {origin})", remediation=fix)
    expect(
        bool(readable), f"no kubeconfig: {missing} (from {origin}) does not exist", remediation=fix
    )
    observe(f"{readable} (from {origin})")
    if missing:
        warn(
            f"{missing} (from {origin}) missing: kubectl skips it and reads {readable}",
            remediation=fix,
        )


@check(
    "KCFG-002",
    "Every kubeconfig file is valid YAML of kubeconfig's shape",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-001",),
)
def test_kubeconfig_valid(workstation):
    readable = [f for f in workstation.kubeconfig_files() if f.text is not None]
    problems = [p for f in readable for p in kubeconfig.file_problems(f.path, f.text)]
    expect(
        not problems,
        "; ".join(problems),
        remediation=f"Fix or re-download the file: {_config_for(workstation)}",
    )
    observe(f"{len(readable)} valid: {', '.join(f.path for f in readable)}")


@check(
    "KCFG-003",
    "current-context is set and names a context",
    severity="high",
    remediation="kubectl config use-context <context>",
    needs=("KCFG-002",),
)
def test_current_context(workstation):
    config = workstation.kubeconfig
    current = config.current_context
    names = ", ".join(sorted(config.contexts)) or "none"
    expect(bool(current), f"current-context is not set (contexts: {names})")
    expect(
        current in config.contexts,
        f"current-context {current} names no context (contexts: {names})",
    )
    observe(f"current-context {current}")


@check(
    "KCFG-004",
    "A context for the cluster exists and is current",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-002",),
)
def test_cluster_context(workstation, cluster):
    if not cluster:
        raise blocked("KCFG-003", "no --cluster, and no current context names one")
    config = workstation.kubeconfig
    found = kubeconfig.find_context(config, cluster)
    names = ", ".join(sorted(config.contexts)) or "none"
    expect(found is not None, f"no context for cluster {cluster} (contexts: {names})")
    observe(f"context {found.name} (current)")
    if found.name != config.current_context:
        warn(
            f"context {found.name} exists, but the current context is "
            f"{config.current_context or '(none)'}: kubectl talks to another cluster",
            remediation=f"kubectl config use-context {found.name}",
        )


@check(
    "KCFG-005",
    "The cluster's context names existing cluster and user entries",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-004",),
)
def test_context_entries(workstation, cluster):
    config = workstation.kubeconfig
    context = kubeconfig.find_context(config, cluster)
    missing = [
        f"{kind} {name or '(empty)'}"
        for kind, name, entries in (
            ("cluster", context.cluster, config.clusters),
            ("user", context.user, config.users),
        )
        if name not in entries
    ]
    expect(not missing, f"context {context.name} names a missing {' and a missing '.join(missing)}")
    observe(f"context {context.name}: cluster {context.cluster}, user {context.user}")
    dangling = [
        f"{other.name} ({kind} {name or '(empty)'})"
        for other in config.contexts.values()
        if other.name != context.name
        for kind, name, entries in (
            ("cluster", other.cluster, config.clusters),
            ("user", other.user, config.users),
        )
        if name not in entries
    ]
    if dangling:
        warn(
            f"context {context.name} is whole; other contexts name missing entries: "
            + ", ".join(dangling),
            remediation="kubectl config delete-context <context>, or download it again: "
            "ibmcloud ks cluster config --cluster <name>",
        )
