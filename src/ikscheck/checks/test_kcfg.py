"""KCFG: the kubeconfig kubectl reads is there, valid, and names the cluster (KCFG-001..005).

kubectl is the reference: the files it lists, the way it merges them (first file wins) and
what it refuses.
"""

import shlex
from urllib.parse import urlsplit

from ikscheck import certs
from ikscheck.check import blocked, check, conclude, expect, observe, warn
from ikscheck.errors import ParseError

CONFIG = "ibmcloud ks cluster config --cluster {cluster}"


def _config_for(workstation):
    """The remediation that downloads a kubeconfig, with the clusters' names filled in."""
    names = [c for c in workstation.clusters() if c] or ["<cluster>"]
    return "; ".join(CONFIG.format(cluster=shlex.quote(name)) for name in names)


@check(
    "KCFG-001",
    "The kubeconfig is found",
    severity="critical",
    remediation=CONFIG,
    description=(
        "Lists the kubeconfig files as kubectl does: `--kubeconfig`, else `KUBECONFIG` (a "
        "`:`-separated list), else `~/.kube/config`, and reads each."
    ),
    why=(
        "Accessing the cluster: `ibmcloud ks cluster config` writes the kubeconfig kubectl reads; "
        "without one kubectl knows no cluster."
    ),
    statuses={
        "pass": "every listed file is there and readable",
        "warn": "some listed files are missing (kubectl skips them)",
        "fail": "no listed file exists, a path is a directory, or a file cannot be read",
    },
)
def test_kubeconfig_found(workstation):
    files, origin = workstation.kubeconfig_files(), workstation.kubeconfig_origin
    fix = _config_for(workstation)
    expect(bool(files), f"{origin} lists no file", remediation=fix)
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
    description=(
        "Parses every kubeconfig file as YAML and validates it against "
        "`schemas/kubeconfig.schema.json` (`apiVersion: v1`, `kind: Config`, named lists), as "
        "kubectl loads it."
    ),
    why=(
        "Accessing the cluster: kubectl refuses a kubeconfig it cannot load, for every cluster in "
        "it."
    ),
    statuses={
        "pass": "every file is valid",
        "fail": (
            "a file is not YAML or not of kubeconfig's shape (naming the file, line and column)"
        ),
    },
)
def test_kubeconfig_valid(workstation):
    readable = [f for f in workstation.kubeconfig_files() if f.text is not None]
    problems = workstation.kubeconfig_problems()
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
    description=(
        "Reads `current-context` from the merged kubeconfig (the first file that sets it wins) and "
        "looks it up among the contexts."
    ),
    why=(
        "Accessing the cluster: kubectl talks to the current context's cluster when no `--context` "
        "is given."
    ),
    statuses={
        "pass": "current-context names an existing context",
        "fail": "it is not set, or names no context",
    },
)
def test_current_context(workstation):
    config = workstation.kubeconfig
    current = config.current_context
    names = ", ".join(sorted(config.contexts)) or "none"
    files = ", ".join(config.files)
    expect(bool(current), f"current-context is not set in {files} (contexts: {names})")
    expect(
        current in config.contexts,
        f"current-context {current} (set in {config.current_context_source}) names no context"
        f" (contexts: {names})",
    )
    observe(f"current-context {current}")


@check(
    "KCFG-004",
    "A context for the cluster exists and is current",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-002",),
    description=(
        "Looks for the cluster's context in the merged kubeconfig under the names IKS gives it "
        "(`<name>`, `<name>/<cluster_id>`, or the cluster id) and compares it with "
        "`current-context`."
    ),
    why=(
        "Accessing the cluster: `ibmcloud ks cluster config --cluster <name>` adds the cluster's "
        "context and makes it current."
    ),
    statuses={
        "pass": "a context for the cluster exists and is current",
        "warn": "it exists but another context is current: kubectl talks to another cluster",
        "fail": "no context for the cluster",
        "skip": "blocked by KCFG-003: no `--cluster`, and no current context names one",
    },
)
def test_cluster_context(workstation, cluster):
    if not cluster:
        raise blocked("KCFG-003", "no --cluster, and no current context names one")
    config = workstation.kubeconfig
    found = workstation.find_context(cluster)
    if found is None:
        names = ", ".join(sorted(config.contexts)) or "none"
        expect(False, f"no context for cluster {cluster} (contexts: {names})")
    observe(f"context {found.name} (current)")
    if found.name != config.current_context:
        warn(
            f"context {found.name} exists, but the current context is "
            f"{config.current_context or '(none)'}: kubectl talks to another cluster",
            remediation=f"kubectl config use-context {shlex.quote(found.name)}",
        )


@check(
    "KCFG-005",
    "The cluster's context names existing cluster and user entries",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-004",),
    description=(
        "Looks up the cluster and user entries the cluster's context names in the merged "
        "kubeconfig; also the entries of every other context."
    ),
    why=(
        "Accessing the cluster: a context is only usable when its cluster (server, CA) and user "
        "(credentials) entries exist."
    ),
    statuses={
        "pass": "both entries exist",
        "warn": "this context is whole, but other contexts name missing entries",
        "fail": "the context names a missing cluster or user entry",
    },
)
def test_context_entries(workstation, cluster):
    config = workstation.kubeconfig
    context = workstation.find_context(cluster)
    if context is None:
        raise blocked("KCFG-004", f"no context for cluster {cluster}")
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
        f"{other} ({kind} {name or '(empty)'})"
        for other, kind, name in workstation.dangling_references()
        if other != context.name
    ]
    if dangling:
        warn(
            f"context {context.name} is whole; other contexts name missing entries: "
            + ", ".join(dangling),
            remediation="kubectl config delete-context <context>, or download it again: "
            "ibmcloud ks cluster config --cluster <name>",
        )


@check(
    "KCFG-006",
    "The cluster's server is an https://host:port URL, TLS verified",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-005",),
    description=(
        "Parses the `server` of the cluster's kubeconfig entry, and reads its "
        "`insecure-skip-tls-verify`."
    ),
    why=(
        "Accessing the cluster: the master answers at an `https://host:port` URL, and its "
        "certificate must be verified."
    ),
    statuses={
        "pass": "an https://host:port URL, TLS verified",
        "warn": "`insecure-skip-tls-verify: true`: the server's certificate is not checked",
        "fail": "not an https://host:port URL",
    },
)
def test_server_url(workstation, cluster):
    entry = workstation.cluster_entry(cluster)
    url = urlsplit(entry.server)
    valid = url.scheme == "https" and bool(url.hostname) and _port(url) is not None
    expect(
        valid, f"cluster {entry.name}: server {entry.server or '(empty)'} is not https://host:port"
    )
    observe(f"cluster {entry.name}: server {entry.server}")
    if entry.insecure_skip_tls_verify:
        warn(
            f"cluster {entry.name}: insecure-skip-tls-verify is true: "
            "the server's certificate is not checked",
            remediation=f"kubectl config unset clusters.{entry.name}.insecure-skip-tls-verify",
        )


def _port(url):
    try:
        return url.port or 443
    except ValueError:  # "https://host:notaport"
        return None


@check(
    "KCFG-007",
    "The cluster CA is a valid, unexpired certificate",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-005",),
    description=(
        "Reads the cluster's CA from `certificate-authority` (a relative path resolved against the "
        "directory of the kubeconfig file that holds it, as kubectl does) or "
        "`certificate-authority-data`, parses it as a PEM X.509 certificate and checks its "
        "validity period."
    ),
    why=(
        "Accessing the cluster: kubectl verifies the master with this CA; `ibmcloud ks cluster "
        "config` downloads it beside the kubeconfig."
    ),
    statuses={
        "pass": "a valid certificate, not expiring soon",
        "warn": "it expires within the policy's warning window (30 days by default)",
        "fail": "no CA, a missing file, not a certificate, or expired",
    },
)
def test_cluster_ca(workstation, policy, cluster):
    name = workstation.cluster_entry(cluster).name
    try:
        ca = workstation.ca_certificate(cluster)
    except ParseError as exc:
        expect(False, f"cluster {name}: the CA {exc}")
    expect(
        ca is not None,
        f"cluster {name} names no certificate-authority: the server cannot be verified",
    )
    status, seen = certs.expiry(ca, workstation.now, policy.ca_warning_days)
    conclude(status, f"cluster {name}: CA {seen}")


OIDC_FIELDS = ("id-token", "refresh-token", "idp-issuer-url", "client-id")


@check(
    "KCFG-008",
    "The cluster's user has complete credentials",
    severity="high",
    remediation=CONFIG,
    needs=("KCFG-005",),
    description=(
        "Reads the credentials of the cluster's user entry: an OIDC `auth-provider` (`id-token`, "
        "`refresh-token`, `idp-issuer-url`, `client-id`), an `exec` plug-in (whose command must "
        "exist), a client certificate and key (admin configs, with the certificate's expiry), or a "
        "`token`."
    ),
    why=(
        "Accessing the cluster: IKS kubeconfigs sign in with IBM Cloud IAM's OIDC tokens (or an "
        "admin certificate with `--admin`)."
    ),
    statuses={
        "pass": "complete credentials of one of these kinds",
        "warn": "the client certificate expires within the warning window",
        "fail": (
            "no credentials, incomplete OIDC fields, an exec command not found, a certificate "
            "without its key, or an expired certificate"
        ),
    },
)
def test_user_credentials(workstation, policy, cluster):
    user = workstation.user_entry(cluster)
    auth = user.auth
    provider = auth.get("auth-provider") if isinstance(auth.get("auth-provider"), dict) else None
    if provider is not None:
        config = provider.get("config") if isinstance(provider.get("config"), dict) else {}
        lacking = [f for f in OIDC_FIELDS if not config.get(f)]
        expect(
            not lacking,
            f"user {user.name}: auth-provider {provider.get('name')} lacks {', '.join(lacking)}",
        )
        observe(f"user {user.name}: auth-provider {provider.get('name')}")
        return
    command = workstation.exec_command(cluster)
    if command is not None:
        expect(command[1], f"user {user.name}: exec plug-in {command[0]} is not found")
        observe(f"user {user.name}: exec plug-in {command[0]}")
        return
    if auth.get("client-certificate") or auth.get("client-certificate-data"):
        expect(
            bool(auth.get("client-key") or auth.get("client-key-data")),
            f"user {user.name}: a client certificate without a client key",
        )
        try:
            cert = workstation.client_certificate(cluster)
        except ParseError as exc:
            expect(False, f"user {user.name}: the client certificate {exc}")
        status, seen = certs.expiry(cert, workstation.now, policy.ca_warning_days)
        conclude(status, f"user {user.name}: client certificate {seen}")
        return
    expect(bool(auth.get("token") or auth.get("tokenFile")), f"user {user.name} has no credentials")
    observe(f"user {user.name}: a bearer token")


@check(
    "KCFG-009",
    "A kubeconfig file holding credentials is private",
    severity="medium",
    remediation="chmod 600 <file>",
    needs=("KCFG-001",),
    description=(
        "Reads the mode of every kubeconfig file that holds credentials (tokens, keys, passwords)."
    ),
    why=(
        "Accessing the cluster: the kubeconfig's tokens give access to the cluster; anyone who can "
        "read the file can use them."
    ),
    statuses={
        "pass": "no such file is readable by group or others",
        "warn": (
            "a file holding credentials is readable by group or others (`chmod 600` names them)"
        ),
    },
)
def test_credential_files_private(workstation):
    files = workstation.credential_files()
    shared = [f for f in files if f.mode is not None and f.mode & 0o077]
    observe(f"{len(files)} holding credentials, none readable by others")
    if shared:
        listing = ", ".join(f"{f.path} ({f.mode:o})" for f in shared)
        warn(
            f"readable by group or others though holding credentials: {listing}",
            remediation="chmod 600 " + " ".join(shlex.quote(f.path) for f in shared),
        )


@check(
    "KCFG-010",
    "No kubeconfig entry is shadowed by another file's",
    severity="low",
    remediation="Rename or remove the shadowed entries (the first file listed wins)",
    needs=("KCFG-002",),
    description=(
        "Compares the cluster, user and context names across the merged kubeconfig files: kubectl "
        "uses the first file's entry and ignores the others."
    ),
    why=(
        "Accessing the cluster: the guide adds each cluster's kubeconfig to `KUBECONFIG`; a name "
        "defined twice means one of them is never used."
    ),
    statuses={
        "pass": "no name is defined twice",
        "warn": "entries are shadowed by an earlier file's (naming them and their files)",
    },
)
def test_no_shadowed_entries(workstation):
    config = workstation.kubeconfig
    observe(f"{len(config.files)} files, no name defined twice")
    if config.shadowed:
        listing = ", ".join(f"{kind} {name} in {path}" for kind, name, path in config.shadowed)
        warn(f"shadowed by an earlier file (kubectl uses the first): {listing}")
